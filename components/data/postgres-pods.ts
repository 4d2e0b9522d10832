import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
    dataStorePlacement,
    dataStoreUid,
    opsMount,
    opsMountPath,
    opsVolume,
    plainEnv,
    secretEnv,
} from "./data-pods";
import type { ContainerResources } from "../kit/pod-spec";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";
import { type PostgresSettings, settingsArgs } from "./postgres-tuning";
import { postgresNames } from "../../contracts/data";

type Container = k8s.types.input.core.v1.Container;
type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type Probe = k8s.types.input.core.v1.Probe;

/**
 * Pod templates of postgres-primary and postgres-replica as pure functions of plain values.
 * Both run the official PostgreSQL 15 image as its `postgres` user (UID 999) on a read-only
 * root filesystem: data on the PVC, the socket directory, /tmp and /dev/shm on emptyDirs.
 */

const dataMountPath = "/var/lib/postgresql/data";
/** A subdirectory, so the volume's lost+found never sits inside the data directory. */
export const pgdata = `${dataMountPath}/pgdata`;

/** UID of the `postgres` user in the barman-cloud image (CloudNativePG's images use 26). */
export const archiveImageUid = 26;

/** Continuous WAL archiving of the servers (docs/data.md, "WAL archive"). */
export interface PodWalArchive {
    /** s3://<bucket>/<prefix> this server archives to. */
    readonly archiveUrl: pulumi.Input<string>;
    /** s3://<bucket>/<prefix> a standby replays (restore_command). */
    readonly sourceUrl: pulumi.Input<string>;
    /** Region of the archive bucket. */
    readonly region: pulumi.Input<string>;
    /** archive_timeout, seconds. */
    readonly timeoutSeconds: number;
    /** postgres-primary starts as a standby of `sourceUrl` when its data directory is empty. */
    readonly standby: boolean;
    /** The base-backup sidecar keeps the newest base backup younger than this. */
    readonly baseBackupIntervalHours: number;
}

export interface PostgresPodSource {
    /** The server image; with `walArchive`, one that contains barman-cloud (UID 26). */
    readonly image: string;
    /** WAL archiving: archive_command, restore_command, the standby start. @default off */
    readonly walArchive?: PodWalArchive;
    readonly exporterImage: string;
    readonly resources: ContainerResources;
    readonly settings: PostgresSettings;
    readonly labels: Record<string, string>;
    /** Labels shared by primary and replica pods, for anti-affinity between them. */
    readonly familySelector: Record<string, string>;
    readonly serviceAccountName: string;
    readonly configMaps: { readonly hba: string; readonly initdb: string; readonly ops: string };
    /** Pod annotations (config checksums). */
    readonly annotations?: Record<string, string>;
}

