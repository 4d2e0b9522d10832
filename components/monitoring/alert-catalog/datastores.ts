import { backupCronJobNames, dataNamespace } from "../../../contracts/names";
import type { RuleGroup } from "./types";
import { certificateThresholds } from "../../../contracts/monitoring";

/**
 * Postgres (postgres_exporter sidecar of postgres-primary / postgres-replica) and Redis
 * (redis_exporter sidecar of every redis pod: one primary, replicas, Sentinel failover), in the
 * spirit of the exporters' community alerts.
 */
export const datastoreThresholds = {
    /** Database failover runbook: replication lag > 5 minutes. */
    replicationLagSeconds: 300,
    /** Connections near max_connections. */
    connectionsWarning: 0.8,
    connectionsCritical: 0.95,
    /** Redis used memory against maxmemory. */
    redisMemory: 0.9,
    /**
     * A dr standby replaying the WAL archive: seconds since its last replayed commit. Healthy
     * it stays within archive_timeout (30 s) plus a restore; above 3 minutes an activation
     * would lose more than the 60 s RPO.
     */
    standbyReplayLagSeconds: 180,
    /** postgres-base-backup-check runs every 30 minutes; an hour without success is stale. */
    baseBackupCheckStaleSeconds: 3600,
} as const;

const t = datastoreThresholds;
/** Rows written in the last 10 minutes: the server produced WAL that must reach the archive. */
const writing =
    'on (namespace, instance) (sum by (namespace, instance) (rate({__name__=~"pg_stat_database_tup_(inserted|updated|deleted)"}[10m])) > 0)';
const baseBackupCheck = `namespace="${dataNamespace}", cronjob="${backupCronJobNames.walBaseBackupCheck}"`;
const connectionRatio =
    "sum by (namespace, instance) (pg_stat_activity_count) / max by (namespace, instance) (pg_settings_max_connections)";

