/**
 * Names that several parts of the platform rely on — components, the alert catalog, the
 * dashboards, the DR tool and the operators' procedures — defined once here and imported.
 * test/config/names.test.ts checks that the synth's output carries them.
 */

/** The application namespaces, each restricted and default-deny (docs/workloads.md). */
export const productionNamespace = "mcp-production";
export const systemNamespace = "mcp-system";
export const platformNamespace = "mcp-platform";
export const appNamespaces = [productionNamespace, systemNamespace, platformNamespace] as const;

/** Where the data layer (postgres-primary, postgres-replica, redis), its backups and `mcp-secrets` live. */
export const dataNamespace = productionNamespace;
/** Where `mcp-semantic-config` lives, beside the semantic control plane. */
export const semanticConfigNamespace = systemNamespace;

/** The backup CronJobs, by their key in `mcp-platform:backups.schedules` (names operators type). */
export const backupCronJobNames = {
    postgres: "postgres-backup",
    redis: "redis-backup",
    appData: "app-data-backup",
    verify: "backup-verify",
    /** Checks that the WAL archive's newest base backup is recent (components/data/wal-archive.ts). */
    walBaseBackupCheck: "postgres-base-backup-check",
} as const;

/** The backup bucket's top-level prefixes, one per kind of backup. */
export const backupPrefixes = ["postgres", "redis", "app-data"] as const;
export type BackupPrefix = (typeof backupPrefixes)[number];
/** The dr stack writes its own backups under this root, out of production's replication. */
export const backupRootOfStandby = "dr";

/**
 * How clients reach the Redis primary (docs/data.md): through the Service `redis` on 6379,
 * which always leads to the server the Sentinels name as the primary (key `url` of the Secret
 * `redis-credentials`, in the data namespace, is the whole URL); or, for Sentinel-aware
 * clients, by asking a Sentinel behind `redis-sentinel` for the master `mcp-cache`. The
 * password is key `password` of the same Secret.
 */
export const redisDiscovery = {
    primaryService: "redis",
    port: 6379,
    sentinelService: "redis-sentinel",
    sentinelPort: 26379,
    sentinelMaster: "mcp-cache",
    credentialsSecret: "redis-credentials",
} as const;

/** The StorageClass of every PersistentVolumeClaim: encrypted gp3 under the cluster's key. */
export const storageClassName = "gp3";
/** The EBS volume type of that StorageClass and of the nodes' root volumes. */
export const ebsVolumeType = "gp3";

/** The Prometheus `job` every MCP service is scraped as (`up{job="mcp-services"}`). */
export const mcpServicesScrapeJob = "mcp-services";

/** Share of extra pods a rolling update may add: 25 % at a time, none taken down first. */
export const maxSurgePercent = 25;

/**
 * The Karpenter NodePool of the data stores (Postgres, Redis): on-demand nodes labelled
 * `mcp-platform.io/node-pool=data-stores` and tainted so nothing else lands there; the data
 * stores' pods select the label and tolerate the taint.
 */
export const dataStoreNodePool = {
    name: "data-stores",
    labelKey: "mcp-platform.io/node-pool",
    taint: { key: "mcp-platform.io/data-store", value: "true", effect: "NoSchedule" },
} as const;

/** The EKS cluster of an environment; operators type it (`--cluster=mcp-production`). */
export function clusterName(environment: string): string {
    return `mcp-${environment}`;
}

/** Port every MCP service serves Prometheus metrics on (the metrics contract). */
export const serviceMetricsPort = 9090;

/** The tag Karpenter discovers the node subnets and security groups by (value: the cluster). */
export const karpenterDiscoveryTag = "karpenter.sh/discovery";

/** The label every managed node carries: `mcp-platform.io/node-group=<system|workload>`. */
export const nodeGroupLabel = "mcp-platform.io/node-group";

/** The HTTP paths every MCP service answers its probes on (liveness and readiness). */
export const serviceHealthPaths = { live: "/health/live", ready: "/health/ready" } as const;

/**
 * `mcp release` (docs/operations.md#releases): the label its smoke-test Job's pods carry, with
 * the service's name as value (the service's NetworkPolicy admits them on its port, and the
 * NetworkPolicy `<service>-smoke-test` lets them out to it), and the Deployment annotation that
 * records what a release replaced, so a failed release or `mcp release rollback` restores it.
 */
export const smokeTestLabel = "mcp-platform.io/smoke-test";
export const releaseAnnotation = "mcp-platform.io/release";
