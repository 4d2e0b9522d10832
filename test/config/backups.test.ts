import { describe, expect, it } from "vitest";
import { type PlatformConfig } from "../../config";
import { configProblems, parseStack } from "../support/config";

/** `mcp-platform:backups` and `mcp-platform:data` as users write them (config/backups.ts, config/data.ts). */

const load = (stack: string, edit?: (ns: Record<string, any>) => void): PlatformConfig =>
    parseStack(stack, edit);
const problems = (edit: (ns: Record<string, any>) => void) => configProblems("production", edit);

describe("backups and data config", () => {
    it("reads the committed stacks with the runbooks' figures", () => {
        const production = load("production");
        expect(production.backups.schedules).toEqual({
            postgres: "*/30 * * * *",
            appData: "0 3 * * *",
            redis: "30 * * * *",
            verify: "30 5 * * *",
        });
        expect(production.backups.tiers).toEqual({
            daily: "0 2 * * *",
            weekly: "0 3 * * 0",
            monthly: "0 4 1 * *",
        });
        expect(production.backups.retentionDays).toEqual({
            hourly: 2,
            daily: 7,
            weekly: 30,
            monthly: 365,
        });
        expect(production.backups.replication).toEqual({ fromStack: "dr" });
        expect(production.data.postgres.resources.limits.memory).toBe("16Gi");
        const dr = load("dr");
        expect(dr.backups.replication).toBeUndefined();
        expect(dr.backups.restore).toEqual({
            from: "archive",
            source: "latest",
            activationId: "activation",
        });
        // Both stacks archive WAL with the same image and archive_timeout (RPO ≤ 60 s).
        for (const stack of [production, dr]) {
            expect(stack.data.postgres.archive).toEqual({
                image: "ghcr.io/cloudnative-pg/postgresql:15.14-202511100817-system-bookworm@sha256:cf13adf3e270ff1a924c03c34954ff6cc17e5c3b1a4c555255612ea612a08466",
                timeoutSeconds: 30,
                retentionDays: 7,
                baseBackupIntervalHours: 24,
                reseedFromDr: false,
                maxBacklogPercent: 10,
            });
        }
    });

    it("fills the documented defaults", () => {
        const config = load("production", (ns) => {
            const backups = ns["mcp-platform"].backups;
            for (const key of [
                "tiers",
                "retentionDays",
                "archive",
                "objectLock",
                "restore",
                "scratchSize",
                "verifyMaxAgeMinutes",
            ]) {
                delete backups[key];
            }
            delete backups.schedules.redis;
            delete backups.schedules.verify;
            const data = ns["mcp-platform"].data;
            delete data.storageClass;
            delete data.postgres.replicas;
            delete data.postgres.maxConnections;
            delete data.redis.maxmemoryPolicy;
            delete data.redis.maxmemoryPercent;
            data.postgres.archive = { image: data.postgres.archive.image };
        });
        expect(config.backups).toMatchObject({
            schedules: { redis: "30 * * * *", verify: "30 5 * * *" },
            tiers: { daily: "0 2 * * *", weekly: "0 3 * * 0", monthly: "0 4 1 * *" },
            retentionDays: { hourly: 2, daily: 7, weekly: 30, monthly: 365 },
            archive: { afterDays: 30, storageClass: "GLACIER_IR" },
            objectLock: { mode: "COMPLIANCE", days: 7 },
            restore: { from: "archive", source: "latest", activationId: "activation" },
            scratchSize: "20Gi",
            verifyMaxAgeMinutes: 120,
        });
        expect(config.data).toMatchObject({
            storageClass: "gp3",
            postgres: {
                replicas: 1,
                maxConnections: 200,
                archive: {
                    timeoutSeconds: 30,
                    retentionDays: 7,
                    baseBackupIntervalHours: 24,
                    reseedFromDr: false,
                    maxBacklogPercent: 10,
                },
            },
            redis: { maxmemoryPolicy: "allkeys-lru", maxmemoryPercent: 70 },
        });
    });

    it("rejects tier rules the scripts cannot match, with the key path", () => {
        expect(problems((ns) => (ns["mcp-platform"].backups.tiers.weekly = "0 3 * * 1-5"))).toEqual(
            [
                'Pulumi.production.yaml: mcp-platform:backups.tiers.weekly: expected fields that are "*" or numbers such as "0 3 * * 0" (no ranges, steps or names) (got "0 3 * * 1-5")',
            ],
        );
        expect(problems((ns) => (ns["mcp-platform"].backups.tiers.monthly = "0 4 1 * 0"))).toEqual([
            'Pulumi.production.yaml: mcp-platform:backups.tiers.monthly: expected day-of-month or day-of-week restricted, not both (got "0 4 1 * 0")',
        ]);
    });

    it("rejects an object lock longer than the daily retention and an archive after expiry", () => {
        expect(
            problems((ns) => {
                ns["mcp-platform"].backups.objectLock = { mode: "COMPLIANCE", days: 8 };
                ns["mcp-platform"].backups.archive = { afterDays: 400, storageClass: "GLACIER" };
            }),
        ).toEqual([
            "Pulumi.production.yaml: mcp-platform:backups.objectLock.days: expected at most retentionDays.daily (7); a longer lock keeps every hourly and daily backup version, unremovable, that long (got 8)",
            "Pulumi.production.yaml: mcp-platform:backups.archive.afterDays: expected fewer days than retentionDays.monthly (365) (got 400)",
        ]);
    });

    it("rejects malformed replication targets, restore sources and data sizes", () => {
        const found = problems((ns) => {
            ns["mcp-platform"].backups.replication = {
                destinationBucketArn: "arn:aws:s3:::mcp-platform-backups-dr-111111111111",
                destinationKmsKeyArn: "alias/mcp-platform-backups-dr",
            };
            ns["mcp-platform"].backups.restore = { source: "yesterday" };
            ns["mcp-platform"].data.postgres.resources.requests.memory = "32Gi";
            ns["mcp-platform"].data.postgres.image = "postgres:latest";
        });
        expect(found).toEqual(
            expect.arrayContaining([
                expect.stringContaining(
                    "mcp-platform:backups.replication.destinationKmsKeyArn: expected a KMS key ARN",
                ),
                expect.stringContaining(
                    'mcp-platform:backups.restore.source: expected "latest" or a backup timestamp',
                ),
                'Pulumi.production.yaml: mcp-platform:data.postgres.resources.requests.memory: expected at most the memory limit (16Gi) (got "32Gi")',
                expect.stringContaining(
                    "mcp-platform:data.postgres.image: expected an image pinned by tag or digest",
                ),
            ]),
        );
        expect(found).toHaveLength(4);
    });
});