export const postgresGroup: RuleGroup = {
    name: "postgres",
    rules: [
        {
            alert: "PostgresDown",
            expr: "pg_up == 0",
            for: "1m",
            labels: { severity: "critical" },
            annotations: {
                summary: "PostgreSQL is down.",
                description:
                    "postgres_exporter at {{ $labels.instance }} ({{ $labels.namespace }}) cannot reach its PostgreSQL server.",
            },
        },
        {
            alert: "PostgresReplicationLag",
            expr: `pg_replication_lag_seconds > ${t.replicationLagSeconds}`,
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "A PostgreSQL replica lags more than 5 minutes behind the primary.",
                description:
                    "Replica {{ $labels.instance }} ({{ $labels.namespace }}) is {{ $value | humanizeDuration }} behind the primary (failover criterion: more than 5 minutes).",
            },
        },
        {
            alert: "PostgresTooManyConnections",
            expr: `${connectionRatio} > ${t.connectionsCritical}`,
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "PostgreSQL is about to run out of connections.",
                description:
                    "{{ $labels.instance }} ({{ $labels.namespace }}) uses {{ $value | humanizePercentage }} of max_connections (critical above 95%).",
            },
        },
        {
            alert: "PostgresTooManyConnections",
            expr: `${connectionRatio} > ${t.connectionsWarning}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "PostgreSQL connections are near max_connections.",
                description:
                    "{{ $labels.instance }} ({{ $labels.namespace }}) uses {{ $value | humanizePercentage }} of max_connections (warning above 80% for 5m).",
            },
        },
        // The continuous WAL archive (docs/data.md, "WAL archive"): pg_stat_archiver through
        // postgres_exporter's default stat_archiver collector (pg_stat_archiver_failed_count,
        // _archived_count, _last_archive_age) and archive_timeout from its pg_settings.
        {
            alert: "PostgresWalArchivingFailing",
            expr: "increase(pg_stat_archiver_failed_count[5m]) > 0",
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
                summary: "PostgreSQL fails to archive WAL.",
                description:
                    "archive_command of {{ $labels.instance }} ({{ $labels.namespace }}) failed {{ $value | humanize }} times in the last 5 minutes, for 5 minutes: the DR standby falls behind and pg_wal grows on the primary.",
            },
        },
        {
            alert: "PostgresWalArchiveStale",
            expr: `pg_stat_archiver_last_archive_age > ignoring (server) 2 * pg_settings_archive_timeout_seconds\nand ${writing}`,
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "The newest archived WAL is older than twice archive_timeout.",
                description:
                    "{{ $labels.instance }} ({{ $labels.namespace }}) last archived a WAL segment {{ $value | humanizeDuration }} ago while rows are being written: the RPO of a DR activation is growing.",
            },
        },
        {
            alert: "PostgresStandbyReplayLagging",
            expr: `pg_replication_lag_seconds{pod=~"postgres-primary-.*"} > ${t.standbyReplayLagSeconds}\nand on (namespace, instance) pg_replication_is_replica == 1`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
                summary: "The DR standby replays the WAL archive more than 3 minutes behind.",
                description:
                    "Standby {{ $labels.instance }} ({{ $labels.namespace }}) last replayed a commit {{ $value | humanizeDuration }} ago (above 3 minutes for 5m): an activation now would lose more than the 60 s RPO, or the archive has a gap.",
            },
        },
        {
            alert: "PostgresBaseBackupStale",
            expr: [
                "(",
                `  time() - kube_cronjob_status_last_successful_time{${baseBackupCheck}} > ${t.baseBackupCheckStaleSeconds}`,
                "  or",
                `  (time() - kube_cronjob_created{${baseBackupCheck}} > ${t.baseBackupCheckStaleSeconds}`,
                `    unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${baseBackupCheck}})`,
                ")",
                `unless on (namespace, cronjob) (kube_cronjob_spec_suspend{${baseBackupCheck}} == 1)`,
            ].join("\n"),
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The WAL archive has no recent base backup.",
                description:
                    "CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} has not confirmed a recent base backup for more than 1h: the base-backup sidecar of postgres-primary-0 is failing, and a new standby or a PITR would replay more WAL.",
            },
        },
    ],
};

export const redisGroup: RuleGroup = {
    name: "redis",
    rules: [
        {
            alert: "RedisDown",
            expr: "redis_up == 0",
            for: "1m",
            labels: { severity: "critical" },
            annotations: {
                summary: "Redis is down.",
                description:
                    "redis_exporter at {{ $labels.instance }} ({{ $labels.namespace }}) cannot reach its Redis server.",
            },
        },
        {
            alert: "RedisNoPrimary",
            // Servers answer, none of them a master: Sentinel has not (or cannot) promote.
            expr: 'count by (namespace) (redis_instance_info) unless count by (namespace) (redis_instance_info{role="master"})',
            for: "1m",
            labels: { severity: "critical" },
            annotations: {
                summary: "No Redis server is the primary.",
                description:
                    "{{ $value }} Redis servers answer in {{ $labels.namespace }} but none is the primary for a minute: writes to the cache fail and Sentinel has not promoted a replica.",
            },
        },
        {
            alert: "RedisMultiplePrimaries",
            expr: 'count by (namespace) (redis_instance_info{role="master"}) > 1',
            for: "1m",
            labels: { severity: "critical" },
            annotations: {
                summary: "More than one Redis server is a primary.",
                description:
                    "{{ $value }} Redis servers in {{ $labels.namespace }} call themselves primary for a minute (split brain): clients may write to a server that Sentinel will demote, losing those writes.",
            },
        },
        {
            alert: "RedisReplicaLinkDown",
            expr: "redis_master_link_up == 0",
            for: "2m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A Redis replica has lost its primary.",
                description:
                    "Redis replica {{ $labels.instance }} ({{ $labels.namespace }}) has had no link to its primary for 2 minutes: it serves stale data and cannot take over with the latest writes.",
            },
        },
        {
            alert: "RedisMemoryHigh",
            expr: `redis_memory_used_bytes / redis_memory_max_bytes > ${t.redisMemory} and redis_memory_max_bytes > 0`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "Redis uses more than 90% of its maxmemory.",
                description:
                    "Redis {{ $labels.instance }} ({{ $labels.namespace }}) uses {{ $value | humanizePercentage }} of maxmemory (warning above 90% for 5m); keys are being evicted soon.",
            },
        },
        {
            alert: "RedisRejectedConnections",
            expr: "increase(redis_rejected_connections_total[5m]) > 0",
            for: "1m",
            labels: { severity: "warning" },
            annotations: {
                summary: "Redis rejects connections.",
                description:
                    "Redis {{ $labels.instance }} ({{ $labels.namespace }}) rejected connections in the last 5 minutes (maxclients reached).",
            },
        },
    ],
};

/**
 * Certificate expiry of the platform's public endpoints, from blackbox-exporter probes
 * (`probe_ssl_earliest_cert_expiry`): what clients are actually served, whoever issued it.
 */
export const certificatesGroup: RuleGroup = {
    name: "certificates",
    rules: (["critical", "warning"] as const).map((severity) => {
        const days =
            severity === "critical"
                ? certificateThresholds.criticalDays
                : certificateThresholds.warningDays;
        return {
            alert: "CertificateExpiringSoon",
            expr: `min by (instance) (probe_ssl_earliest_cert_expiry) - time() < ${days} * 86400`,
            for: "1h",
            labels: { severity },
            annotations: {
                summary: "A TLS certificate of the platform expires soon.",
                description: `The certificate served at {{ $labels.instance }} expires in {{ $value | humanizeDuration }} (${severity} below ${days} days).`,
            },
        };
    }),
};
