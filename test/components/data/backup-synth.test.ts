import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { upstreamImage } from "../../../contracts/image-cache";
import { parse } from "yaml";
import type { ResourceRecord } from "../../../tools/lib/records";
import { projectDir, stackFileVariant, synth, type SynthResult } from "../../support/synth";

/**
 * The data layer as `npm run synth` writes it for both stacks and for an activated dr stack:
 * the runbooks' schedules, the bucket's protections, replication, and the restore Job that only an
 * activated dr stack declares.
 */

type Obj = Record<string, any>;

const ofType = (records: ResourceRecord[], type: string) => records.filter((r) => r.type === type);
/** The one resource of `type` that BackupStorage ("backups") declares. */
const one = (records: ResourceRecord[], type: string) => {
    const found = ofType(records, type).filter((r) => r.name.startsWith("backups-"));
    expect(found, type).toHaveLength(1);
    return found[0].inputs as Obj;
};
const manifest = (result: SynthResult, file: string) =>
    parse(result.read(`k8s/mcp-production/${file}`)) as Obj;
/** Policy results (advisory included) about the data layer's resources. */
const dataViolations = (result: SynthResult) =>
    result
        .policyReport()
        .results.filter((r) => /postgres|redis|backup/i.test(`${r.resource} ${r.message}`))
        .map((r) => `${r.policy}: ${r.message}`);

