import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { contentHash, opsScripts } from "./data-pods";
import { claimSizeIgnoreChanges, growClaims } from "../kit/claim-growth";
import { selectorLabels, stableLabels, standardLabels } from "../kit/labels";
import { allowSelector, allPodsIn, podsIn, prometheusPods, tcp } from "../kit/network-policy";
import type { ContainerResources } from "../kit/pod-spec";
import { pgHba, pgIdent, type PodWalArchive, postgresPodTemplate } from "./postgres-pods";
import { postgresTls, postgresTlsSecret } from "./postgres-tls";
import { postgresTuning } from "./postgres-tuning";
import { awaitReadiness, walBacklogMb } from "./postgres-wal";
import { appNamespaces, dataNamespace, storageClassName } from "../../contracts/names";
import { serviceMonitor } from "../kit/service-monitor";
import { postgresNames } from "../../contracts/data";

export interface PostgresArgs {
    /**
     * The servers' image, from the first deploy on and whether or not `walArchive` is set:
     * PostgreSQL 15 with barman-cloud (CloudNativePG's system image), whose `postgres` user is
     * UID 26. One image and one UID for the life of the volume: turning archiving on must not
     * change who owns the data directory. (The dump, verify and restore Jobs use their own.)
     */
    readonly image: string;
    /** postgres_exporter image. */
    readonly exporterImage: string;
    /** Requests and limits of the postgres container; the tuning follows the memory limit. */
    readonly resources: ContainerResources;
    /** PVC size of each server. */
    readonly storageSize: string;
    /** StorageClass of the PVCs (encrypted gp3). @default "gp3" */
    readonly storageClass?: string;
    /** postgres-replica pods. @default 1 */
    readonly replicas?: number;
    /** @default 200 */
    readonly maxConnections?: number;
    /** @default "mcp-production" */
    readonly namespace?: string;
    /** Namespaces whose pods may connect. @default ["mcp-production", "mcp-system", "mcp-platform"] */
    readonly clientNamespaces?: readonly string[];
    /**
     * Continuous WAL archiving (docs/data.md, "WAL archive"): the servers archive to
     * `archiveUrl`, and on a dr stack postgres-primary starts as a standby of `sourceUrl`.
     * Only the settings change; the image and its user stay. @default no archiving
     */
    readonly walArchive?: Omit<PodWalArchive, "maxBacklogMb"> & {
        /** IRSA role of the `postgres` ServiceAccount (WalArchiveAccess). */
        readonly roleArn: pulumi.Input<string>;
        /**
         * Share of `storageSize`, in percent, that segments waiting for an unreachable
         * archive may take in pg_wal before they are dropped from the archive (a recorded
         * gap, docs/dr.md "When the archive is unreachable"). @default 10
         */
        readonly maxBacklogPercent?: number;
    };
    /** Resources the ServiceMonitor waits for (the chart that installs its CRD). @default [] */
    readonly serviceMonitorDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * The roles' passwords, generated outside the component (platform/secrets.ts) and kept
     * secret: the application user's, the superuser's, replication's and the exporter's, and
     * the seed of the servers' TLS CA and certificate (postgres-tls.ts).
     */
    readonly passwords: PostgresPasswords;
}

/** The passwords of the roles {@link Postgres} creates, and the seed of its TLS material. */
export interface PostgresPasswords {
    readonly app: pulumi.Input<string>;
    readonly superuser: pulumi.Input<string>;
    readonly replication: pulumi.Input<string>;
    readonly exporter: pulumi.Input<string>;
    /**
     * At least 16 characters (platform/secrets.ts generates 32) from which the CA and the
     * servers' certificate and key are derived (x509.ts): the same seed, the same
     * certificates; a new seed rotates them.
     */
    readonly tlsSeed: pulumi.Input<string>;
}

/** Pods of the backup jobs (backup-jobs.ts labels them so). */
export const backupPodLabels = { "app.kubernetes.io/component": "backup" };

