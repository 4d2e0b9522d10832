import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../kit/irsa-role";
import { globalBucketName, privateBucket, privateBucketPolicy } from "../kit/private-bucket";
import type { OidcIdentity, ServiceAccountRef } from "../kit/irsa";
import { accountKeyPolicy, customerManagedKey } from "../kit/kms";

/**
 * The request-metrics filter of the artifact bucket: S3 publishes `FirstByteLatency`,
 * `TotalRequestLatency` and the request counts to CloudWatch (`AWS/S3`) only for a bucket
 * with a metrics configuration, under the dimensions `BucketName` and `FilterId` = this name
 * (docs/runbooks/ArtifactLookupSlow.md queries it). "EntireBucket" is the console's name for
 * a configuration without a filter.
 */
export const artifactRequestMetricsFilter = "EntireBucket";

export interface ArtifactStoreArgs {
    /** Region of the stack (the key policy names it). */
    readonly region: string;
    /**
     * Bucket name prefix; the account id and region are appended
     * (`s3://mcp-artifacts-<account>-<region>`, the stack output `artifactBucketName`).
     */
    readonly bucketPrefix: string;
    /** Artifacts older than this are deleted (`artifact.retention.days`). */
    readonly retentionDays: number;
    /** Days a replaced or deleted version is kept, to undo a mistake. @default 30 */
    readonly noncurrentVersionDays?: number;
    /** The cluster's OIDC identity, for the IRSA roles. */
    readonly oidc: OidcIdentity;
    /** Service accounts that read and write artifacts; each gets its own role. */
    readonly serviceAccounts: readonly ServiceAccountRef[];
    /** Protect the bucket and its key from deletion (docs/data.md, "Protection"). @default true */
    readonly protect?: boolean;
}

/** The least-privilege policy of an artifact reader/writer. */
export function artifactAccessPolicy(bucketArn: string, keyArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "ListArtifacts", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
            {
                Sid: "ReadWriteArtifacts",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                Resource: `${bucketArn}/*`,
            },
            {
                Sid: "UseArtifactKey",
                Effect: "Allow",
                Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                Resource: keyArn,
            },
        ],
    });
}

/**
 * The semantic control plane's artifact registry storage (runbook ArtifactStorageFull): an
 * S3 bucket encrypted with its own customer-managed key, versioned, private (public access block,
 * ACLs disabled, TLS-only), whose objects expire after `artifact.retention.days`; and one
 * IRSA role per service account that uses it, limited to this bucket and key.
 */
export class ArtifactStore extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    /** `<namespace>/<service account>` → role ARN. */
    public readonly roleArns: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: ArtifactStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:workloads:ArtifactStore", name, {}, opts);
        const child = { parent: this };

        const key = customerManagedKey(
            `${name}-key`,
            {
                description: `Encrypts the ${args.bucketPrefix} artifacts (S3 SSE-KMS)`,
                region: args.region,
                policy: accountKeyPolicy,
                protect: args.protect,
            },
            child,
        );
        const { bucket, ownership, publicAccess, versioning } = privateBucket(
            name,
            {
                bucketName: globalBucketName(args.bucketPrefix, args.region, child),
                kmsKeyArn: key.arn,
                protect: args.protect,
            },
            child,
        );
        new aws.s3.BucketPolicy(
            `${name}-policy`,
            { bucket: bucket.id, policy: bucket.arn.apply(privateBucketPolicy) },
            { ...child, dependsOn: [publicAccess, ownership] },
        );
        // Request metrics (billed as CloudWatch custom metrics): the latency runbooks read them.
        new aws.s3.BucketMetric(
            `${name}-request-metrics`,
            { bucket: bucket.id, name: artifactRequestMetricsFilter },
            child,
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                rules: [
                    {
                        id: "artifact-retention",
                        status: "Enabled",
                        filter: {},
                        expiration: { days: args.retentionDays },
                        noncurrentVersionExpiration: {
                            noncurrentDays: args.noncurrentVersionDays ?? 30,
                        },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
                    },
                ],
            },
            { ...child, dependsOn: [versioning] },
        );

        const roleArns: Record<string, pulumi.Output<string>> = {};
        for (const account of args.serviceAccounts) {
            const role = new IrsaRole(
                `${name}-${account.name}`,
                {
                    oidc: args.oidc,
                    serviceAccount: account,
                    policy: pulumi
                        .all([bucket.arn, key.arn])
                        .apply(([bucketArn, keyArn]) => artifactAccessPolicy(bucketArn, keyArn)),
                },
                child,
            );
            roleArns[`${account.namespace}/${account.name}`] = role.roleArn;
        }

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = key.arn;
        this.roleArns = roleArns;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            kmsKeyArn: this.kmsKeyArn,
        });
    }
}
