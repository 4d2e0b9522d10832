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
} as const;
