import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import {
    GetObjectCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    NoSuchKey,
    NotFound,
    S3Client,
    S3ServiceException,
} from "@aws-sdk/client-s3";
import { CliError, exitCodes } from "./cli";
import type { Io } from "./context";

/**
 * The backup bucket through the AWS SDK v3. Credentials come from the SDK's default chain
 * (environment, profile, SSO, IRSA); `--s3-endpoint-url` / `$S3_ENDPOINT_URL` (the backup
 * scripts' variable) points it at another S3 endpoint, path-style.
 */
export class Bucket {
    private readonly client: S3Client;

    constructor(
        readonly name: string,
        readonly region: string,
        endpoint?: string,
    ) {
        this.client = new S3Client({
            region,
            ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
        });
    }

    static of(name: string, region: string, given: string | undefined, io: Io): Bucket {
        return new Bucket(name, region, given ?? io.env.S3_ENDPOINT_URL);
    }

    private fail(what: string, error: unknown): CliError {
        if (error instanceof S3ServiceException) {
            const denied = error.name === "AccessDenied" || error.$metadata.httpStatusCode === 403;
            return new CliError(
                `${what}: S3 answered ${error.name}: ${error.message}`,
                denied
                    ? `use credentials that may read s3://${this.name} (and kms:Decrypt on its key)`
                    : "check the bucket name and the region (--bucket, --stack)",
            );
        }
        return new CliError(
            `${what}: cannot reach S3 (${this.region}): ${(error as Error).message}`,
            "check the network and AWS credentials (`aws sts get-caller-identity`)",
            exitCodes.unreachable,
        );
    }

    /** The object's text, or undefined when there is none. */
    async text(key: string): Promise<string | undefined> {
        try {
            const result = await this.client.send(
                new GetObjectCommand({ Bucket: this.name, Key: key }),
            );
            return await result.Body!.transformToString();
        } catch (error) {
            if (error instanceof NoSuchKey) return undefined;
            throw this.fail(`read s3://${this.name}/${key}`, error);
        }
    }

    /** Size in bytes, or undefined when there is no such object. */
    async size(key: string): Promise<number | undefined> {
        try {
            const head = await this.client.send(
                new HeadObjectCommand({ Bucket: this.name, Key: key }),
            );
            return head.ContentLength;
        } catch (error) {
            if (error instanceof NotFound || error instanceof NoSuchKey) return undefined;
            throw this.fail(`head s3://${this.name}/${key}`, error);
        }
    }

    /** sha256 (hex) and size of the object, streamed; undefined when there is none. */
    async digest(key: string): Promise<{ sha256: string; size: number } | undefined> {
        try {
            const result = await this.client.send(
                new GetObjectCommand({ Bucket: this.name, Key: key }),
            );
            const hash = createHash("sha256");
            let size = 0;
            for await (const chunk of result.Body as Readable) {
                hash.update(chunk as Buffer);
                size += (chunk as Buffer).length;
            }
            return { sha256: hash.digest("hex"), size };
        } catch (error) {
            if (error instanceof NoSuchKey) return undefined;
            throw this.fail(`read s3://${this.name}/${key}`, error);
        }
    }

    /** Every object under `prefix`. */
    async list(prefix: string): Promise<{ key: string; size: number; modified?: Date }[]> {
        const objects: { key: string; size: number; modified?: Date }[] = [];
        let token: string | undefined;
        do {
            let page;
            try {
                page = await this.client.send(
                    new ListObjectsV2Command({
                        Bucket: this.name,
                        Prefix: prefix,
                        ContinuationToken: token,
                    }),
                );
            } catch (error) {
                throw this.fail(`list s3://${this.name}/${prefix}`, error);
            }
            for (const o of page.Contents ?? []) {
                objects.push({ key: o.Key!, size: o.Size ?? 0, modified: o.LastModified });
            }
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        return objects;
    }
}
