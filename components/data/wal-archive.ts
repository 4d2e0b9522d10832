import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../kit/irsa-role";
import type { OidcIdentity } from "../kit/irsa";
import { standardLabels } from "../kit/labels";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";
import type { ContainerResources } from "../kit/pod-spec";
import { walArchivePolicy } from "./backup-policies";
import { opsMount, opsMountPath, opsVolume } from "./data-pods";
import { archiveImageUid } from "./postgres-pods";
import { backupPodLabels, postgresOpsConfigMap } from "./postgres";
import { backupCronJobNames, dataNamespace } from "../../contracts/names";

/** The ServiceAccount of the postgres pods (postgres.ts creates it with this role's ARN). */
export const postgresServiceAccount = "postgres";
/** The CronJob checking that the archive's newest base backup is recent. */
const baseBackupCheckCronJob = backupCronJobNames.walBaseBackupCheck;

/** Where the archive lives and which prefixes this stack writes and reads. */
export interface WalArchiveLocation {
    /** ARN of the bucket holding the archives (the dr region's backup bucket). */
    readonly bucketArn: pulumi.Input<string>;
    /** Its KMS key: key or alias ARN. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Region of that bucket. */
    readonly region: pulumi.Input<string>;
    /** This stack's servers archive under this prefix (`wal` or `dr/wal`). */
    readonly archivePrefix: string;
    /** Its standby and PITR read this prefix (the other stack's archive). */
    readonly sourcePrefix: string;
}

/** `s3://<bucket>/<prefix>` of a bucket ARN. */
export function archiveUrl(bucketArn: pulumi.Input<string>, prefix: string): pulumi.Output<string> {
    return pulumi.output(bucketArn).apply((arn) => `s3://${arn.split(":::")[1]}/${prefix}`);
}

export interface WalArchiveAccessArgs extends WalArchiveLocation {
    readonly oidc: OidcIdentity;
    /** @default "mcp-production" */
    readonly namespace?: string;
}

/**
 * The IRSA role of the postgres pods' ServiceAccount: archive_command and the base backups
 * write under `archivePrefix`, a standby's restore_command reads `sourcePrefix`, in the dr
 * region's bucket and with its key. No delete (the bucket's lifecycle rule expires the
 * archive). Exists before the StatefulSets so their first archived segment can be uploaded.
 */
export class WalArchiveAccess extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    /** Read-only role of postgres-base-backup-check (lists the base backups). */
    public readonly checkRoleArn: pulumi.Output<string>;

    constructor(name: string, args: WalArchiveAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:WalArchiveAccess", name, {}, opts);
        // One IRSA role per ServiceAccount, each limited to the prefixes it needs.
        const archiveRole = (
            suffix: string,
            serviceAccount: string,
            prefixes: { writePrefix?: string; readPrefixes: string[] },
        ) =>
            new IrsaRole(
                `${name}-${suffix}`,
                {
                    oidc: args.oidc,
                    serviceAccount: {
                        namespace: args.namespace ?? dataNamespace,
                        name: serviceAccount,
                    },
                    policy: pulumi
                        .all([args.bucketArn, args.kmsKeyArn, args.region])
                        .apply(([bucketArn, keyArn, region]) =>
                            walArchivePolicy({ bucketArn, keyArn, region, ...prefixes }),
                        ),
                },
                { parent: this },
            );
        const role = archiveRole("role", postgresServiceAccount, {
            writePrefix: args.archivePrefix,
            readPrefixes: [args.sourcePrefix],
        });
        const check = archiveRole("check-role", baseBackupCheckCronJob, {
            readPrefixes: [args.archivePrefix],
        });
        this.roleArn = role.roleArn;
        this.checkRoleArn = check.roleArn;
        this.registerOutputs({ roleArn: this.roleArn, checkRoleArn: this.checkRoleArn });
    }
}

