import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { drPosture } from "../../../contracts/dr-posture";
import {
    BackupJobs,
    type BackupJobsArgs,
    backupScripts,
} from "../../../components/data/backup-jobs";
import {
    backupJobAccess,
    BackupJobRoles,
    type BackupJobRolesArgs,
} from "../../../components/data/backup-roles";
import {
    PostgresRestoreAccess,
    PostgresRestoreJob,
    type PostgresRestoreJobArgs,
    restoreJobName,
} from "../../../components/data/postgres-restore-job";
import type { ResourceRecord } from "../../../tools/lib/records";
import { recordResources } from "../../support/pulumi";
import { projectDir } from "../../support/synth";
import { restrictedViolations } from "../../support/pod-security-standard";

type Obj = Record<string, any>;

const oidc = {
    providerArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    issuerHost: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
};
const resources = {
    requests: { cpu: "250m", memory: "512Mi" },
    limits: { cpu: "1", memory: "2Gi" },
};
/** Test stand-ins for the signing key's ARN and public key (the jobs only carry them). */
export const signing = {
    keyArn: "arn:aws:kms:us-east-1:123456789012:key/signing",
    trustedPublicKeys: "-----BEGIN PUBLIC KEY-----\nstack\n-----END PUBLIC KEY-----\n",
};
const args: BackupJobsArgs = {
    region: "us-east-1",
    bucketName: "mcp-backups",
    signing,
    roleArns: {
        postgres: "arn:aws:iam::123456789012:role/postgres-backup",
        redis: "arn:aws:iam::123456789012:role/redis-backup",
        appData: "arn:aws:iam::123456789012:role/app-data-backup",
        verify: "arn:aws:iam::123456789012:role/backup-verify",
    },
    posture: drPosture("primary", false),
    schedules: {
        postgres: "0 * * * *",
        redis: "30 * * * *",
        appData: "0 3 * * *",
        verify: "30 5 * * *",
    },
    tiers: { daily: "0 2 * * *", weekly: "0 3 * * 0", monthly: "0 4 1 * *" },
    images: {
        postgres: "postgres:15.13-bookworm",
        redis: "redis:7.2.5-bookworm",
        awsCli: "amazon/aws-cli:2.17.0",
        kubectl: "alpine/k8s:1.30.0",
    },
    resources,
    verifyResources: {
        requests: { cpu: "500m", memory: "1Gi" },
        limits: { cpu: "2", memory: "4Gi" },
    },
    appNamespaces: ["mcp-production", "mcp-system", "mcp-platform"],
};

const cronJobs = (records: ResourceRecord[]): Record<string, Obj> =>
    Object.fromEntries(
        records
            .filter((r) => r.type === "kubernetes:batch/v1:CronJob")
            .map((r) => [(r.inputs.metadata as Obj).name, r.inputs.spec as Obj]),
    );
