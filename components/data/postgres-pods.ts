import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
    dataStorePlacement,
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
import {
    postgresCaPath,
    postgresClientTls,
    postgresLocalRoles,
    postgresTlsMountPath,
} from "./postgres-tls";
import { postgresNames } from "../../contracts/data";

type Container = k8s.types.input.core.v1.Container;
type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type Probe = k8s.types.input.core.v1.Probe;

/**
 * Pod templates of postgres-primary and postgres-replica as pure functions of plain values.
 * Both run one image from the first deploy on — PostgreSQL 15 with barman-cloud (CloudNativePG's
 * system image) as its `postgres` user, UID 26 — whether or not WAL archiving is configured
 * yet, so turning archiving on never changes the user that owns the data directory. The
 * container's command is ops/postgres-start.sh (the image has no initdb entrypoint); the root
 * filesystem is read-only: data on the PVC, the socket directory, /tmp and /dev/shm on emptyDirs.
 */

const dataMountPath = "/var/lib/postgresql/data";
/** A subdirectory, so the volume's lost+found never sits inside the data directory. */
export const pgdata = `${dataMountPath}/pgdata`;

/** UID of the `postgres` user in the servers' image (CloudNativePG's images use 26). */
export const postgresImageUid = 26;

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
    /**
     * MiB of segments waiting in pg_wal beyond which a failing archive_command drops them
     * from the archive (a recorded gap) instead of filling the disk (ops/wal-archive.sh).
     */
    readonly maxBacklogMb: number;
}

export interface PostgresPodSource {
    /** The servers' image: PostgreSQL 15 with barman-cloud, `postgres` is UID 26. */
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
    readonly configMaps: { readonly hba: string; readonly ops: string };
    /** The Secret with the servers' certificate, key and CA certificate (postgres-tls.ts). */
    readonly tlsSecret: string;
    /** Pod annotations (config checksums). */
    readonly annotations?: Record<string, string>;
}

function execProbe(command: string[], periodSeconds: number, failureThreshold: number): Probe {
    return { exec: { command }, periodSeconds, timeoutSeconds: 5, failureThreshold };
}

