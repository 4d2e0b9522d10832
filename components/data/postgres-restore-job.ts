import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../kit/irsa-role";
import { jobAccessPolicy } from "./backup-policies";
import { jobPodTemplate, jobSpec } from "./backup-pods";
import { opsScripts, plainEnv, secretEnv } from "./data-pods";
import type { OidcIdentity } from "../kit/irsa";
import { standardLabels } from "../kit/labels";
import type { ContainerResources } from "../kit/pod-spec";
import { dataNamespace } from "../../contracts/names";
import { postgresClientTls, postgresTlsSecret } from "./postgres-tls";
import { postgresNames } from "../../contracts/data";

export interface PostgresRestoreAccessArgs {
    readonly region: string;
    /** The bucket holding the (replicated) backups: this stack's own. */
    readonly bucketArn: pulumi.Input<string>;
    readonly kmsKeyArn: pulumi.Input<string>;
    readonly oidc: OidcIdentity;
    /** @default "mcp-production" */
    readonly namespace?: string;
}

/** The service account the restore Job runs as; the role trusts exactly this one. */
const restoreAccountName = "postgres-restore";

/**
 * The IAM side of the restore: the IRSA role of `mcp-production/postgres-restore`, allowed
 * to read `postgres/` from this stack's backup bucket and decrypt with its key.
 *
 * Declared on the dr stack at all times, idle standby included, so activation changes only
 * Kubernetes objects: IAM is a global control plane, and a failover must neither wait for it
 * nor for a new role's trust to propagate before the Job can read the dump.
 */
export class PostgresRestoreAccess extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;

    constructor(
        name: string,
        args: PostgresRestoreAccessArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mcp-platform:data:PostgresRestoreAccess", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const role = new IrsaRole(
            `${name}-role`,
            {
                oidc: args.oidc,
                serviceAccount: { namespace, name: restoreAccountName },
                policy: pulumi.all([args.bucketArn, args.kmsKeyArn]).apply(([bucketArn, keyArn]) =>
                    jobAccessPolicy({
                        bucketArn,
                        keyArn,
                        region: args.region,
                        prefixes: ["postgres"],
                        access: "read",
                    }),
                ),
            },
            {
                parent: this,
                // The role used to be a child of the restore Job's component, declared only
                // on activation; a stack activated before the split keeps its role.
                aliases: [
                    {
                        parent: pulumi.createUrn(name, "mcp-platform:data:PostgresRestoreJob"),
                    },
                ],
            },
        );
        this.roleArn = role.roleArn;
        this.registerOutputs({ roleArn: this.roleArn });
    }
}

export interface PostgresRestoreJobArgs {
    readonly region: string;
    /** The bucket holding the (replicated) backups: this stack's own. */
    readonly bucketName: pulumi.Input<string>;
    /** {@link PostgresRestoreAccess.roleArn}: the role exists before activation. */
    readonly roleArn: pulumi.Input<string>;
    /** "latest" (postgres/latest.json) or a backup timestamp such as 20260101T020000Z. */
    readonly source: string;
    /**
     * The public keys (PEM) the backup's signatures must verify with: production's signing
     * key, whose backups replicate here, and this stack's (ops/backup-signing.sh).
     */
    readonly trustedSigningKeys: pulumi.Input<string>;
    /** Distinguishes activations: part of the Job's name. */
    readonly activationId: string;
    readonly images: { readonly postgres: string; readonly awsCli: string };
    readonly resources: ContainerResources;
    /** @default "20Gi" */
    readonly scratchSize?: string;
    /** The Job is killed (and `pulumi up` fails) after this long. @default 5400 */
    readonly activeDeadlineSeconds?: number;
    /** @default "mcp-production" */
    readonly namespace?: string;
}

/** The Job's name: `postgres-restore-<activationId>-<source>`, e.g. postgres-restore-activation-latest. */
export function restoreJobName(activationId: string, source: string): string {
    return `postgres-restore-${activationId}-${source.toLowerCase()}`;
}

