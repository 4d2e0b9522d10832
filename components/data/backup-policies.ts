import { backupPrefixes } from "../../contracts/names";
import { ownBackupPrefix } from "../../contracts/backups";
/**
 * The backup bucket's documents as pure functions: its lifecycle rules, its bucket policy, the
 * replication role's permissions and the IRSA permissions of the backup jobs. Each is tested
 * on its own (test/components/data/backup-storage.test.ts).
 */

export const backupTierNames = ["hourly", "daily", "weekly", "monthly"] as const;

export interface RetentionSettings {
    readonly retentionDays: Readonly<Record<(typeof backupTierNames)[number], number>>;
    readonly archive: { readonly afterDays: number; readonly storageClass: string };
    /** Days the object lock keeps a version; noncurrent versions go one day after. */
    readonly lockDays: number;
}

export interface LifecycleRule {
    readonly id: string;
    readonly status: "Enabled";
    readonly filter: { readonly prefix: string };
    readonly expiration?: { readonly days?: number; readonly expiredObjectDeleteMarker?: boolean };
    readonly transitions?: { readonly days: number; readonly storageClass: string }[];
    readonly noncurrentVersionExpiration?: { readonly noncurrentDays: number };
    readonly abortIncompleteMultipartUpload?: { readonly daysAfterInitiation: number };
}

/**
 * One rule per prefix and tier (`postgres/hourly/` expires after 2 days, ... `monthly/` moves
 * to the archive class and expires after 365), plus housekeeping for the whole bucket: old
 * versions (overwritten pointers, expired backups) go once their lock has passed, expired
 * delete markers and abandoned multipart uploads are cleaned up.
 */
