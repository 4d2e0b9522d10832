import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    appDataExportRules,
    type JobLimits,
    type JobStep,
    jobPodTemplate,
    jobSpec,
} from "./backup-pods";
import { opsScripts, plainEnv, secretEnv } from "./data-pods";
import { standardLabels } from "../kit/labels";
import type { ContainerResources } from "../kit/pod-spec";
import { backupJobsPolicy, kubernetesApiPolicy } from "./backup-network";
import { redisNames, redisSentinelAddresses } from "./redis-config";
import type { DrPosture } from "../../contracts/dr-posture";
import { type BackupPrefix, backupCronJobNames, dataNamespace } from "../../contracts/names";
import { ownBackupPrefix } from "../../contracts/backups";
import { postgresClientTls, postgresTlsSecret } from "./postgres-tls";
import { redisUsers } from "./redis-acl";
import { postgresNames } from "../../contracts/data";

export interface BackupSchedules {
    readonly postgres: string;
    readonly redis: string;
    readonly appData: string;
    readonly verify: string;
}

/** The fields of a {@link DrPosture} the backup jobs act on. */
export type BackupPosture = Pick<
    DrPosture,
    "backupRoot" | "backupsOnStandby" | "verifyRoot" | "verifyWaitSeconds"
>;

/** How the backup jobs sign and check (ops/backup-signing.sh). */
export interface BackupSigningSettings {
    /** The KMS key the writers sign with (`BackupJobRoles.signingKeyArn`). */
    readonly keyArn: pulumi.Input<string>;
    /**
     * The public keys (PEM) a signature must verify with: this stack's signing key and the
     * other stack's (`trustedSigningKeys`, backup-peer.ts).
     */
    readonly trustedPublicKeys: pulumi.Input<string>;
}

export interface BackupJobsArgs {
    readonly region: string;
    /** Signing the backups' metadata and pointers, and checking them. */
    readonly signing: BackupSigningSettings;
    readonly bucketName: pulumi.Input<string>;
    /** Each job's IRSA role (`BackupJobRoles`), annotated on its ServiceAccount. */
    readonly roleArns: Readonly<Record<keyof BackupSchedules, pulumi.Input<string>>>;
    readonly schedules: BackupSchedules;
    /** Tier rules: which runs are daily, weekly, monthly (cron expressions). */
    readonly tiers: { readonly daily: string; readonly weekly: string; readonly monthly: string };
    readonly images: {
        readonly postgres: string;
        readonly redis: string;
        readonly awsCli: string;
        readonly kubectl: string;
    };
    readonly resources: ContainerResources;
    readonly verifyResources: ContainerResources;
    /** emptyDir for dumps and the scratch database. @default "20Gi" */
    readonly scratchSize?: string;
    /** backup-verify fails when the latest backup is older. @default 120 */
    readonly verifyMaxAgeMinutes?: number;
    /**
     * What the stack's DR posture decides for its backups (`drPosture()` in contracts/dr-posture.ts):
     * where its own backups go (`dr/postgres/...` on the dr stack, so production's replication
     * never overwrites them), whether the jobs run on an idle standby (they log that and write
     * nothing), which root backup-verify checks and how long it waits for replication.
     */
    readonly posture: BackupPosture;
    /** Pods of the redis StatefulSet, whose Sentinels name the primary. @default 3 */
    readonly redisReplicas?: number;
    /** Namespaces whose application objects app-data-backup exports. */
    readonly appNamespaces: readonly string[];
    /** @default "mcp-production" */
    readonly namespace?: string;
}

/** Every script a backup, verify or restore job runs. */
export const backupScripts = [
    "backup-lib.sh",
    "backup-signing.sh",
    "backup-postgres.sh",
    "backup-redis.sh",
    "backup-app-data.sh",
    "export-app-config.sh",
    "verify-backup.sh",
    "restore-postgres.sh",
    "restore-redis.sh",
];

/**
 * The backup CronJobs of mcp-production (docs/data.md): `postgres-backup`,
 * `redis-backup`, `app-data-backup` and `backup-verify`, the ConfigMap `backup-scripts`
 * holding the ops/ scripts they run, one ServiceAccount per job bound to its IRSA role
 * (backup-roles.ts: writers may put under their own prefix, never delete; verify only reads),
 * read-only RBAC for the app-data
 * export and the NetworkPolicy of the job pods. Every CronJob: UTC schedule, concurrency
 * Forbid, a starting deadline under an hour (so a late run keeps its tier), an active
 * deadline, retries, history limits and a TTL.
 */
export class BackupJobs extends pulumi.ComponentResource {
    public readonly scriptsConfigMapName: string;