function execProbe(command: string[], periodSeconds: number, failureThreshold: number): Probe {
    return { exec: { command }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

const ready = ["pg_isready", "-h", "/var/run/postgresql", "-p", String(postgresNames.port)];
const readyAsApp = [...ready, "-U", postgresNames.user, "-d", postgresNames.database];

/** The servers' settings and environment for WAL archiving (none without an archive). */
function walSettings(source: PostgresPodSource, role: "primary" | "replica") {
    const wal = source.walArchive;
    if (wal === undefined) return { settings: {}, env: [] };
    const script = (name: string) => `bash ${opsMountPath}/${name}`;
    return {
        settings: {
            // Replicas too: a promoted replica (failover runbook) keeps the archive going.
            archive_mode: "on",
            archive_timeout: `${wal.timeoutSeconds}s`,
            archive_command: `${script("wal-archive.sh")} %p`,
            ...(role === "primary" ? { restore_command: `${script("wal-restore.sh")} %f %p` } : {}),
        },
        env: [
            { name: "WAL_ARCHIVE_URL", value: wal.archiveUrl },
            { name: "WAL_SOURCE_URL", value: wal.sourceUrl },
            { name: "AWS_REGION", value: wal.region },
            { name: "AWS_DEFAULT_REGION", value: wal.region },
            ...plainEnv({
                WAL_SERVER_NAME: "postgres-primary",
                WAL_SOURCE_SERVER: "postgres-primary",
                WAL_STANDBY: String(role === "primary" && wal.standby),
                WORK_DIR: "/tmp",
            }),
        ],
    };
}

function postgresContainer(source: PostgresPodSource, role: "primary" | "replica"): Container {
    const wal = walSettings(source, role);
    const settings: PostgresSettings = {
        ...source.settings,
        ...wal.settings,
        listen_addresses: "*",
        hba_file: "/etc/postgresql/pg_hba.conf",
        password_encryption: "scram-sha-256",
        // A standby's queries may delay replay rather than be cancelled, up to 30 s.
        ...(role === "replica"
            ? { hot_standby: "on", hot_standby_feedback: "on", max_standby_streaming_delay: "30s" }
            : {}),
    };
    const admin = postgresNames.adminSecret;
    const env = [
        ...plainEnv({ PGDATA: pgdata, PGPORT: String(postgresNames.port) }),
        ...(role === "primary"
            ? [
                  // Read by the image's entrypoint on the first start, then by postgres-init.sh.
                  ...plainEnv({
                      POSTGRES_USER: postgresNames.superuser,
                      POSTGRES_DB: postgresNames.database,
                      POSTGRES_INITDB_ARGS: "--data-checksums --encoding=UTF8 --locale=C.UTF-8",
                      APP_USER: postgresNames.user,
                      APP_DATABASE: postgresNames.database,
                      REPLICATION_USER: postgresNames.replicationUser,
                      EXPORTER_USER: postgresNames.exporterUser,
                  }),
                  secretEnv("POSTGRES_PASSWORD", admin, "superuser-password"),
                  secretEnv("APP_PASSWORD", postgresNames.credentialsSecret, "password"),
                  secretEnv("REPLICATION_PASSWORD", admin, "replication-password"),
                  secretEnv("EXPORTER_PASSWORD", admin, "exporter-password"),
              ]
            : // The walreceiver's libpq reads the replication password from the environment.
              [secretEnv("PGPASSWORD", admin, "replication-password")]),
        ...wal.env,
    ];
    return {
        name: "postgres",
        image: source.image,
        imagePullPolicy: "IfNotPresent",
        // The barman-cloud image has no initdb entrypoint: ops/postgres-start.sh prepares an
        // empty data directory (a new cluster, or a standby from the archive) and execs postgres.
        ...(source.walArchive
            ? { command: ["/bin/bash", `${opsMountPath}/postgres-start.sh`] }
            : {}),
        args: ["postgres", ...settingsArgs(settings)],
        ports: [{ name: "postgres", containerPort: postgresNames.port, protocol: "TCP" }],
        env,
        resources: {
            requests: { ...source.resources.requests },
            limits: { ...source.resources.limits },
        },
        securityContext: restrictedContainerSecurityContext(),
        // Crash recovery or a long replay may take minutes before connections are accepted.
        startupProbe: execProbe(ready, 10, 60),
        livenessProbe: execProbe(ready, 20, 6),
        readinessProbe: execProbe(readyAsApp, 10, 3),
        volumeMounts: [
            { name: "data", mountPath: dataMountPath },
            { name: "run", mountPath: "/var/run/postgresql" },
            { name: "tmp", mountPath: "/tmp" },
            { name: "shm", mountPath: "/dev/shm" },
            { name: "hba", mountPath: "/etc/postgresql", readOnly: true },
            { name: "initdb", mountPath: "/docker-entrypoint-initdb.d", readOnly: true },
            opsMount,
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

function exporterContainer(source: PostgresPodSource): Container {
    return {
        name: "postgres-exporter",
        image: source.exporterImage,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: "metrics", containerPort: postgresNames.exporterPort, protocol: "TCP" }],
        env: [
            ...plainEnv({
                DATA_SOURCE_URI: `127.0.0.1:${postgresNames.port}/${postgresNames.database}?sslmode=disable`,
                DATA_SOURCE_USER: postgresNames.exporterUser,
            }),
            secretEnv("DATA_SOURCE_PASS", postgresNames.adminSecret, "exporter-password"),
        ],
        resources: {
            requests: { cpu: "50m", memory: "64Mi" },
            limits: { cpu: "250m", memory: "128Mi" },
        },
        securityContext: { ...restrictedContainerSecurityContext(), runAsUser: 65534 },
        livenessProbe: { tcpSocket: { port: "metrics" }, periodSeconds: 20, failureThreshold: 3 },
        readinessProbe: { tcpSocket: { port: "metrics" }, periodSeconds: 10, failureThreshold: 3 },
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/**
 * The `base-backup` sidecar of postgres-primary (ops/wal-base-backup.sh --loop): takes a base
 * backup whenever the server is a primary and the archive's newest is older than the
 * interval. barman-cloud-backup reads the data directory, so it runs here, next to it.
 */
function baseBackupContainer(source: PostgresPodSource, wal: PodWalArchive): Container {
    return {
        name: "base-backup",
        image: source.image,
        imagePullPolicy: "IfNotPresent",
        command: [
            "/bin/bash",
            `${opsMountPath}/wal-base-backup.sh`,
            "--loop",
            String(wal.baseBackupIntervalHours),
        ],
        env: [
            ...walSettings(source, "primary").env,
            ...plainEnv({
                PGDATA: pgdata,
                PGHOST: "/var/run/postgresql",
                PGPORT: String(postgresNames.port),
                PGUSER: postgresNames.superuser,
            }),
        ],
        resources: {
            requests: { cpu: "100m", memory: "256Mi" },
            limits: { cpu: source.resources.limits.cpu, memory: "1Gi" },
        },
        securityContext: restrictedContainerSecurityContext(),
        // Ready when it can reach its server; alive while its loop (PID 1) runs: a base
        // backup of a large database takes an hour, so no heartbeat deadline.
        readinessProbe: execProbe(ready, 30, 3),
        livenessProbe: execProbe(["/bin/bash", "-c", "kill -0 1"], 60, 3),
        volumeMounts: [
            { name: "data", mountPath: dataMountPath, readOnly: true },
            { name: "run", mountPath: "/var/run/postgresql" },
            { name: "tmp", mountPath: "/tmp" },
            opsMount,
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/** Init container of a replica: clone the primary once (ops/postgres-replica-bootstrap.sh). */
function bootstrapContainer(source: PostgresPodSource, primaryHost: string): Container {
    return {
        name: "bootstrap",
        image: source.image,
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/bash", `${opsMountPath}/postgres-replica-bootstrap.sh`],
        env: [
            ...plainEnv({
                PGDATA: pgdata,
                PRIMARY_HOST: primaryHost,
                PRIMARY_PORT: String(postgresNames.port),
                REPLICATION_USER: postgresNames.replicationUser,
                WORK_DIR: "/tmp",
            }),
            secretEnv("PGPASSWORD", postgresNames.adminSecret, "replication-password"),
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ],
        resources: {
            requests: { ...source.resources.requests },
            limits: { ...source.resources.limits },
        },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [
            { name: "data", mountPath: dataMountPath },
            { name: "tmp", mountPath: "/tmp" },
            opsMount,
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/** The pod template of postgres-primary, or of postgres-replica streaming from `primaryHost`. */
export function postgresPodTemplate(
    source: PostgresPodSource,
    role: "primary" | "replica",
    primaryHost = "postgres-primary",
): PodTemplateSpec {
    return {
        metadata: { labels: source.labels, annotations: source.annotations },
        spec: {
            serviceAccountName: source.serviceAccountName,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            ...dataStorePlacement,
            securityContext: restrictedPodSecurityContext(
                source.walArchive ? archiveImageUid : dataStoreUid,
            ),
            // A fast shutdown checkpoints; give it time before SIGKILL.
            terminationGracePeriodSeconds: 120,
            initContainers: role === "replica" ? [bootstrapContainer(source, primaryHost)] : [],
            containers: [
                postgresContainer(source, role),
                exporterContainer(source),
                ...(role === "primary" && source.walArchive
                    ? [baseBackupContainer(source, source.walArchive)]
                    : []),
            ],
            volumes: [
                { name: "run", emptyDir: { sizeLimit: "16Mi" } },
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
                // Parallel queries use POSIX shared memory; the runtime's default is 64Mi.
                { name: "shm", emptyDir: { medium: "Memory", sizeLimit: "1Gi" } },
                { name: "hba", configMap: { name: source.configMaps.hba } },
                {
                    name: "initdb",
                    configMap: { name: source.configMaps.initdb, defaultMode: 0o555 },
                },
                opsVolume(source.configMaps.ops),
            ],
            // Primary and replicas on different nodes, preferably different zones.
            affinity: {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        {
                            weight: 100,
                            podAffinityTerm: {
                                topologyKey: "topology.kubernetes.io/zone",
                                labelSelector: { matchLabels: source.familySelector },
                            },
                        },
                    ],
                    requiredDuringSchedulingIgnoredDuringExecution: [
                        {
                            topologyKey: "kubernetes.io/hostname",
                            labelSelector: { matchLabels: source.familySelector },
                        },
                    ],
                },
            },
        },
    };
}

/**
 * pg_hba.conf: the pod's own socket trusts local users (what `kubectl exec ... psql -U
 * mcp_user` of the manuals relies on; exec itself is RBAC-controlled), everything over the
 * network needs a SCRAM password; replication only for the replication role.
 */
export function pgHba(): string {
    return [
        "# TYPE  DATABASE     USER        ADDRESS    METHOD",
        "local   all          all                    trust",
        `host    replication  ${postgresNames.replicationUser}  0.0.0.0/0  scram-sha-256`,
        `host    replication  ${postgresNames.replicationUser}  ::/0       scram-sha-256`,
        "host    all          all         0.0.0.0/0  scram-sha-256",
        "host    all          all         ::/0       scram-sha-256",
        "",
    ].join("\n");
}

/** The entrypoint's init hook: run the role script from the ops mount. */
export const initdbHook = `#!/bin/bash
# Run by the postgres image's entrypoint on the first start of an empty data directory.
set -euo pipefail
exec ${opsMountPath}/postgres-init.sh
`;