describe("data layer in the production synth", () => {
    let result: SynthResult;
    let records: ResourceRecord[];
    beforeAll(() => {
        result = synth("production");
        records = result.resources();
    });

    it("declares CronJobs postgres-backup and app-data-backup in mcp-production with the runbooks' schedules", () => {
        const postgres = manifest(result, "cronjob-postgres-backup.yaml");
        const appData = manifest(result, "cronjob-app-data-backup.yaml");
        expect(postgres.metadata.namespace).toBe("mcp-production");
        // every 30 minutes: with ≤ 15 min replication the DR copy stays within the 1 h RPO
        expect(postgres.spec.schedule).toBe("*/30 * * * *");
        expect(appData.spec.schedule).toBe("0 3 * * *");
        for (const cron of [
            postgres,
            appData,
            manifest(result, "cronjob-redis-backup.yaml"),
            manifest(result, "cronjob-backup-verify.yaml"),
        ]) {
            expect(cron.spec.concurrencyPolicy).toBe("Forbid");
            expect(cron.spec.suspend).toBe(false);
        }
        const env = Object.fromEntries(
            postgres.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: Obj) => [
                e.name,
                e.value,
            ]),
        );
        // tiers: daily 02:00, weekly Sunday 03:00, monthly the 1st 04:00.
        expect(env).toMatchObject({
            TIER_DAILY_SCHEDULE: "0 2 * * *",
            TIER_WEEKLY_SCHEDULE: "0 3 * * 0",
            TIER_MONTHLY_SCHEDULE: "0 4 1 * *",
            BACKUP_STANDBY: "false",
        });
    });

    it("writes postgres-primary, postgres-replica and redis with their exporters", () => {
        const primary = manifest(result, "statefulset-postgres-primary.yaml");
        expect(primary.spec.template.spec.containers.map((c: Obj) => c.name)).toEqual([
            "postgres",
            "postgres-exporter",
            "base-backup",
        ]);
        expect(primary.spec.template.spec.containers[0].args).toContain("shared_buffers=4GB");
        // Production archives WAL straight into the dr bucket and starts a new cluster when
        // its volume is empty (docs/data.md, "WAL archive").
        const postgres = primary.spec.template.spec.containers[0];
        expect(upstreamImage(postgres.image)).toMatch(
            /^ghcr\.io\/cloudnative-pg\/postgresql:15\.\d+-.*-system-bookworm@sha256:/,
        );
        expect(postgres.command).toEqual(["/bin/bash", "/opt/mcp/ops/postgres-start.sh"]);
        expect(postgres.args).toEqual(
            expect.arrayContaining([
                "archive_mode=on",
                "archive_timeout=30s",
                "archive_command=bash /opt/mcp/ops/wal-archive.sh %p",
            ]),
        );
        const env = Object.fromEntries(
            (postgres.env as Obj[]).filter((e) => "value" in e).map((e) => [e.name, e.value]),
        );
        expect(env.WAL_ARCHIVE_URL).toMatch(/^s3:\/\/mcp-platform-backups-dr-.*\/wal$/);
        expect(env.WAL_STANDBY).toBe("false");
        expect(primary.spec.template.spec.securityContext.runAsUser).toBe(26);
        expect(
            manifest(result, "statefulset-postgres-replica.yaml").spec.template.metadata.labels.app,
        ).toBe("postgres-replica");
        expect(
            manifest(result, "statefulset-redis.yaml").spec.template.spec.containers.map(
                (c: Obj) => c.name,
            ),
        ).toEqual(["redis", "sentinel", "redis-exporter"]);
        // Secrets are redacted in the output.
        expect(result.read("k8s/mcp-production/secret-postgres-credentials.yaml")).not.toMatch(
            /mock-password/,
        );
    });

    it("protects the bucket: SSE-KMS with a rotating CMK, versioning, public access block, lifecycle, object lock", () => {
        expect(one(records, "aws:s3/bucket:Bucket")).toMatchObject({ objectLockEnabled: true });
        expect(
            one(
                records,
                "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            ).rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
        ).toBe("aws:kms");
        const keys = ofType(records, "aws:kms/key:Key").filter((k) => k.name === "backups-key");
        expect(keys[0].inputs.enableKeyRotation).toBe(true);
        expect(
            one(records, "aws:s3/bucketVersioning:BucketVersioning").versioningConfiguration.status,
        ).toBe("Enabled");
        expect(
            one(records, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
                .restrictPublicBuckets,
        ).toBe(true);
        const rules = one(
            records,
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        ).rules as Obj[];
        expect(rules.find((r) => r.id === "postgres-hourly")!.expiration.days).toBe(2);
        expect(rules.find((r) => r.id === "postgres-monthly")!.expiration.days).toBe(365);
        expect(
            one(records, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration").rule
                .defaultRetention.days,
        ).toBe(7);
        expect(JSON.stringify(one(records, "aws:s3/bucketPolicy:BucketPolicy").policy)).toContain(
            "aws:SecureTransport",
        );
    });

    it("replicates to the dr stack's bucket with Replication Time Control", () => {
        const replication = one(records, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
        expect(replication.rules[0].destination).toMatchObject({
            bucket: expect.stringMatching(/^arn:aws:s3:::mcp-platform-backups-dr-/),
            replicationTime: { status: "Enabled", time: { minutes: 15 } },
        });
        // The destination comes from the dr stack's outputs, found by name in this organization;
        // so do the dr stack's signing public key and WAL roles (backup-peer.ts).
        expect(
            ofType(records, "pulumi:pulumi:StackReference")
                .map((r) => `${r.name} → ${String(r.inputs.name)}`)
                .sort(),
        ).toEqual([
            "backup-peer-organization/mcp-platform/dr → organization/mcp-platform/dr",
            "backup-replication-organization/mcp-platform/dr → organization/mcp-platform/dr",
        ]);
        expect(JSON.parse(result.read("outputs.json"))).toMatchObject({
            backupBucketName: "mcp-platform-backups-production-123456789012-us-east-1",
            backupBucketArn: "arn:aws:s3:::mcp-platform-backups-production-123456789012-us-east-1",
        });
    });

    it("declares no restore Job and has no policy violation in the data layer", () => {
        expect(ofType(records, "kubernetes:batch/v1:Job")).toEqual([]);
        expect(dataViolations(result)).toEqual([]);
    });
});

describe("data layer in the dr synth, standby and activated", () => {
    let standby: SynthResult;
    let active: SynthResult;
    beforeAll(() => {
        standby = synth("dr");
        // Activated with the dump fallback, whose restore Job these tests check.
        active = synth("dr", {
            stackFile: stackFileVariant("dr", (doc) => {
                doc.config["mcp-platform:drActive"] = true;
                (doc.config["mcp-platform:backups"] as Obj).restore.from = "dump";
            }),
        });
    });

    it("keeps the backup jobs idle in standby, with no restore Job and no replication of its own", () => {
        expect(standby.status, standby.stderr).toBe(0);
        const records = standby.resources();
        expect(ofType(records, "kubernetes:batch/v1:Job")).toEqual([]);
        expect(ofType(records, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")).toEqual(
            [],
        );
        const env = manifest(standby, "cronjob-postgres-backup.yaml").spec.jobTemplate.spec.template
            .spec.containers[0].env;
        expect(env).toContainEqual({ name: "BACKUP_STANDBY", value: "true" });
        expect(JSON.parse(standby.read("outputs.json")).backupBucketName).toBe(
            "mcp-platform-backups-dr-123456789012-us-west-2",
        );
        expect(dataViolations(standby)).toEqual([]);
    });

    it("runs postgres-primary as a standby replaying production's WAL archive", () => {
        const postgres = manifest(standby, "statefulset-postgres-primary.yaml").spec.template.spec
            .containers[0];
        const env = Object.fromEntries(
            (postgres.env as Obj[]).filter((e) => "value" in e).map((e) => [e.name, e.value]),
        );
        // An empty volume restores production's newest base backup and gets standby.signal.
        expect(env.WAL_STANDBY).toBe("true");
        expect(env.WAL_SOURCE_URL).toBe("s3://mcp-platform-backups-dr-123456789012-us-west-2/wal");
        expect(env.WAL_ARCHIVE_URL).toBe(
            "s3://mcp-platform-backups-dr-123456789012-us-west-2/dr/wal",
        );
        expect(postgres.args).toContain("restore_command=bash /opt/mcp/ops/wal-restore.sh %f %p");
        // Its own base-backup check waits for a promotion; the archive prefixes expire by age.
        expect(manifest(standby, "cronjob-postgres-base-backup-check.yaml").spec.suspend).toBe(
            true,
        );
        const lifecycle = standby
            .resources()
            .find(
                (r) =>
                    r.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            )!.inputs.rules as Obj[];
        expect(
            lifecycle
                .filter((r) => /^(dr-)?wal$/.test(r.id))
                .map((r) => [r.filter.prefix, r.expiration.days]),
        ).toEqual([
            ["wal/", 7],
            ["dr/wal/", 7],
        ]);
    });

    it("exports the outputs production's replication reads: the dr bucket and key alias", () => {
        const outputs = JSON.parse(standby.read("outputs.json"));
        expect(outputs.backupBucketArn).toMatch(/^arn:aws:s3:::mcp-platform-backups-dr-/);
        expect(outputs.backupKmsAliasArn).toMatch(
            /^arn:aws:kms:us-west-2:\d{12}:alias\/mcp-platform-backups-dr$/,
        );
        const production = parse(
            fs.readFileSync(path.join(projectDir, "Pulumi.production.yaml"), "utf8"),
        ).config["mcp-platform:backups"].replication;
        expect(production).toEqual({ fromStack: "dr" });
    });

    it("declares the restore Job when activated, and the backups start", () => {
        expect(active.status, active.stderr).toBe(0);
        const job = manifest(active, "job-postgres-restore-activation-latest.yaml");
        expect(job.spec.template.spec.containers[0].command).toEqual([
            "/bin/bash",
            "/opt/mcp/ops/restore-postgres.sh",
        ]);
        const env = Object.fromEntries(
            job.spec.template.spec.containers[0].env.map((e: Obj) => [e.name, e.value]),
        );
        expect(env.BACKUP_BUCKET).toBe("mcp-platform-backups-dr-123456789012-us-west-2");
        expect(JSON.parse(active.read("outputs.json")).postgresRestoreJobName).toBe(
            "postgres-restore-activation-latest",
        );
        const cron = manifest(active, "cronjob-postgres-backup.yaml").spec.jobTemplate.spec.template
            .spec.containers[0].env;
        expect(cron).toContainEqual({ name: "BACKUP_STANDBY", value: "false" });
        expect(dataViolations(active)).toEqual([]);
    });
});