    constructor(name: string, args: BackupJobsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:BackupJobs", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const posture = args.posture;
        const standby = posture.backupsOnStandby;
        const ownRoot = posture.backupRoot;
        const own = (kind: BackupPrefix) => ownBackupPrefix(kind, ownRoot);
        // Only a stack with its own root passes a prefix; the scripts default to the kind.
        const prefixEnv = (kind: BackupPrefix) =>
            ownRoot === undefined ? [] : plainEnv({ BACKUP_PREFIX: own(kind) });
        const verifyRoot = posture.verifyRoot;
        const verifyRootEnv =
            verifyRoot === undefined ? [] : plainEnv({ BACKUP_PREFIX_ROOT: verifyRoot });
        const child = { parent: this };
        const labels = standardLabels({ name: "backup", component: "backup" });
        const meta = (objectName: string, extra: Record<string, string> = {}) => ({
            name: objectName,
            namespace,
            labels: { ...labels, ...extra },
        });

        this.scriptsConfigMapName = "backup-scripts";
        new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            { metadata: meta(this.scriptsConfigMapName), data: opsScripts(backupScripts) },
            child,
        );

        const tierEnv = (ignoreHour: boolean) =>
            plainEnv({
                TIER_DAILY_SCHEDULE: args.tiers.daily,
                TIER_WEEKLY_SCHEDULE: args.tiers.weekly,
                TIER_MONTHLY_SCHEDULE: args.tiers.monthly,
                TIER_IGNORE_HOUR: String(ignoreHour),
                BACKUP_STANDBY: String(standby),
            });
        const pgEnv = [
            ...plainEnv({
                PGHOST: "postgres-primary",
                PGPORT: String(postgresNames.port),
                PGUSER: postgresNames.user,
                PGDATABASE: postgresNames.database,
                // Over TLS, verifying the server (the CA is mounted: postgresCaSecret below).
                ...postgresClientTls(),
            }),
            secretEnv("PGPASSWORD", postgresNames.credentialsSecret, "password"),
        ];
        // The Sentinels name the current primary: the snapshot always comes from it.
        const redisEnv = [
            ...plainEnv({
                REDIS_SENTINELS: redisSentinelAddresses(args.redisReplicas ?? 3, namespace),
                REDIS_SENTINEL_MASTER: redisNames.sentinelMaster,
                // Its own ACL user: finds the primary and streams a snapshot, reads no key.
                REDIS_USER: redisUsers.backup,
            }),
            secretEnv("REDISCLI_AUTH", redisNames.credentialsSecret, "backup-password"),
        ];
        // Writers sign and check what they signed; backup-verify only checks.
        const trustEnv = [{ name: "BACKUP_TRUSTED_KEYS", value: args.signing.trustedPublicKeys }];
        const signEnv = [
            { name: "BACKUP_SIGNING_KEY_ID", value: args.signing.keyArn },
            ...trustEnv,
        ];
        const images = args.images;
        const jobs: {
            key: keyof BackupSchedules;
            steps: JobStep[];
            initSteps?: JobStep[];
            limits: JobLimits;
            apiAccess?: boolean;
        }[] = [
            {
                key: "postgres",
                steps: [
                    {
                        name: "backup",
                        image: images.postgres,
                        script: ["backup-postgres.sh"],
                        env: [...pgEnv, ...tierEnv(false), ...prefixEnv("postgres"), ...signEnv],
                        resources: args.resources,
                    },
                ],
                // Under the hourly period, so two runs never overlap and a run keeps its tier.
                limits: {
                    activeDeadlineSeconds: 3000,
                    backoffLimit: 1,
                    ttlSecondsAfterFinished: 86400,
                },
            },
            {
                key: "redis",
                steps: [
                    {
                        name: "backup",
                        image: images.redis,
                        script: ["backup-redis.sh"],
                        env: [...redisEnv, ...tierEnv(false), ...prefixEnv("redis"), ...signEnv],
                        resources: args.resources,
                    },
                ],
                limits: {
                    activeDeadlineSeconds: 1800,
                    backoffLimit: 1,
                    ttlSecondsAfterFinished: 86400,
                },
            },
            {
                key: "appData",
                apiAccess: true,
                initSteps: [
                    {
                        name: "export",
                        image: images.kubectl,
                        script: ["export-app-config.sh"],
                        env: plainEnv({
                            APP_CONFIG_NAMESPACES: args.appNamespaces.join(" "),
                            APP_DATA_DIR: "/scratch/app-data/export",
                            BACKUP_STANDBY: String(standby),
                        }),
                        resources: args.resources,
                        workDir: "export-work",
                    },
                ],
                steps: [
                    {
                        name: "backup",
                        image: images.postgres,
                        script: ["backup-app-data.sh"],
                        env: [
                            ...plainEnv({ APP_DATA_DIR: "/scratch/app-data/export" }),
                            ...tierEnv(true),
                            ...prefixEnv("app-data"),
                            ...signEnv,
                        ],
                        resources: args.resources,
                    },
                ],
                limits: {
                    activeDeadlineSeconds: 1800,
                    backoffLimit: 1,
                    ttlSecondsAfterFinished: 86400,
                },
            },
            {
                key: "verify",
                steps: [
                    {
                        name: "verify-postgres",
                        image: images.postgres,
                        script: ["verify-backup.sh", "postgres", "app-data"],
                        env: [
                            ...plainEnv({
                                VERIFY_DATABASE: postgresNames.database,
                                VERIFY_MAX_AGE_SECONDS: String(
                                    (args.verifyMaxAgeMinutes ?? 120) * 60,
                                ),
                                // Replication may land a pointer before its object.
                                VERIFY_WAIT_SECONDS: String(posture.verifyWaitSeconds),
                            }),
                            ...verifyRootEnv,
                            ...trustEnv,
                        ],
                        resources: args.verifyResources,
                    },
                    {
                        name: "verify-redis",
                        image: images.redis,
                        script: ["verify-backup.sh", "redis"],
                        env: [
                            ...plainEnv({
                                VERIFY_MAX_AGE_SECONDS: String(
                                    (args.verifyMaxAgeMinutes ?? 120) * 60,
                                ),
                                VERIFY_WAIT_SECONDS: String(posture.verifyWaitSeconds),
                            }),
                            ...verifyRootEnv,
                            ...trustEnv,
                        ],
                        resources: args.resources,
                    },
                ],
                limits: {
                    activeDeadlineSeconds: 7200,
                    backoffLimit: 0,
                    ttlSecondsAfterFinished: 86400,
                },
            },
        ];