/**
 * The restore of DR activation (docs/data.md, "DR activation: the restore Job"): a Job that runs
 * ops/restore-postgres.sh against postgres-primary, loading the dump that
 * `postgres/latest.json` (or the configured timestamp) names from this stack's bucket — the
 * copy replicated from production — after checking the signatures of the pointer and the
 * metadata and the dump's sha256, then comparing every table's
 * row count and checksum with the backup's metadata.
 *
 * Declared only while the dr stack is active, and only Kubernetes objects: the IAM role it
 * runs with is {@link PostgresRestoreAccess}, present before activation. `pulumi up` waits for the Job to complete (and
 * fails if it fails), so what depends on it — the dr stack's backup CronJobs — starts only
 * after the data is back. The Job is never replaced by a later update (its spec is ignored
 * once created) and keeps no TTL: a `pulumi refresh` must never find it gone and run the
 * restore a second time over newer writes. To restore again, change `activationId`.
 */
export class PostgresRestoreJob extends pulumi.ComponentResource {
    public readonly jobName: string;

    constructor(
        name: string,
        args: PostgresRestoreJobArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mcp-platform:data:PostgresRestoreJob", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const child = { parent: this };
        const accountName = restoreAccountName;
        const activeDeadlineSeconds = args.activeDeadlineSeconds ?? 5400;
        this.jobName = restoreJobName(args.activationId, args.source);
        const labels = standardLabels({ name: "postgres-restore", component: "backup" });
        const meta = (objectName: string) => ({ name: objectName, namespace, labels });

        new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            {
                metadata: meta("postgres-restore-scripts"),
                data: opsScripts(["backup-lib.sh", "backup-signing.sh", "restore-postgres.sh"]),
            },
            child,
        );
        const account = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: {
                    ...meta(accountName),
                    annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
                },
                automountServiceAccountToken: false,
            },
            child,
        );

        const template = jobPodTemplate({
            labels,
            serviceAccountName: accountName,
            opsConfigMap: "postgres-restore-scripts",
            postgresCaSecret: postgresTlsSecret,
            awsCliImage: args.images.awsCli,
            region: args.region,
            bucket: args.bucketName,
            scratchSize: args.scratchSize ?? "20Gi",
            steps: [
                {
                    name: "restore",
                    image: args.images.postgres,
                    script:
                        args.source === "latest"
                            ? ["restore-postgres.sh"]
                            : ["restore-postgres.sh", "--timestamp", args.source],
                    env: [
                        ...plainEnv({
                            PGHOST: "postgres-primary",
                            PGPORT: String(postgresNames.port),
                            PGUSER: postgresNames.user,
                            PGDATABASE: postgresNames.database,
                            // A fresh primary may still be starting; replication may still be
                            // copying the dump the pointer names.
                            PG_WAIT_SECONDS: "900",
                            RESTORE_WAIT_SECONDS: "900",
                            ...postgresClientTls(),
                        }),
                        secretEnv("PGPASSWORD", postgresNames.credentialsSecret, "password"),
                        { name: "BACKUP_TRUSTED_KEYS", value: args.trustedSigningKeys },
                    ],
                    resources: args.resources,
                },
            ],
        });
        new k8s.batch.v1.Job(
            `${name}-job`,
            {
                metadata: {
                    ...meta(this.jobName),
                    annotations: {
                        // pulumi up waits for completion up to the Job's own deadline.
                        "pulumi.com/timeoutSeconds": String(activeDeadlineSeconds + 120),
                        "mcp-platform.io/restore-source": args.source,
                    },
                },
                spec: jobSpec(template, { activeDeadlineSeconds, backoffLimit: 2 }),
            },
            {
                ...child,
                dependsOn: [account],
                ignoreChanges: ["spec"],
                customTimeouts: { create: `${Math.ceil(activeDeadlineSeconds / 60) + 2}m` },
            },
        );

        this.registerOutputs({ jobName: this.jobName });
    }
}
