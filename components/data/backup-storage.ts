import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    lifecycleRules,
    replicationRolePolicy,
    type RetentionSettings,
    type WalArchiveRetention,
} from "./backup-policies";
import { administrationKeyPolicy, customerManagedKey } from "../kit/kms";
import { globalBucketName, privateBucket, privateBucketPolicy } from "../kit/private-bucket";

export interface BackupReplication {
    /** The dr stack's bucket (its output `backupBucketArn`). */
    readonly destinationBucketArn: pulumi.Input<string>;
    /** The dr stack's backup key: key ARN or alias ARN (its output `backupKmsAliasArn`). */
    readonly destinationKmsKeyArn: pulumi.Input<string>;
}

/** Where production's backups replicate to, as the stack config states it. */
export interface ReplicationSettings {
    /** The dr stack (its fully qualified name): read its outputs through a StackReference. */
    readonly fromStack?: string;
    readonly destinationBucketArn?: string;
    readonly destinationKmsKeyArn?: string;
}

/**
 * The replication destination: read from the dr stack's outputs (`backupBucketArn`,
 * `backupKmsAliasArn`) through a StackReference when the config names the stack, so no ARN
 * is copied by hand, or the ARNs the config gives. The dr stack must have been deployed once.
 */
export function replicationDestination(
    settings: ReplicationSettings | undefined,
): BackupReplication | undefined {
    if (settings?.fromStack !== undefined) {
        const dr = new pulumi.StackReference(`backup-replication-${settings.fromStack}`, {
            name: settings.fromStack,
        });
        return {
            destinationBucketArn: dr.requireOutput("backupBucketArn").apply(String),
            destinationKmsKeyArn: dr.requireOutput("backupKmsAliasArn").apply(String),
        };
    }
    if (settings?.destinationBucketArn && settings.destinationKmsKeyArn) {
        return {
            destinationBucketArn: settings.destinationBucketArn,
            destinationKmsKeyArn: settings.destinationKmsKeyArn,
        };
    }
    return undefined;
}

export interface BackupStorageArgs {
    /** Region of the stack (the KMS conditions name S3 in it). */
    readonly region: string;
    /** Retention per tier, archive class, object-lock days. */
    readonly retention: RetentionSettings;
    /**
     * Object Lock default retention mode: COMPLIANCE, so no one — no job, no administrator, not
     * the account root — can delete or overwrite a locked version or shorten its lock.
     * @default "COMPLIANCE"
     */
    readonly objectLockMode?: "GOVERNANCE" | "COMPLIANCE";
    /**
     * Physical bucket name prefix; the account id and region are appended (globally unique,
     * stable for another stack to refer to). @default auto-named from the logical name
     */
    readonly bucketPrefix?: string;
    /** Alias of the CMK, `alias/<aliasName>`. @default `mcp-platform-backups-<name>` */
    readonly keyAliasName?: string;
    /** Replicate to the dr bucket with Replication Time Control. @default no replication */
    readonly replication?: BackupReplication;
    /**
     * Root of the stack's own backups when it is not `postgres/` etc. (a standby: `dr`, see
     * `ownPrefixRoot`); they get the same tier expiry. @default none
     */
    readonly ownPrefixRoot?: string;
    /**
     * The continuous WAL archives this bucket holds (the dr stack's: production's `wal/` and
     * its own `dr/wal/`), expired by age. @default none
     */
    readonly walArchive?: WalArchiveRetention;
    /** Protect the bucket and its key from deletion (docs/data.md, "Protection"). @default true */
    readonly protect?: boolean;
}

/**
 * The S3 bucket every backup goes to (docs/data.md):
 * - SSE-KMS with a customer-managed key that rotates yearly, S3 bucket keys on; the bucket
 *   policy refuses uploads under any other key, and only named roles may decrypt
 *   (BackupKeyPolicy);
 * - versioning, and Object Lock with a default retention in COMPLIANCE mode, so no version of
 *   a recent backup can be deleted or overwritten — not by the backup jobs (they may not
 *   delete anyway), not by a stolen credential, not by an administrator or the account root;
 * - the public access block, ACLs disabled, a TLS-only bucket policy;
 * - lifecycle rules per prefix and tier (hourly 2 days … monthly 365 days, archived);
 * - in production, replication of every new object to the dr bucket within 15 minutes
 *   (Replication Time Control, with its metrics), encrypted there with the dr key. Deletes are
 *   not replicated, so the DR copy survives a deletion in production.
 */
export class BackupStorage extends pulumi.ComponentResource {
    public readonly bucketName: pulumi.Output<string>;
    public readonly bucketArn: pulumi.Output<string>;
    public readonly kmsKeyArn: pulumi.Output<string>;
    public readonly kmsKeyId: pulumi.Output<string>;
    public readonly kmsAliasArn: pulumi.Output<string>;
    /** The replication role (production): it decrypts the objects it replicates. */
    public readonly replicationRoleArn?: pulumi.Output<string>;

