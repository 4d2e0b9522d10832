/**
 * Names of the data layer that operators type and the `mcp` CLI uses: the Postgres roles,
 * database, ports and Secrets (docs/data.md).
 */

/** Fixed by the runbooks: operators type `psql -U mcp_user -d mcp_db`. */
export const postgresNames = {
    user: "mcp_user",
    database: "mcp_db",
    superuser: "postgres",
    replicationUser: "replicator",
    exporterUser: "postgres_exporter",
    port: 5432,
    exporterPort: 9187,
    /** App-facing credentials: username, password, database, host, port, url... */
    credentialsSecret: "postgres-credentials",
    /** Superuser, replication and exporter passwords: only the data layer reads these. */
    adminSecret: "postgres-admin",
    /** The servers' TLS certificate and key and the CA certificate (kubernetes.io/tls). */
    tlsSecret: "postgres-tls",
} as const;

/**
 * The shortest Sentinel `down-after-milliseconds` the platform accepts. After a failover a
 * Sentinel reconnects to the new primary on its 1 s ping period and keeps counting its peers'
 * "primary is down" votes about the old primary for another 5 s (five of its 1 s ask
 * periods, Redis 7); with a shorter down-after, a new primary that is slow to answer for a moment
 * (a fork, an fsync, a loaded node) is judged down by those stale votes and failed over again.
 */
export const redisMinSentinelDownAfterMilliseconds = 5000;
