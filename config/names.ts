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

/** The StorageClass of every PersistentVolumeClaim: encrypted gp3 under the cluster's key. */
export const storageClassName = "gp3";
/** The EBS volume type of that StorageClass and of the nodes' root volumes. */
export const ebsVolumeType = "gp3";

/** The Prometheus `job` every MCP service is scraped as (`up{job="mcp-services"}`). */
export const mcpServicesScrapeJob = "mcp-services";

/** Share of extra pods a rolling update may add: 25 % at a time, none taken down first. */
export const maxSurgePercent = 25;