    constructor(name: string, args: BackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:BackupStorage", name, {}, opts);
        const child = { parent: this };

        // Who may decrypt is named in the key policy BackupKeyPolicy sets once the roles
        // exist (backup-key-policy.ts); until then the account only administers the key.
        const key = customerManagedKey(
            `${name}-key`,
            {
                description: `Encrypts the ${name} backups (S3 SSE-KMS)`,
                region: args.region,
                policy: administrationKeyPolicy,
                protect: args.protect,
                policySetSeparately: true,
            },
            child,
        );
        const alias = new aws.kms.Alias(
            `${name}-key`,
            {
                name: `alias/${args.keyAliasName ?? `mcp-platform-backups-${name}`}`,
                targetKeyId: key.keyId,
            },
            child,
        );

        const { bucket, ownership, publicAccess, versioning } = privateBucket(
            name,
            {
                bucketName:
                    args.bucketPrefix === undefined
                        ? undefined
                        : globalBucketName(args.bucketPrefix, args.region, child),
                kmsKeyArn: key.arn,
                objectLockEnabled: true,
                protect: args.protect,
            },
            child,
        );
        new aws.s3.BucketObjectLockConfiguration(
            `${name}-object-lock`,
            {
                bucket: bucket.id,
                objectLockEnabled: "Enabled",
                rule: {
                    defaultRetention: {
                        mode: args.objectLockMode ?? "COMPLIANCE",
                        days: args.retention.lockDays,
                    },
                },
            },
            { ...child, dependsOn: [versioning] },
        );
        new aws.s3.BucketPolicy(
            `${name}-policy`,
            {
                bucket: bucket.id,
                policy: pulumi
                    .all([bucket.arn, key.arn, alias.arn])
                    .apply(([bucketArn, keyArn, aliasArn]) =>
                        privateBucketPolicy(bucketArn, [keyArn, aliasArn]),
                    ),
            },
            { ...child, dependsOn: [publicAccess, ownership] },
        );
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-lifecycle`,
            {
                bucket: bucket.id,
                rules: lifecycleRules(args.retention, args.ownPrefixRoot, args.walArchive),
            },
            { ...child, dependsOn: [versioning] },
        );

        if (args.replication !== undefined) {
            this.replicationRoleArn = this.replicate(
                name,
                args.region,
                args.replication,
                bucket,
                key,
                versioning,
            );
        }

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.kmsKeyArn = key.arn;
        this.kmsKeyId = key.keyId;
        this.kmsAliasArn = alias.arn;
        this.registerOutputs({
            bucketName: this.bucketName,
            bucketArn: this.bucketArn,
            kmsKeyArn: this.kmsKeyArn,
            kmsKeyId: this.kmsKeyId,
            kmsAliasArn: this.kmsAliasArn,
            replicationRoleArn: this.replicationRoleArn,
        });
    }

    private replicate(
        name: string,
        region: string,
        replication: BackupReplication,
        bucket: aws.s3.Bucket,
        key: aws.kms.Key,
        versioning: aws.s3.BucketVersioning,
    ): pulumi.Output<string> {
        const child = { parent: this };
        const role = new aws.iam.Role(
            `${name}-replication-role`,
            {
                description: `S3 replication of the ${name} backups to the DR region`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "s3.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            },
            child,
        );
        const policy = new aws.iam.RolePolicy(
            `${name}-replication`,
            {
                role: role.name,
                policy: pulumi
                    .all([
                        bucket.arn,
                        key.arn,
                        replication.destinationBucketArn,
                        replication.destinationKmsKeyArn,
                    ])
                    .apply(([bucketArn, keyArn, destinationBucketArn, destinationKeyArn]) =>
                        replicationRolePolicy({
                            sourceBucketArn: bucketArn,
                            sourceKeyArn: keyArn,
                            sourceRegion: region,
                            destinationBucketArn,
                            destinationKeyArn,
                        }),
                    ),
            },
            child,
        );
        new aws.s3.BucketReplicationConfig(
            `${name}-replication`,
            {
                bucket: bucket.id,
                role: role.arn,
                rules: [
                    {
                        id: "to-dr-region",
                        status: "Enabled",
                        priority: 1,
                        filter: { prefix: "" },
                        deleteMarkerReplication: { status: "Disabled" },
                        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                        destination: {
                            bucket: replication.destinationBucketArn,
                            storageClass: "STANDARD",
                            encryptionConfiguration: {
                                replicaKmsKeyId: replication.destinationKmsKeyArn,
                            },
                            // Replication Time Control: 99.99 % of objects within 15 minutes,
                            // the only value S3 accepts; the metrics feed the alerts.
                            replicationTime: { status: "Enabled", time: { minutes: 15 } },
                            metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
                        },
                    },
                ],
            },
            { ...child, dependsOn: [versioning, policy] },
        );
        return role.arn;
    }
}
