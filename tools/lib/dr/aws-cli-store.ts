import { execFile } from "node:child_process";
import { type BackupStore, type ObjectLocation, ObjectNotFound, Unreachable } from "./types";

/**
 * The real {@link BackupStore}: the AWS CLI (v1 or v2), which operators have and which
 * picks up their credentials (environment, profile, SSO, or the OIDC role a workflow
 * assumed) the usual way. Each call names the bucket's region, so the DR bucket is read in
 * us-west-2 even when us-east-1 is down.
 */
export interface AwsCliOptions {
    /** `--endpoint-url`, for an S3-compatible server in tests or drills. */
    readonly endpointUrl?: string;
    /** @default "aws" */
    readonly command?: string;
    /** Extra environment for the CLI (tests pass credentials for the local server). */
    readonly env?: NodeJS.ProcessEnv;
}

interface CliResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export class AwsCliBackupStore implements BackupStore {
    constructor(private readonly options: AwsCliOptions = {}) {}

    private run(args: string[], region: string): Promise<CliResult> {
        const full = [...args, "--region", region, "--output", "json"];
        if (this.options.endpointUrl) full.push("--endpoint-url", this.options.endpointUrl);
        return new Promise((resolve, reject) => {
            execFile(
                this.options.command ?? "aws",
                full,
                {
                    env: { ...process.env, AWS_PAGER: "", ...this.options.env },
                    maxBuffer: 16 * 1024 * 1024,
                    timeout: 60_000,
                },
                (error, stdout, stderr) => {
                    if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
                        reject(
                            new Unreachable(
                                "the AWS CLI (`aws`) is not on PATH",
                                "install it (https://aws.amazon.com/cli/; Debian: apt-get install awscli) and configure credentials that can read the backup buckets",
                            ),
                        );
                        return;
                    }
                    const code =
                        error && typeof (error as { code?: unknown }).code === "number"
                            ? ((error as { code: number }).code as number)
                            : error
                              ? 1
                              : 0;
                    resolve({ code, stdout, stderr });
                },
            );
        });
    }

    private static notFound(stderr: string): boolean {
        return /\(404\)|Not Found|NoSuchKey|does not exist/i.test(stderr);
    }

    private static failure(action: string, location: ObjectLocation, result: CliResult): Error {
        const reason =
            result.stderr.trim().split("\n").filter(Boolean).pop() ?? `exit ${result.code}`;
        const message = `${action} s3://${location.bucket}/${location.key} failed: ${reason}`;
        // The CLI's own words for a network failure and for missing credentials.
        if (
            /Could not connect to the endpoint URL|Connect timeout|Unable to locate credentials/i.test(
                reason,
            )
        ) {
            return new Unreachable(
                message,
                "check the network to S3 in the bucket's region and the AWS credentials (`aws sts get-caller-identity`)",
            );
        }
        return new Error(message);
    }

    async readText(location: ObjectLocation): Promise<string> {
        const result = await this.run(
            ["s3", "cp", `s3://${location.bucket}/${location.key}`, "-"],
            location.region,
        );
        if (result.code === 0) return result.stdout;
        if (AwsCliBackupStore.notFound(result.stderr)) throw new ObjectNotFound(location);
        throw AwsCliBackupStore.failure("reading", location, result);
    }

    async size(location: ObjectLocation): Promise<number | undefined> {
        const result = await this.run(
            ["s3api", "head-object", "--bucket", location.bucket, "--key", location.key],
            location.region,
        );
        if (result.code !== 0) {
            if (AwsCliBackupStore.notFound(result.stderr)) return undefined;
            throw AwsCliBackupStore.failure("checking", location, result);
        }
        const head = JSON.parse(result.stdout) as { ContentLength?: unknown };
        if (typeof head.ContentLength !== "number") {
            throw new Error(
                `head-object of s3://${location.bucket}/${location.key} has no ContentLength`,
            );
        }
        return head.ContentLength;
    }
}