export function lifecycleRules(
    settings: RetentionSettings,
    ownRoot?: string,
    walArchive?: WalArchiveRetention,
): LifecycleRule[] {
    const rules: LifecycleRule[] = [];
    // A standby bucket holds production's replicated backups and, under its own root, the
    // backups the stack takes once activated: both expire by tier.
    const prefixes = [
        ...backupPrefixes,
        ...(ownRoot === undefined ? [] : backupPrefixes.map((p) => ownBackupPrefix(p, ownRoot))),
    ];
    for (const prefix of prefixes) {
        for (const tier of backupTierNames) {
            const days = settings.retentionDays[tier];
            rules.push({
                id: `${prefix.replace("/", "-")}-${tier}`,
                status: "Enabled",
                filter: { prefix: `${prefix}/${tier}/` },
                expiration: { days },
                ...(tier === "monthly"
                    ? {
                          transitions: [
                              {
                                  days: settings.archive.afterDays,
                                  storageClass: settings.archive.storageClass,
                              },
                          ],
                      }
                    : {}),
            });
        }
    }
    // The continuous WAL archives (base backups and WAL): by age, so no job needs to delete.
    for (const prefix of walArchive?.prefixes ?? []) {
        rules.push({
            id: prefix.replace(/\//g, "-"),
            status: "Enabled",
            filter: { prefix: `${prefix}/` },
            expiration: { days: walArchive?.days },
        });
    }
    rules.push({
        id: "housekeeping",
        status: "Enabled",
        filter: { prefix: "" },
        expiration: { expiredObjectDeleteMarker: true },
        noncurrentVersionExpiration: { noncurrentDays: settings.lockDays + 1 },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
    });
    return rules;
}

/** The WAL archive prefixes a bucket holds and how many days they keep (docs/data.md). */
export interface WalArchiveRetention {
    readonly prefixes: readonly string[];
    readonly days: number;
}

type Statement = Record<string, unknown>;

function document(statements: Statement[]): string {
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** `arn:aws:kms:us-west-2:1111:alias/x` → its region, account and, for an alias, its name. */
export function parseKmsArn(arn: string): {
    partition: string;
    region: string;
    account: string;
    alias?: string;
} {
    const match = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(arn);
    if (!match) throw new Error(`not a KMS key or alias ARN: ${arn}`);
    const [, partition, region, account, kind, rest] = match;
    return { partition, region, account, alias: kind === "alias" ? `alias/${rest}` : undefined };
}

/** Statement granting `actions` on a KMS key given by key ARN or alias ARN. */
function kmsStatement(
    sid: string,
    keyArn: string,
    actions: string[],
    viaS3Region: string,
): Statement {
    const condition: Record<string, unknown> = {
        StringEquals: { "kms:ViaService": `s3.${viaS3Region}.amazonaws.com` },
    };
    if (!keyArn.includes(":alias/")) {
        return {
            Sid: sid,
            Effect: "Allow",
            Action: actions,
            Resource: keyArn,
            Condition: condition,
        };
    }
    const parsed = parseKmsArn(keyArn);
    // IAM evaluates a key by its key ARN; an alias is matched through kms:ResourceAliases.
    return {
        Sid: sid,
        Effect: "Allow",
        Action: actions,
        Resource: `arn:${parsed.partition}:kms:${parsed.region}:${parsed.account}:key/*`,
        Condition: {
            ...condition,
            "ForAnyValue:StringEquals": { "kms:ResourceAliases": parsed.alias },
        },
    };
}

export interface ReplicationPolicyInput {
    readonly sourceBucketArn: string;
    readonly sourceKeyArn: string;
    readonly sourceRegion: string;
    readonly destinationBucketArn: string;
    readonly destinationKeyArn: string;
}

/**
 * What S3 needs to replicate this bucket into the dr bucket: read object versions (with their
 * lock retention) here, replicate there, decrypt with this key and encrypt with the dr key.
 * Deletes are not replicated (the rule disables delete-marker replication).
 */
export function replicationRolePolicy(input: ReplicationPolicyInput): string {
    const destinationRegion = parseKmsArn(input.destinationKeyArn).region;
    return document([
        {
            Sid: "ReadSourceConfiguration",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resource: input.sourceBucketArn,
        },
        {
            Sid: "ReadSourceVersions",
            Effect: "Allow",
            Action: [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:GetObjectRetention",
                "s3:GetObjectLegalHold",
            ],
            Resource: `${input.sourceBucketArn}/*`,
        },
        {
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: [
                "s3:ReplicateObject",
                "s3:ReplicateTags",
                "s3:ObjectOwnerOverrideToBucketOwner",
            ],
            Resource: `${input.destinationBucketArn}/*`,
        },
        kmsStatement("DecryptSource", input.sourceKeyArn, ["kms:Decrypt"], input.sourceRegion),
        kmsStatement(
            "EncryptReplicas",
            input.destinationKeyArn,
            ["kms:Encrypt", "kms:GenerateDataKey"],
            destinationRegion,
        ),
    ]);
}

export interface JobAccessInput {
    readonly bucketArn: string;
    readonly keyArn: string;
    readonly region: string;
    /** Prefixes the job may touch (e.g. ["postgres"]). */
    readonly prefixes: readonly string[];
    /** Writers may put (never delete); readers only get. */
    readonly access: "write" | "read";
}

/**
 * IRSA permissions of one backup job, limited to its prefixes: writers put objects and read
 * them back (to confirm an upload), readers get. No delete, no bucket configuration; the
 * lifecycle rules are the only thing that removes a backup.
 */
export function jobAccessPolicy(input: JobAccessInput): string {
    const objects = input.prefixes.map((p) => `${input.bucketArn}/${p}/*`);
    const objectActions =
        input.access === "write"
            ? [
                  "s3:PutObject",
                  "s3:GetObject",
                  "s3:AbortMultipartUpload",
                  "s3:ListMultipartUploadParts",
              ]
            : ["s3:GetObject"];
    const keyActions =
        input.access === "write" ? ["kms:GenerateDataKey", "kms:Decrypt"] : ["kms:Decrypt"];
    return document([
        {
            Sid: "ListOwnPrefixes",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: input.bucketArn,
            Condition: { StringLike: { "s3:prefix": input.prefixes.map((p) => `${p}/*`) } },
        },
        {
            Sid: "ObjectsUnderOwnPrefixes",
            Effect: "Allow",
            Action: objectActions,
            Resource: objects,
        },
        {
            Sid: "UseBackupKey",
            Effect: "Allow",
            Action: keyActions,
            Resource: input.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${input.region}.amazonaws.com` } },
        },
    ]);
}

export interface WalArchiveAccessInput {
    /** The bucket holding the archives (the dr stack's). */
    readonly bucketArn: string;
    /** Its KMS key: key ARN or alias ARN. */
    readonly keyArn: string;
    /** Region of the bucket (the KMS condition names S3 there). */
    readonly region: string;
    /** The prefix this stack's servers archive to, e.g. `wal`; none for a reader. */
    readonly writePrefix?: string;
    /** Prefixes read only, e.g. `dr/wal` (the other stack's archive). */
    readonly readPrefixes: readonly string[];
}

/**
 * IRSA permissions on the continuous WAL archives: the postgres pods (archive_command,
 * restore_command, base backups) put and read under their own prefix and read the other
 * stack's; the base-backup check only reads. No delete: the lifecycle rule expires old WAL
 * and base backups.
 */
export function walArchivePolicy(input: WalArchiveAccessInput): string {
    const write = input.writePrefix;
    const prefixes = [...(write === undefined ? [] : [write]), ...input.readPrefixes];
    return document([
        {
            Sid: "ListArchives",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: input.bucketArn,
            Condition: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}/*`) } },
        },
        {
            // Every barman-cloud command starts with HeadBucket, which S3 authorizes as
            // s3:ListBucket with no prefix. IAM cannot tell it from a listing without a prefix,
            // so that listing (key names only, no object data) is allowed too.
            Sid: "CheckBucket",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: input.bucketArn,
            Condition: { Null: { "s3:prefix": "true" } },
        },
        ...(write === undefined
            ? []
            : [
                  {
                      Sid: "WriteOwnArchive",
                      Effect: "Allow",
                      Action: [
                          "s3:PutObject",
                          "s3:GetObject",
                          "s3:AbortMultipartUpload",
                          "s3:ListMultipartUploadParts",
                      ],
                      Resource: `${input.bucketArn}/${write}/*`,
                  },
              ]),
        {
            Sid: "ReadArchives",
            Effect: "Allow",
            Action: ["s3:GetObject"],
            Resource: input.readPrefixes.map((p) => `${input.bucketArn}/${p}/*`),
        },
        kmsStatement(
            "UseArchiveKey",
            input.keyArn,
            write === undefined ? ["kms:Decrypt"] : ["kms:GenerateDataKey", "kms:Decrypt"],
            input.region,
        ),
    ]);
}