const envOf = (container: Obj) =>
    Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe("BackupJobs", () => {
    it("declares the four CronJobs in mcp-production with their schedules and limits", async () => {
        const recorded = await recordResources(() => new BackupJobs("backup-jobs", args));
        const jobs = cronJobs(recorded.records);
        expect(Object.keys(jobs).sort()).toEqual([
            "app-data-backup",
            "backup-verify",
            "postgres-backup",
            "redis-backup",
        ]);
        expect(jobs["postgres-backup"].schedule).toBe("0 * * * *");
        expect(jobs["app-data-backup"].schedule).toBe("0 3 * * *");
        for (const [name, spec] of Object.entries(jobs)) {
            expect(spec, name).toMatchObject({
                timeZone: "Etc/UTC",
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 3,
                suspend: false,
            });
            const job = spec.jobTemplate.spec;
            expect(job.activeDeadlineSeconds, name).toBeGreaterThan(0);
            expect(job.backoffLimit, name).toBeGreaterThanOrEqual(0);
            expect(job.ttlSecondsAfterFinished, name).toBe(86400);
            const pod = job.template.spec;
            expect(await restrictedViolations(pod), name).toEqual([]);
            expect(pod.restartPolicy).toBe("Never");
            expect(pod.serviceAccountName).toBe(name);
            expect(job.template.metadata.labels["app.kubernetes.io/component"]).toBe("backup");
            for (const container of [...pod.containers, ...pod.initContainers]) {
                expect(container.securityContext.readOnlyRootFilesystem, container.name).toBe(true);
                expect(container.resources.limits.memory, container.name).toMatch(/i$/);
            }
        }
        // The hourly dump finishes (or is killed) before the next one is due.
        expect(jobs["postgres-backup"].jobTemplate.spec.activeDeadlineSeconds).toBeLessThan(3600);
    });

    it("runs the scripts of ops/ from the backup-scripts ConfigMap, byte for byte", async () => {
        const recorded = await recordResources(() => new BackupJobs("backup-jobs", args));
        const data = (
            recorded.one("kubernetes:core/v1:ConfigMap", "backup-jobs-scripts").inputs as Obj
        ).data;
        expect(Object.keys(data).sort()).toEqual([...backupScripts].sort());
        for (const script of backupScripts) {
            expect(data[script], script).toBe(
                fs.readFileSync(path.join(projectDir, "ops", script), "utf8"),
            );
        }
        const jobs = cronJobs(recorded.records);
        const commands = Object.fromEntries(
            Object.entries(jobs).map(([name, spec]) => [
                name,
                (spec.jobTemplate.spec.template.spec.containers as Obj[]).map((c) =>
                    c.command.slice(1).join(" "),
                ),
            ]),
        );
        expect(commands).toEqual({
            "postgres-backup": ["/opt/mcp/ops/backup-postgres.sh"],
            "redis-backup": ["/opt/mcp/ops/backup-redis.sh"],
            "app-data-backup": ["/opt/mcp/ops/backup-app-data.sh"],
            "backup-verify": [
                "/opt/mcp/ops/verify-backup.sh postgres app-data",
                "/opt/mcp/ops/verify-backup.sh redis",
            ],
        });
        const dump = envOf(jobs["postgres-backup"].jobTemplate.spec.template.spec.containers[0]);
        expect(dump).toMatchObject({
            PGHOST: "postgres-primary",
            PGUSER: "mcp_user",
            PGDATABASE: "mcp_db",
            PGPASSWORD: { secretKeyRef: { name: "postgres-credentials", key: "password" } },
            BACKUP_BUCKET: "mcp-backups",
            TIER_DAILY_SCHEDULE: "0 2 * * *",
            TIER_IGNORE_HOUR: "false",
            BACKUP_STANDBY: "false",
        });
        const appData = envOf(jobs["app-data-backup"].jobTemplate.spec.template.spec.containers[0]);
        expect(appData.TIER_IGNORE_HOUR).toBe("true");
    });

    it("binds each job's ServiceAccount to its own role and creates no AWS resource", async () => {
        const recorded = await recordResources(() => new BackupJobs("backup-jobs", args));
        for (const [key, job] of [
            ["postgres", "postgres-backup"],
            ["verify", "backup-verify"],
        ] as const) {
            const account = recorded.one("kubernetes:core/v1:ServiceAccount", `backup-jobs-${job}`)
                .inputs as Obj;
            expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(
                args.roleArns[key],
            );
            expect(account.automountServiceAccountToken).toBe(false);
        }
        expect(recorded.records.filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    });
});

describe("BackupJobRoles", () => {
    const roleArgs: BackupJobRolesArgs = {
        region: "us-east-1",
        bucketArn: "arn:aws:s3:::mcp-backups",
        kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
        oidc,
        posture: drPosture("primary", false),
    };

    it("gives each job an IRSA role limited to its prefix: writers never delete, verify only reads", async () => {
        const recorded = await recordResources(() => new BackupJobRoles("backup-jobs", roleArgs));
        const policies = Object.fromEntries(
            recorded
                .ofType("aws:iam/rolePolicy:RolePolicy")
                .map((p) => [p.name, JSON.parse(p.inputs.policy as string).Statement as Obj[]]),
        );
        const objects = (name: string) =>
            policies[`backup-jobs-${name}-policy`].find(
                (s) => s.Sid === "ObjectsUnderOwnPrefixes",
            )!;
        expect(objects("postgres-backup").Resource).toEqual([
            "arn:aws:s3:::mcp-backups/postgres/*",
        ]);
        expect(objects("redis-backup").Resource).toEqual(["arn:aws:s3:::mcp-backups/redis/*"]);
        expect(objects("app-data-backup").Resource).toEqual([
            "arn:aws:s3:::mcp-backups/app-data/*",
        ]);
        expect(objects("backup-verify").Action).toEqual(["s3:GetObject"]);
        for (const statements of Object.values(policies)) {
            const actions = statements.flatMap((s) => [s.Action].flat());
            expect(actions.filter((a) => /Delete|\*/.test(a))).toEqual([]);
        }
        const trust = JSON.parse(
            recorded.one("aws:iam/role:Role", "backup-jobs-postgres-backup-role").inputs
                .assumeRolePolicy as string,
        );
        expect(trust.Statement[0].Condition.StringEquals[`${oidc.issuerHost}:sub`]).toBe(
            "system:serviceaccount:mcp-production:postgres-backup",
        );
    });

    it("keeps the roles' identity from when BackupJobs declared them (an alias, no replacement)", async () => {
        const recorded = await recordResources(() => new BackupJobRoles("backup-jobs", roleArgs));
        const role = recorded.one("mcp-platform:iam:IrsaRole", "backup-jobs-postgres-backup");
        expect(JSON.stringify(role.options?.aliases)).toContain("mcp-platform:data:BackupJobs");
    });

    it("lets the dr stack's writers reach only dr/ and an activated verify read dr/", () => {
        expect(backupJobAccess(drPosture("standby", false)).postgres.prefixes).toEqual([
            "dr/postgres",
        ]);
        expect(backupJobAccess(drPosture("standby", true)).verify.prefixes).toEqual([
            "dr/postgres",
            "dr/redis",
            "dr/app-data",
        ]);
        expect(backupJobAccess(drPosture("primary", false)).verify.prefixes).toEqual([
            "postgres",
            "redis",
            "app-data",
        ]);
    });
});

describe("BackupJobs: the app-data export and the posture", () => {
    it("exports application objects with read-only RBAC that never reaches Secrets", async () => {
        const recorded = await recordResources(() => new BackupJobs("backup-jobs", args));
        const role = recorded.one(
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "backup-jobs-app-data-export",
        ).inputs as Obj;
        for (const rule of role.rules) {
            expect(rule.verbs).toEqual(["list"]);
            expect(rule.resources).not.toContain("secrets");
            expect(rule.resources).not.toContain("*");
        }
        const bindings = recorded.ofType("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
        expect(bindings.map((b) => (b.inputs.metadata as Obj).namespace).sort()).toEqual([
            "mcp-platform",
            "mcp-production",
            "mcp-system",
        ]);
        const pod = cronJobs(recorded.records)["app-data-backup"].jobTemplate.spec.template.spec;
        expect(pod.automountServiceAccountToken).toBe(true);
        expect(pod.initContainers.map((c: Obj) => c.name)).toEqual(["aws-cli", "export"]);
    });

    it("makes a standby stack's backups do nothing and its verify wait for replication", async () => {
        const recorded = await recordResources(
            () => new BackupJobs("backup-jobs", { ...args, posture: drPosture("standby", false) }),
        );
        const jobs = cronJobs(recorded.records);
        for (const name of ["postgres-backup", "redis-backup", "app-data-backup"]) {
            expect(
                envOf(jobs[name].jobTemplate.spec.template.spec.containers[0]).BACKUP_STANDBY,
                name,
            ).toBe("true");
            expect(jobs[name].suspend, name).toBe(false);
        }
        const verify = envOf(jobs["backup-verify"].jobTemplate.spec.template.spec.containers[0]);
        expect(verify.VERIFY_WAIT_SECONDS).toBe("900");
        expect(verify.VERIFY_MAX_AGE_SECONDS).toBe("7200");
    });
});

describe("PostgresRestoreJob", () => {
    const restoreArgs: PostgresRestoreJobArgs = {
        region: "us-west-2",
        bucketName: "mcp-backups-dr",
        roleArn: "arn:aws:iam::123456789012:role/postgres-restore",
        source: "latest",
        activationId: "activation",
        trustedSigningKeys: signing.trustedPublicKeys,
        images: { postgres: "postgres:15.13-bookworm", awsCli: "amazon/aws-cli:2.17.0" },
        resources,
    };

    it("restores the latest replicated dump into postgres-primary, under a name per activation", async () => {
        const recorded = await recordResources(
            () => new PostgresRestoreJob("postgres-restore", restoreArgs),
        );
        const job = recorded.one("kubernetes:batch/v1:Job", "postgres-restore-job").inputs as Obj;
        expect(job.metadata.name).toBe("postgres-restore-activation-latest");
        expect(job.metadata.namespace).toBe("mcp-production");
        expect(job.metadata.annotations["pulumi.com/timeoutSeconds"]).toBe("5520");
        expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
        const pod = job.spec.template.spec;
        expect(await restrictedViolations(pod)).toEqual([]);
        expect(pod.containers[0].command).toEqual([
            "/bin/bash",
            "/opt/mcp/ops/restore-postgres.sh",
        ]);
        expect(envOf(pod.containers[0])).toMatchObject({
            PGHOST: "postgres-primary",
            PGDATABASE: "mcp_db",
            BACKUP_BUCKET: "mcp-backups-dr",
        });
        const account = recorded.one(
            "kubernetes:core/v1:ServiceAccount",
            "postgres-restore-service-account",
        ).inputs as Obj;
        expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).toBe(
            restoreArgs.roleArn,
        );
        // Only Kubernetes objects: the role comes from PostgresRestoreAccess.
        expect(
            recorded.records.filter((r) => r.custom && !r.type.startsWith("kubernetes:")),
        ).toEqual([]);
    });

    it("grants the restore role read access to postgres/ only, for the Job's service account", async () => {
        const recorded = await recordResources(
            () =>
                new PostgresRestoreAccess("postgres-restore", {
                    region: "us-west-2",
                    bucketArn: "arn:aws:s3:::mcp-backups-dr",
                    kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/k",
                    oidc,
                }),
        );
        const policy = JSON.parse(
            recorded.one("aws:iam/rolePolicy:RolePolicy", "postgres-restore-role-policy").inputs
                .policy as string,
        );
        expect(
            policy.Statement.find((s: Obj) => s.Sid === "ObjectsUnderOwnPrefixes"),
        ).toMatchObject({
            Action: ["s3:GetObject"],
            Resource: ["arn:aws:s3:::mcp-backups-dr/postgres/*"],
        });
        const trust = JSON.parse(
            recorded.one("aws:iam/role:Role", "postgres-restore-role-role").inputs
                .assumeRolePolicy as string,
        );
        expect(JSON.stringify(trust)).toContain(
            "system:serviceaccount:mcp-production:postgres-restore",
        );
    });

    it("restores a chosen timestamp under its own name", async () => {
        expect(restoreJobName("2026-01-15", "20260115T020000Z")).toBe(
            "postgres-restore-2026-01-15-20260115t020000z",
        );
        const recorded = await recordResources(
            () =>
                new PostgresRestoreJob("postgres-restore", {
                    ...restoreArgs,
                    source: "20260115T020000Z",
                }),
        );
        const job = recorded.one("kubernetes:batch/v1:Job", "postgres-restore-job").inputs as Obj;
        expect(job.metadata.name).toBe("postgres-restore-activation-20260115t020000z");
        expect(job.spec.template.spec.containers[0].command).toEqual([
            "/bin/bash",
            "/opt/mcp/ops/restore-postgres.sh",
            "--timestamp",
            "20260115T020000Z",
        ]);
    });
});