describe("WAL archive config", () => {
    it("rejects an archive_timeout above the 60 s RPO, rare base backups and an unknown restore source", () => {
        const found = problems((ns) => {
            const archive = ns["mcp-platform"].data.postgres.archive;
            archive.timeoutSeconds = 300;
            archive.baseBackupIntervalHours = 48;
            ns["mcp-platform"].backups.restore = { from: "snapshot" };
        });
        expect(found).toEqual([
            expect.stringMatching(
                /^Pulumi\.production\.yaml: mcp-platform:backups\.restore\.from: .*"archive".*"dump"/,
            ),
            expect.stringMatching(
                /^Pulumi\.production\.yaml: mcp-platform:data\.postgres\.archive\.timeoutSeconds: .*60/,
            ),
            expect.stringMatching(
                /^Pulumi\.production\.yaml: mcp-platform:data\.postgres\.archive\.baseBackupIntervalHours: .*24/,
            ),
        ]);
    });

    it("bounds the WAL backlog to 1–50 % of the volume", () => {
        for (const value of [0, 51, 2.5]) {
            expect(
                problems((ns) => {
                    ns["mcp-platform"].data.postgres.archive.maxBacklogPercent = value;
                }),
            ).toEqual([
                expect.stringMatching(
                    /^Pulumi\.production\.yaml: mcp-platform:data\.postgres\.archive\.maxBacklogPercent: /,
                ),
            ]);
        }
    });

    it("requires the barman-cloud image", () => {
        expect(problems((ns) => delete ns["mcp-platform"].data.postgres.archive.image)).toEqual([
            expect.stringContaining("mcp-platform:data.postgres.archive.image"),
        ]);
    });
});

describe("bucket name prefixes", () => {
    it("refuses a prefix that would not leave room for the account id and region", () => {
        const found = problems((ns) => {
            ns["mcp-platform"].backups.bucketPrefix = "a".repeat(40);
            ns["mcp-platform"].workloads.semanticConfig.artifactBucketPrefix = "Mcp_Artifacts";
        });
        expect(found).toEqual([
            expect.stringContaining(
                "mcp-platform:backups.bucketPrefix: expected a bucket name prefix of 3-35 lowercase letters",
            ),
            expect.stringContaining(
                "mcp-platform:workloads.semanticConfig.artifactBucketPrefix: expected a bucket name prefix",
            ),
        ]);
    });
});