export interface WalBaseBackupCheckArgs {
    /** The barman-cloud image (data.postgres.archive.image). */
    readonly image: string;
    /** s3://<bucket>/<prefix> of this stack's archive. */
    readonly archiveUrl: pulumi.Input<string>;
    readonly region: pulumi.Input<string>;
    /** IRSA role of the check's ServiceAccount (WalArchiveAccess.checkRoleArn). */
    readonly roleArn: pulumi.Input<string>;
    /** The newest base backup may be this old (the sidecar's interval plus a grace). */
    readonly maxAgeHours: number;
    readonly resources: ContainerResources;
    /** An idle standby takes no base backups (its server is a standby). */
    readonly suspend: boolean;
    /** @default "mcp-production" */
    readonly namespace?: string;
}

/**
 * `postgres-base-backup-check`: every 30 minutes, fails unless the archive's newest base
 * backup is younger than `maxAgeHours` (ops/wal-base-backup.sh --check). The base backups
 * themselves are taken by the `base-backup` sidecar of postgres-primary, next to the data
 * directory barman-cloud-backup copies; this CronJob's last success is what
 * PostgresBaseBackupStale watches (kube_cronjob_status_last_successful_time).
 */
export class WalBaseBackupCheck extends pulumi.ComponentResource {
    constructor(
        name: string,
        args: WalBaseBackupCheckArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mcp-platform:data:WalBaseBackupCheck", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const child = { parent: this };
        const labels = standardLabels({ name: baseBackupCheckCronJob, component: "backup" });
        const meta = { name: baseBackupCheckCronJob, namespace, labels };
        new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: { ...meta, annotations: { "eks.amazonaws.com/role-arn": args.roleArn } },
                automountServiceAccountToken: false,
            },
            child,
        );
        const podLabels = { ...labels, ...backupPodLabels };
        new k8s.batch.v1.CronJob(
            `${name}-cron-job`,
            {
                metadata: meta,
                spec: {
                    schedule: "*/30 * * * *",
                    timeZone: "Etc/UTC",
                    concurrencyPolicy: "Forbid",
                    startingDeadlineSeconds: 600,
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    suspend: args.suspend,
                    jobTemplate: {
                        metadata: { labels: podLabels },
                        spec: {
                            backoffLimit: 1,
                            activeDeadlineSeconds: 600,
                            ttlSecondsAfterFinished: 86400,
                            template: {
                                metadata: { labels: podLabels },
                                spec: {
                                    serviceAccountName: baseBackupCheckCronJob,
                                    automountServiceAccountToken: false,
                                    enableServiceLinks: false,
                                    restartPolicy: "Never",
                                    securityContext: restrictedPodSecurityContext(archiveImageUid),
                                    containers: [
                                        {
                                            name: "check",
                                            image: args.image,
                                            imagePullPolicy: "IfNotPresent",
                                            command: [
                                                "/bin/bash",
                                                `${opsMountPath}/wal-base-backup.sh`,
                                                "--check",
                                                String(args.maxAgeHours),
                                            ],
                                            env: [
                                                { name: "WAL_ARCHIVE_URL", value: args.archiveUrl },
                                                { name: "AWS_REGION", value: args.region },
                                                { name: "AWS_DEFAULT_REGION", value: args.region },
                                                {
                                                    name: "WAL_SERVER_NAME",
                                                    value: "postgres-primary",
                                                },
                                                { name: "WORK_DIR", value: "/tmp" },
                                            ],
                                            resources: {
                                                requests: { cpu: "50m", memory: "128Mi" },
                                                limits: {
                                                    cpu: args.resources.limits.cpu,
                                                    memory: "256Mi",
                                                },
                                            },
                                            securityContext: restrictedContainerSecurityContext(),
                                            volumeMounts: [
                                                { name: "tmp", mountPath: "/tmp" },
                                                opsMount,
                                            ],
                                            terminationMessagePolicy: "FallbackToLogsOnError",
                                        },
                                    ],
                                    volumes: [
                                        { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                                        opsVolume(postgresOpsConfigMap),
                                    ],
                                },
                            },
                        },
                    },
                },
            },
            child,
        );
        this.registerOutputs({});
    }
}