const ready = ["pg_isready", "-h", "/var/run/postgresql", "-p", String(postgresNames.port)];
const readyAsApp = [...ready, "-U", postgresNames.user, "-d", postgresNames.database];
const alive = ["/bin/bash", `${opsMountPath}/postgres-probe.sh`];

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
                WAL_ARCHIVE_MAX_BACKLOG_MB: String(wal.maxBacklogMb),
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
        ident_file: "/etc/postgresql/pg_ident.conf",
        password_encryption: "scram-sha-256",
        // TCP only over TLS (pg_hba.conf has hostssl lines only), with the derived certificate.
        ssl: "on",
        ssl_cert_file: `${postgresTlsMountPath}/tls.crt`,
        ssl_key_file: `${postgresTlsMountPath}/tls.key`,
        ssl_min_protocol_version: "TLSv1.2",
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
                  // Read by postgres-start.sh (initdb) and postgres-init.sh on the first start.
                  ...plainEnv({
                      POSTGRES_USER: postgresNames.superuser,
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
            : // The walreceiver's libpq reads the replication password, and how to verify the
              // primary, from the environment (primary_conninfo names them too).
              [
                  secretEnv("PGPASSWORD", admin, "replication-password"),
                  ...plainEnv(postgresClientTls()),
              ]),
        ...wal.env,
    ];
    return {
        name: "postgres",
        image: source.image,
        imagePullPolicy: "IfNotPresent",
        // The image has no initdb entrypoint: ops/postgres-start.sh prepares an empty data
        // directory (a new cluster, or a standby from the archive) and execs postgres.
        command: ["/bin/bash", `${opsMountPath}/postgres-start.sh`],
        args: ["postgres", ...settingsArgs(settings)],
        ports: [{ name: "postgres", containerPort: postgresNames.port, protocol: "TCP" }],
        env,
        resources: {
            requests: { ...source.resources.requests },
            limits: { ...source.resources.limits },
        },
        securityContext: restrictedContainerSecurityContext(),
        // Alive while postgres-start.sh prepares (a standby may wait hours for its first base
        // backup, a restore takes as long as the database is large) and while the server
        // answers at all, starting or replaying included; Ready only when the app can connect.
        startupProbe: execProbe(alive, 10, 30),
        livenessProbe: execProbe(alive, 20, 6),
        readinessProbe: execProbe(readyAsApp, 10, 3),
        volumeMounts: [
            { name: "data", mountPath: dataMountPath },
            { name: "run", mountPath: "/var/run/postgresql" },
            { name: "tmp", mountPath: "/tmp" },
            { name: "shm", mountPath: "/dev/shm" },
            { name: "hba", mountPath: "/etc/postgresql", readOnly: true },
            { name: "tls", mountPath: postgresTlsMountPath, readOnly: true },
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
                // Over TLS, verifying the server's certificate (its names include localhost).
                DATA_SOURCE_URI: `localhost:${postgresNames.port}/${postgresNames.database}?sslmode=verify-full&sslrootcert=${postgresCaPath}`,
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
        // The CA certificate only: the exporter never sees the servers' key.
        volumeMounts: [{ name: "tls-ca", mountPath: postgresTlsMountPath, readOnly: true }],
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

/**
 * Init container of a replica: clone the primary once (ops/postgres-replica-bootstrap.sh).
 * Where the primary itself may wait for its first base backup (a standby stack), the clone
 * waits for it without a deadline instead of failing every 10 minutes.
 */
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
                PG_WAIT_SECONDS: source.walArchive?.standby ? "0" : "600",
                ...postgresClientTls(),
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
            { name: "tls-ca", mountPath: postgresTlsMountPath, readOnly: true },
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
            securityContext: restrictedPodSecurityContext(postgresImageUid),
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
                // Root-owned, group-readable by the pod's fsGroup (26) and nothing else: what
                // PostgreSQL accepts for a key file it does not own.
                { name: "tls", secret: { secretName: source.tlsSecret, defaultMode: 0o440 } },
                {
                    name: "tls-ca",
                    secret: {
                        secretName: source.tlsSecret,
                        items: [{ key: "ca.crt", path: "ca.crt" }],
                        defaultMode: 0o444,
                    },
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
 * pg_hba.conf: the pod's socket admits the container's own OS user (`postgres`) by peer, as
 * the roles of {@link pgIdent}'s map (what `kubectl exec ... psql -U mcp_user` of the manuals
 * relies on; exec itself is RBAC-controlled); over the network only TLS (`hostssl`) with a
 * SCRAM password, replication only for the replication role. A plaintext TCP connection
 * matches no line and is refused.
 */
export function pgHba(): string {
    return [
        "# TYPE   DATABASE     USER        ADDRESS    METHOD",
        "local    all          all                    peer map=pod",
        `hostssl  replication  ${postgresNames.replicationUser}  0.0.0.0/0  scram-sha-256`,
        `hostssl  replication  ${postgresNames.replicationUser}  ::/0       scram-sha-256`,
        "hostssl  all          all         0.0.0.0/0  scram-sha-256",
        "hostssl  all          all         ::/0       scram-sha-256",
        "",
    ].join("\n");
}

/**
 * pg_ident.conf: map `pod` lets the OS user `osUser` (the image's `postgres`, UID 26) connect
 * through the socket as the superuser or the application role, and as no one else.
 */
export function pgIdent(osUser = "postgres"): string {
    return [
        "# MAPNAME  SYSTEM-USERNAME  PG-USERNAME",
        ...postgresLocalRoles.map((role) => `pod        ${osUser}         ${role}`),
        "",
    ].join("\n");
}
