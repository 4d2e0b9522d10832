/** Debian's PostgreSQL 15 programs (the `postgresql` package `.ci/run` installs). */
export const pgBin = "/usr/lib/postgresql/15/bin";

/**
 * psql's arguments for one quiet, unaligned query as `postgres` over a loopback server's Unix
 * socket, stopping at the first error: the servers the WAL lab and the ops tests start.
 */
export function psqlArgs(socketDir: string, port: number, database = "postgres"): string[] {
    return [
        "-X",
        "-q",
        "-At",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        socketDir,
        "-p",
        String(port),
        "-U",
        "postgres",
        "-d",
        database,
    ];
}