        for (const job of jobs) {
            const jobName = backupCronJobNames[job.key];
            new k8s.core.v1.ServiceAccount(
                `${name}-${jobName}`,
                {
                    metadata: {
                        ...meta(jobName),
                        annotations: { "eks.amazonaws.com/role-arn": args.roleArns[job.key] },
                    },
                    automountServiceAccountToken: false,
                },
                child,
            );
            const podLabels = standardLabels({ name: jobName, component: "backup" });
            const template = jobPodTemplate({
                labels: podLabels,
                serviceAccountName: jobName,
                opsConfigMap: this.scriptsConfigMapName,
                awsCliImage: images.awsCli,
                region: args.region,
                bucket: args.bucketName,
                scratchSize: args.scratchSize ?? "20Gi",
                steps: job.steps,
                initSteps: job.initSteps,
                apiAccess: job.apiAccess,
                // The redis image has no openssl to check signatures with.
                opensslFrom: job.steps.some((step) => step.image === images.redis)
                    ? images.postgres
                    : undefined,
                postgresCaSecret: job.key === "postgres" ? postgresTlsSecret : undefined,
            });
            new k8s.batch.v1.CronJob(
                `${name}-${jobName}`,
                {
                    metadata: { name: jobName, namespace, labels: podLabels },
                    spec: {
                        schedule: args.schedules[job.key],
                        timeZone: "Etc/UTC",
                        concurrencyPolicy: "Forbid",
                        startingDeadlineSeconds: 600,
                        successfulJobsHistoryLimit: 3,
                        failedJobsHistoryLimit: 3,
                        suspend: false,
                        jobTemplate: {
                            metadata: { labels: podLabels },
                            spec: jobSpec(template, job.limits),
                        },
                    },
                },
                child,
            );
        }

        // app-data-backup reads the application objects of every app namespace (not Secrets).
        const exportRole = new k8s.rbac.v1.ClusterRole(
            `${name}-app-data-export`,
            { metadata: { name: "mcp-app-data-export", labels }, rules: appDataExportRules },
            child,
        );
        for (const appNamespace of args.appNamespaces) {
            new k8s.rbac.v1.RoleBinding(
                `${name}-app-data-export-${appNamespace}`,
                {
                    metadata: { name: "mcp-app-data-export", namespace: appNamespace, labels },
                    roleRef: {
                        apiGroup: "rbac.authorization.k8s.io",
                        kind: "ClusterRole",
                        name: exportRole.metadata.name,
                    },
                    subjects: [
                        { kind: "ServiceAccount", name: backupCronJobNames.appData, namespace },
                    ],
                },
                child,
            );
        }

        // The jobs' traffic (backup-network.ts): HTTPS to public addresses only, and to the
        // API server for app-data-backup alone.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            { metadata: meta("backup-jobs"), spec: backupJobsPolicy(namespace) },
            child,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-kubernetes-api`,
            { metadata: meta("backup-jobs-kubernetes-api"), spec: kubernetesApiPolicy() },
            child,
        );

        this.registerOutputs({ scriptsConfigMapName: this.scriptsConfigMapName });
    }
}