/** The ConfigMap of the ops scripts the Postgres pods (and the base-backup check) mount. */
export const postgresOpsConfigMap = "postgres-ops";

/** Ops scripts the Postgres pods mount. */
const postgresOps = [
    "backup-lib.sh",
    "postgres-init.sh",
    "postgres-pitr.sh",
    "postgres-probe.sh",
    "postgres-replica-bootstrap.sh",
    "postgres-start.sh",
    "promote-replica.sh",
    "restore-postgres.sh",
    "wal-archive.sh",
    "wal-base-backup.sh",
    "wal-lib.sh",
    "wal-promote.sh",
    "wal-rearm.sh",
    "wal-restore.sh",
];

/**
 * PostgreSQL for mcp_db (docs/data.md):
 * - StatefulSet `postgres-primary` (pod postgres-primary-0) and `postgres-replica`, hot
 *   standbys cloned with pg_basebackup and streaming through a replication slot each;
 * - Services `postgres-primary` (read-write) and `postgres-replica` (read-only), headless
 *   Services for the pods, `postgres-metrics` for the postgres_exporter sidecars;
 * - the passwords it is given (platform/secrets.ts generates them) in Secrets `postgres-credentials` (mcp_user: username,
 *   password, database, host, port, url, readonly-host, readonly-url, sslmode, ca.crt) and
 *   `postgres-admin`;
 * - TLS on every TCP connection (`hostssl` only): the certificate in Secret `postgres-tls`,
 *   derived with its CA from the seed it is given (postgres-tls.ts); the exporter, the replicas
 *   and the backup jobs verify it (verify-full);
 * - the runbooks' tuning scaled to the memory limit, encrypted gp3 PVCs, a PDB, and a
 *   NetworkPolicy admitting only the app namespaces, the backup jobs and Prometheus.
 */
export class Postgres extends pulumi.ComponentResource {
    /** Read-write DNS name, e.g. postgres-primary.mcp-production.svc.cluster.local. */
    public readonly primaryHost: string;
    public readonly replicaHost: string;
    public readonly credentialsSecretName: string;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:Postgres", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const replicas = args.replicas ?? 1;
        const maxConnections = args.maxConnections ?? 200;
        const clientNamespaces = args.clientNamespaces ?? appNamespaces;
        const child = { parent: this };
        const version = args.image.split(":").pop()?.split("@")[0];
        const family = { name: "postgres", component: "database", version };
        const primary = { ...family, app: "postgres-primary", instance: "postgres-primary" };
        const replica = { ...family, app: "postgres-replica", instance: "postgres-replica" };
        const familySelector = { "app.kubernetes.io/name": "postgres" };
        const meta = (objectName: string, labels = standardLabels(family)) => ({
            name: objectName,
            namespace,
            labels,
        });
        this.primaryHost = `postgres-primary.${namespace}.svc.cluster.local`;
        this.replicaHost = `postgres-replica.${namespace}.svc.cluster.local`;
        this.credentialsSecretName = postgresNames.credentialsSecret;

