import { describe, expect, it } from "vitest";
import { BackupStorage, type BackupStorageArgs } from "../../../components/data/backup-storage";
import {
    jobAccessPolicy,
    lifecycleRules,
    replicationRolePolicy,
    walArchivePolicy,
} from "../../../components/data/backup-policies";
import { recordResources } from "../../support/pulumi";

type Obj = Record<string, any>;

const retention = {
    retentionDays: { hourly: 2, daily: 7, weekly: 30, monthly: 365 },
    archive: { afterDays: 30, storageClass: "GLACIER_IR" },
    lockDays: 2,
};
const args: BackupStorageArgs = {
    region: "us-east-1",
    retention,
    bucketPrefix: "mcp-backups-prod",
};
const replication = {
    destinationBucketArn: "arn:aws:s3:::mcp-platform-backups-dr-111111111111",
    destinationKmsKeyArn: "arn:aws:kms:us-west-2:111111111111:alias/mcp-platform-backups-dr",
};

/** Every action × resource pair of a policy document, for "no * on *" style checks. */
function statements(document: string): Obj[] {
    return JSON.parse(document).Statement;
}

describe("BackupStorage", () => {
    it("encrypts with a rotating CMK, versions, locks, blocks public access and requires TLS", async () => {
        const recorded = await recordResources(() => new BackupStorage("backups", args));
        const bucket = recorded.one("aws:s3/bucket:Bucket", "backups-bucket").inputs;
        expect(bucket).toMatchObject({
            bucket: "mcp-backups-prod-123456789012-us-east-1",
            objectLockEnabled: true,
            forceDestroy: false,
        });
        expect(recorded.one("aws:kms/key:Key", "backups-key").inputs).toMatchObject({
            enableKeyRotation: true,
            deletionWindowInDays: 30,
        });
        const sse = recorded.one(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "backups-encryption",
        ).inputs as Obj;
        expect(sse.rules[0]).toMatchObject({
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" },
            bucketKeyEnabled: true,
        });
        expect(sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId).toMatch(
            /^arn:aws:kms:/,
        );
        expect(
            recorded.one("aws:s3/bucketVersioning:BucketVersioning", "backups-versioning").inputs,
        ).toMatchObject({
            versioningConfiguration: { status: "Enabled" },
        });
        expect(
            recorded.one(
                "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
                "backups-public-access",
            ).inputs,
        ).toMatchObject({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        expect(
            recorded.one(
                "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
                "backups-object-lock",
            ).inputs,
        ).toMatchObject({
            objectLockEnabled: "Enabled",
            // COMPLIANCE unless a caller opts out (the documented default).
            rule: { defaultRetention: { mode: "COMPLIANCE", days: 2 } },
        });
        const policy = statements(
            recorded.one("aws:s3/bucketPolicy:BucketPolicy", "backups-policy").inputs
                .policy as string,
        );
        expect(policy[0]).toEqual({
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [
                "arn:aws:s3:::mcp-backups-prod-123456789012-us-east-1",
                "arn:aws:s3:::mcp-backups-prod-123456789012-us-east-1/*",
            ],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        });
        expect(
            recorded.ofType("aws:s3/bucketReplicationConfig:BucketReplicationConfig"),
        ).toHaveLength(0);
    });

    it("keeps each tier for its retention and archives the monthly backups", async () => {
        const recorded = await recordResources(() => new BackupStorage("backups", args));
        const rules = recorded.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "backups-lifecycle",
        ).inputs.rules as Obj[];
        const byId = Object.fromEntries(rules.map((r) => [r.id, r]));
        for (const prefix of ["postgres", "redis", "app-data"]) {
            expect(byId[`${prefix}-hourly`]).toMatchObject({
                filter: { prefix: `${prefix}/hourly/` },
                expiration: { days: 2 },
            });
            expect(byId[`${prefix}-daily`]).toMatchObject({
                filter: { prefix: `${prefix}/daily/` },
                expiration: { days: 7 },
            });
            expect(byId[`${prefix}-weekly`]).toMatchObject({
                filter: { prefix: `${prefix}/weekly/` },
                expiration: { days: 30 },
            });
            expect(byId[`${prefix}-monthly`]).toMatchObject({
                filter: { prefix: `${prefix}/monthly/` },
                expiration: { days: 365 },
                transitions: [{ days: 30, storageClass: "GLACIER_IR" }],
            });
        }
        expect(byId.housekeeping).toMatchObject({
            filter: { prefix: "" },
            noncurrentVersionExpiration: { noncurrentDays: 3 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
        });
        expect(lifecycleRules(retention)).toEqual(rules);
    });

    it("gives a standby's own backups under dr/ the same tier expiry", async () => {
        const recorded = await recordResources(
            () => new BackupStorage("backups", { ...args, ownPrefixRoot: "dr" }),
        );
        const rules = recorded.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "backups-lifecycle",
        ).inputs.rules as Obj[];
        const byPrefix = Object.fromEntries(rules.map((r) => [r.filter?.prefix, r]));
        for (const prefix of ["postgres", "redis", "app-data"]) {
            expect(byPrefix[`dr/${prefix}/hourly/`]).toMatchObject({ expiration: { days: 2 } });
            expect(byPrefix[`dr/${prefix}/monthly/`]).toMatchObject({
                expiration: { days: 365 },
                transitions: [{ days: 30, storageClass: "GLACIER_IR" }],
            });
            // The replicated production backups keep their own rules.
            expect(byPrefix[`${prefix}/hourly/`]).toMatchObject({ expiration: { days: 2 } });
        }
    });

    it("replicates to the dr bucket with Replication Time Control, never replicating deletes", async () => {
        const recorded = await recordResources(
            () => new BackupStorage("backups", { ...args, replication }),
        );
        const config = recorded.one(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "backups-replication",
        ).inputs as Obj;
        expect(config.rules).toHaveLength(1);
        expect(config.rules[0]).toMatchObject({
            status: "Enabled",
            deleteMarkerReplication: { status: "Disabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: {
                bucket: replication.destinationBucketArn,
                encryptionConfiguration: { replicaKmsKeyId: replication.destinationKmsKeyArn },
                replicationTime: { status: "Enabled", time: { minutes: 15 } },
                metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
            },
        });
        const role = recorded.one("aws:iam/role:Role", "backups-replication-role").inputs;
        expect(statements(role.assumeRolePolicy as string)[0].Principal).toEqual({
            Service: "s3.amazonaws.com",
        });
        const permissions = statements(
            recorded.one("aws:iam/rolePolicy:RolePolicy", "backups-replication").inputs
                .policy as string,
        );
        const actions = permissions.flatMap((s) => [s.Action].flat());
        expect(actions).not.toContain("s3:ReplicateDelete");
        expect(actions.some((a) => a === "*" || a === "s3:*")).toBe(false);
        // The dr key is named by alias: matched through kms:ResourceAliases, in its own region.
        const encrypt = permissions.find((s) => s.Sid === "EncryptReplicas")!;
        expect(encrypt).toMatchObject({
            Resource: "arn:aws:kms:us-west-2:111111111111:key/*",
            Condition: {
                StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" },
                "ForAnyValue:StringEquals": {
                    "kms:ResourceAliases": "alias/mcp-platform-backups-dr",
                },
            },
        });
    });

    it("names the destination key directly when given a key ARN", () => {
        const keyArn =
            "arn:aws:kms:us-west-2:111111111111:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
        const policy = statements(
            replicationRolePolicy({
                sourceBucketArn: "arn:aws:s3:::a",
                sourceKeyArn: "arn:aws:kms:us-east-1:111111111111:key/x",
                sourceRegion: "us-east-1",
                destinationBucketArn: "arn:aws:s3:::b",
                destinationKeyArn: keyArn,
            }),
        );
        expect(policy.find((s) => s.Sid === "EncryptReplicas")!.Resource).toBe(keyArn);
    });

    it("lets backup writers put under their prefix but never delete; readers only get", () => {
        const input = {
            bucketArn: "arn:aws:s3:::b",
            keyArn: "arn:aws:kms:us-east-1:1:key/k",
            region: "us-east-1",
        };
        const writer = statements(
            jobAccessPolicy({ ...input, prefixes: ["postgres"], access: "write" }),
        );
        const writerActions = writer.flatMap((s) => [s.Action].flat());
        expect(writerActions).toContain("s3:PutObject");
        expect(
            writerActions.filter((a) =>
                /Delete|\*|PutBucket|PutLifecycle|BypassGovernance/.test(a),
            ),
        ).toEqual([]);
        expect(writer.find((s) => s.Sid === "ObjectsUnderOwnPrefixes")!.Resource).toEqual([
            "arn:aws:s3:::b/postgres/*",
        ]);
        expect(writer.find((s) => s.Sid === "ListOwnPrefixes")!.Condition).toEqual({
            StringLike: { "s3:prefix": ["postgres/*"] },
        });
        const reader = statements(
            jobAccessPolicy({ ...input, prefixes: ["postgres", "redis"], access: "read" }),
        );
        expect(reader.find((s) => s.Sid === "ObjectsUnderOwnPrefixes")!.Action).toEqual([
            "s3:GetObject",
        ]);
        expect(reader.find((s) => s.Sid === "UseBackupKey")!.Action).toEqual(["kms:Decrypt"]);
        for (const statement of [...writer, ...reader]) {
            expect(statement.Resource).not.toBe("*");
        }
    });
});

describe("walArchivePolicy", () => {
    const base = {
        bucketArn: "arn:aws:s3:::mcp-platform-backups-dr-111111111111-us-west-2",
        keyArn: "arn:aws:kms:us-west-2:111111111111:alias/mcp-platform-backups-dr",
        region: "us-west-2",
    };
    it("lets the servers write their own prefix and read the other stack's, never delete", () => {
        const doc = JSON.parse(
            walArchivePolicy({ ...base, writePrefix: "wal", readPrefixes: ["dr/wal"] }),
        );
        const actions = doc.Statement.flatMap((s: { Action: string | string[] }) =>
            [s.Action].flat(),
        );
        expect(actions.some((a: string) => /Delete/.test(a))).toBe(false);
        const sid = (id: string) => doc.Statement.find((s: { Sid: string }) => s.Sid === id);
        expect(sid("WriteOwnArchive").Resource).toBe(`${base.bucketArn}/wal/*`);
        expect(sid("ReadArchives").Resource).toEqual([`${base.bucketArn}/dr/wal/*`]);
        expect(sid("ListArchives").Condition.StringLike["s3:prefix"]).toEqual([
            "wal/*",
            "dr/wal/*",
        ]);
        // The dr key is named by its alias: matched through kms:ResourceAliases.
        expect(sid("UseArchiveKey").Condition["ForAnyValue:StringEquals"]).toEqual({
            "kms:ResourceAliases": "alias/mcp-platform-backups-dr",
        });
    });
    it("gives a reader (the base-backup check) get and list only", () => {
        const doc = JSON.parse(walArchivePolicy({ ...base, readPrefixes: ["wal"] }));
        expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
            "ListArchives",
            "CheckBucket",
            "ReadArchives",
            "UseArchiveKey",
        ]);
        expect(doc.Statement[3].Action).toEqual(["kms:Decrypt"]);
    });
});