        // Credentials: kept secret in state whatever the caller passed.
        const password = (role: keyof PostgresPasswords) => pulumi.secret(args.passwords[role]);
        const appPassword = password("app");
        // TLS required of every client; one that mounts `ca.crt` should use verify-full.
        const url = (host: string) =>
            pulumi.interpolate`postgresql://${postgresNames.user}:${appPassword}@${host}:${postgresNames.port}/${postgresNames.database}?sslmode=require`;
        const tls = pulumi
            .secret(args.passwords.tlsSeed)
            .apply((seed) => postgresTls(seed, namespace, replicas));
        const caCert = tls.apply((t) => t.caCert);
        new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: meta(postgresNames.credentialsSecret),
                type: "Opaque",
                stringData: {
                    username: postgresNames.user,
                    password: appPassword,
                    database: postgresNames.database,
                    host: this.primaryHost,
                    port: String(postgresNames.port),
                    url: url(this.primaryHost),
                    "readonly-host": this.replicaHost,
                    "readonly-url": url(this.replicaHost),
                    sslmode: "require",
                    // Public: the CA the servers' certificate verifies against.
                    "ca.crt": pulumi.unsecret(caCert),
                },
            },
            child,
        );
        const tlsSecret = new k8s.core.v1.Secret(
            `${name}-tls`,
            {
                metadata: meta(postgresTlsSecret),
                type: "kubernetes.io/tls",
                stringData: {
                    "tls.crt": tls.apply((t) => t.server.cert),
                    "tls.key": tls.apply((t) => t.server.key),
                    "ca.crt": pulumi.unsecret(caCert),
                },
            },
            child,
        );
        new k8s.core.v1.Secret(
            `${name}-admin`,
            {
                metadata: meta(postgresNames.adminSecret),
                type: "Opaque",
                stringData: {
                    "superuser-password": password("superuser"),
                    "replication-password": password("replication"),
                    "exporter-password": password("exporter"),
                },
            },
            child,
        );

        const hba = pgHba();
        const ident = pgIdent();
        const scripts = opsScripts(postgresOps);
        const hbaConfig = new k8s.core.v1.ConfigMap(
            `${name}-hba`,
            {
                metadata: meta("postgres-config"),
                data: { "pg_hba.conf": hba, "pg_ident.conf": ident },
            },
            child,
        );
        new k8s.core.v1.ConfigMap(
            `${name}-ops`,
            { metadata: meta(postgresOpsConfigMap), data: scripts },
            child,
        );
        new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: {
                    ...meta("postgres"),
                    ...(args.walArchive
                        ? { annotations: { "eks.amazonaws.com/role-arn": args.walArchive.roleArn } }
                        : {}),
                },
                automountServiceAccountToken: false,
            },
            child,
        );

        const settings = postgresTuning({
            memoryLimit: args.resources.limits.memory,
            maxConnections,
            storageSize: args.storageSize,
        });
        const walArchive = args.walArchive && {
            archiveUrl: args.walArchive.archiveUrl,
            sourceUrl: args.walArchive.sourceUrl,
            region: args.walArchive.region,
            timeoutSeconds: args.walArchive.timeoutSeconds,
            standby: args.walArchive.standby,
            baseBackupIntervalHours: args.walArchive.baseBackupIntervalHours,
            maxBacklogMb: walBacklogMb(args.storageSize, args.walArchive.maxBacklogPercent ?? 10),
        };
        const source = (labels: Record<string, string>) => ({
            image: args.image,
            walArchive,
            exporterImage: args.exporterImage,
            resources: args.resources,
            settings,
            labels,
            familySelector,
            serviceAccountName: "postgres",
            configMaps: { hba: "postgres-config", ops: postgresOpsConfigMap },
            tlsSecret: postgresTlsSecret,
            annotations: {
                "mcp-platform.io/config-hash": contentHash([
                    settings,
                    hba,
                    ident,
                    scripts,
                    walArchive ? [walArchive.timeoutSeconds, walArchive.standby] : [],
                ]),
            },
        });
        const claim = {
            metadata: { name: "data", labels: stableLabels(family) },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClass ?? storageClassName,
                resources: { requests: { storage: args.storageSize } },
            },
        };

        for (const [server, labels, count] of [
            [primary, standardLabels(primary), 1],
            [replica, standardLabels(replica), replicas],
        ] as const) {
            if (count === 0) continue;
            const selector = selectorLabels(server);
            const headless = `${server.app}-headless`;
            new k8s.core.v1.Service(
                `${name}-${server.app}-headless`,
                {
                    metadata: meta(headless, labels),
                    spec: {
                        clusterIP: "None",
                        publishNotReadyAddresses: true,
                        selector,
                        ports: [
                            { name: "postgres", port: postgresNames.port, targetPort: "postgres" },
                        ],
                    },
                },
                child,
            );
            new k8s.core.v1.Service(
                `${name}-${server.app}`,
                {
                    metadata: meta(server.app, labels),
                    spec: {
                        type: "ClusterIP",
                        selector,
                        ports: [
                            { name: "postgres", port: postgresNames.port, targetPort: "postgres" },
                        ],
                    },
                },
                child,
            );
            const statefulSet = new k8s.apps.v1.StatefulSet(
                `${name}-${server.app}`,
                {
                    metadata: {
                        ...meta(server.app, labels),
                        ...(awaitReadiness(args.walArchive)
                            ? {}
                            : { annotations: { "pulumi.com/skipAwait": "true" } }),
                    },
                    spec: {
                        serviceName: headless,
                        replicas: count,
                        selector: { matchLabels: selector },
                        podManagementPolicy: "OrderedReady",
                        updateStrategy: { type: "RollingUpdate" },
                        persistentVolumeClaimRetentionPolicy: {
                            whenDeleted: "Retain",
                            whenScaled: "Retain",
                        },
                        template: postgresPodTemplate(
                            source(labels),
                            server === primary ? "primary" : "replica",
                        ),
                        volumeClaimTemplates: [claim],
                    },
                },
                // retainOnDelete, not protect: the StatefulSet holds no data itself (its claims
                // do, and Kubernetes retains them, above), so removing it from the program or
                // destroying a stack that is being rebuilt leaves the database running instead
                // of deleting its pods — and nothing refuses an ordinary update. Its claims grow
                // in place (docs/data.md, "Growing a volume").
                // The certificate and pg_hba/pg_ident are in place before a pod (re)starts.
                {
                    ...child,
                    retainOnDelete: true,
                    ignoreChanges: claimSizeIgnoreChanges,
                    dependsOn: [tlsSecret, hbaConfig],
                },
            );
            growClaims(
                `${name}-${server.app}`,
                {
                    claimTemplate: claim.metadata.name,
                    statefulSet: server.app,
                    namespace,
                    replicas: count,
                    size: args.storageSize,
                },
                { parent: this, dependsOn: [statefulSet] },
            );
        }

        new k8s.core.v1.Service(
            `${name}-metrics`,
            {
                metadata: meta("postgres-metrics", {
                    ...standardLabels(family),
                    "mcp-platform.io/scrape": "postgres",
                }),
                spec: {
                    clusterIP: "None",
                    selector: familySelector,
                    ports: [
                        {
                            name: "metrics",
                            port: postgresNames.exporterPort,
                            targetPort: "metrics",
                        },
                    ],
                },
            },
            child,
        );
        serviceMonitor(
            `${name}-service-monitor`,
            {
                metadata: meta("postgres"),
                matchLabels: { "mcp-platform.io/scrape": "postgres" },
                port: "metrics",
            },
            { parent: this, dependsOn: args.serviceMonitorDependsOn ?? [] },
        );

        // At most one of primary and replicas down at a time for voluntary disruptions.
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: meta("postgres-pdb"),
                spec: { maxUnavailable: 1, selector: { matchLabels: familySelector } },
            },
            child,
        );

        new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            {
                metadata: meta("postgres"),
                spec: {
                    podSelector: allowSelector(familySelector),
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [
                        {
                            from: [
                                ...allPodsIn(clientNamespaces),
                                podsIn(namespace, backupPodLabels),
                            ],
                            ports: tcp(postgresNames.port),
                        },
                        { from: [prometheusPods], ports: tcp(postgresNames.exporterPort) },
                    ],
                    // Replicas stream from the primary (and the bootstrap clones it); with the
                    // WAL archive, the servers reach S3 and STS over HTTPS.
                    egress: [
                        {
                            to: [podsIn(namespace, { app: "postgres-primary" })],
                            ports: tcp(postgresNames.port),
                        },
                        ...(args.walArchive
                            ? [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(443) }]
                            : []),
                    ],
                },
            },
            child,
        );

        this.registerOutputs({
            primaryHost: this.primaryHost,
            replicaHost: this.replicaHost,
            credentialsSecretName: this.credentialsSecretName,
        });
    }
}
