import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgHba, pgIdent } from "../../components/data/postgres-pods";
import { postgresClientTls, postgresTls } from "../../components/data/postgres-tls";
import {
    pgBin,
    type PostgresServer,
    run,
    runScript,
    scriptPath,
    startPostgres,
    tempDir,
    requireTools,
} from "../support/ops";
import { psqlArgs } from "../support/postgres-cli";

/**
 * Encryption in transit of the Postgres servers (components/data/postgres-pods.ts pgHba and
 * pgIdent, postgres-tls.ts) on real PostgreSQL 15 servers with the component's own pg_hba.conf,
 * pg_ident.conf and derived certificate: a plaintext TCP connection is refused, a client that
 * verifies the certificate is accepted, the socket admits only the mapped roles of the
 * server's OS user, and a replica cloned by postgres-replica-bootstrap.sh streams over TLS.
 */

const isRoot = process.getuid?.() === 0;
/** The OS user the servers and their socket clients run as (run's `unprivileged`). */
const osUser = isRoot ? "postgres" : os.userInfo().username;
const namespace = "mcp-production";
const passwords = { app: "app-Tls-1", replication: "repl-Tls-2", exporter: "exp-Tls-3" };

/** Writes the TLS material where the server's user can read it (the key 0600, its own). */
function writeTls(dir: string, seed: string) {
    const tls = postgresTls(seed, namespace, 1);
    const files = {
        "tls.crt": tls.server.cert,
        "tls.key": tls.server.key,
        "ca.crt": tls.caCert,
    };
    for (const [file, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, file), text, { mode: 0o600 });
        if (isRoot) spawnSync("chown", ["postgres", path.join(dir, file)]);
    }
    fs.chmodSync(path.join(dir, "ca.crt"), 0o644);
    return { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "tls.crt") };
}

describe("postgres TLS, pg_hba and pg_ident (PostgreSQL 15)", () => {
    let primary: PostgresServer;
    let replica: PostgresServer | undefined;
    let dir: string;
    let ca: string;
    let settings: string[];

    /** psql with a libpq connection string over TCP; the reply or the error text. */
    const tcp = async (conninfo: string, query = "SELECT 1", env: Record<string, string> = {}) => {
        const result = await run(
            path.join(pgBin, "psql"),
            ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", query, conninfo],
            { env: { PGPASSWORD: "", PGSSLMODE: undefined, ...env } },
        );
        return { ok: result.status === 0, out: (result.stdout + result.stderr).trim() };
    };
    /** psql through the socket as `role`, run as the server's OS user. */
    const socket = async (role: string, query = "SELECT current_user") => {
        const args = ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-h", primary.socketDir];
        const target = ["-p", String(primary.port), "-U", role, "-d", "postgres"];
        const result = await run(path.join(pgBin, "psql"), [...args, ...target, "-c", query], {
            unprivileged: true,
        });
        return { ok: result.status === 0, out: (result.stdout + result.stderr).trim() };
    };

    beforeAll(async () => {
        requireTools("postgres");
        dir = tempDir("pg-tls");
        ({ ca } = writeTls(dir, "seed-of-the-test-stack-0123456789"));
        fs.writeFileSync(path.join(dir, "pg_ident.conf"), pgIdent(osUser));
        settings = [
            "ssl=on",
            `ssl_cert_file=${dir}/tls.crt`,
            `ssl_key_file=${dir}/tls.key`,
            "ssl_min_protocol_version=TLSv1.2",
            `ident_file=${dir}/pg_ident.conf`,
            "password_encryption=scram-sha-256",
            "wal_level=replica",
        ];
        primary = await startPostgres({ hba: pgHba(), settings });
        // The roles, as postgres-start.sh creates them: postgres-init.sh over the socket, as
        // the superuser through the peer map.
        const init = await runScript("postgres-init.sh", [], {
            unprivileged: true,
            env: {
                PATH: scriptPath(),
                PGHOST: primary.socketDir,
                PGPORT: String(primary.port),
                PGUSER: "postgres",
                PGDATABASE: "postgres",
                APP_USER: "mcp_user",
                APP_PASSWORD: passwords.app,
                APP_DATABASE: "mcp_db",
                REPLICATION_USER: "replicator",
                REPLICATION_PASSWORD: passwords.replication,
                EXPORTER_USER: "postgres_exporter",
                EXPORTER_PASSWORD: passwords.exporter,
            },
        });
        expect(init.status, init.stderr).toBe(0);
    });

    afterAll(async () => {
        await replica?.stop();
        await primary?.stop();
    });

    const app = () =>
        `host=localhost port=${primary.port} user=mcp_user dbname=mcp_db password=${passwords.app}`;

    it("refuses a plaintext TCP connection, even with the right password", async () => {
        const plain = await tcp(`${app()} sslmode=disable`);
        expect(plain.ok).toBe(false);
        expect(plain.out).toMatch(/no pg_hba\.conf entry .*no encryption/);
        // Replication too: no TCP line without TLS.
        const replication = await tcp(
            `host=127.0.0.1 port=${primary.port} user=replicator dbname=postgres replication=true sslmode=disable password=${passwords.replication}`,
            "IDENTIFY_SYSTEM",
        );
        expect(replication.ok).toBe(false);
        expect(replication.out).toMatch(/no encryption/);
    });

    it("accepts a client that verifies the server's certificate (verify-full), encrypted", async () => {
        const verified = await tcp(
            `${app()} sslmode=verify-full sslrootcert=${ca}`,
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        );
        expect(verified).toEqual({ ok: true, out: expect.stringMatching(/^t\|TLSv1\.[23]$/) });
        // The same through libpq's environment, as the jobs and replicas are configured.
        const env = await tcp(app(), "SELECT current_user", postgresClientTls(ca));
        expect(env).toEqual({ ok: true, out: "mcp_user" });
        // sslmode=require (the url of postgres-credentials) encrypts without a CA file.
        expect(await tcp(`${app()} sslmode=require`)).toEqual({ ok: true, out: "1" });
    });

    it("lets the exporter in with the component's connection string (verify-full through localhost)", async () => {
        // postgres-pods.ts DATA_SOURCE_URI with this server's port and CA path.
        const uri = `postgresql://postgres_exporter:${passwords.exporter}@localhost:${primary.port}/mcp_db?sslmode=verify-full&sslrootcert=${ca}`;
        expect(await tcp(uri, "SELECT pg_has_role('pg_monitor', 'member')")).toEqual({
            ok: true,
            out: "t",
        });
    });

    it("refuses a server certificate from another CA and a name the certificate does not carry", async () => {
        const other = tempDir("pg-tls-other");
        const { ca: otherCa } = writeTls(other, "seed-of-another-stack-987654321");
        const wrongCa = await tcp(`${app()} sslmode=verify-full sslrootcert=${otherCa}`);
        expect(wrongCa.ok).toBe(false);
        expect(wrongCa.out).toMatch(/certificate verify failed/);
        const wrongName = await tcp(
            `host=127.0.0.2 hostaddr=127.0.0.1 port=${primary.port} user=mcp_user dbname=mcp_db password=${passwords.app} sslmode=verify-full sslrootcert=${ca}`,
        );
        expect(wrongName.ok).toBe(false);
        expect(wrongName.out).toMatch(/does not match host name/);
    });

    it("admits the server's OS user through the socket by peer, as the mapped roles only", async () => {
        expect(await socket("mcp_user")).toEqual({ ok: true, out: "mcp_user" });
        expect(await socket("postgres")).toEqual({ ok: true, out: "postgres" });
        const exporter = await socket("postgres_exporter");
        expect(exporter.ok).toBe(false);
        expect(exporter.out).toMatch(/Peer authentication failed for user "postgres_exporter"/);
        // No trust: another OS user is refused whatever role it asks for.
        if (isRoot) {
            const other = await run(path.join(pgBin, "psql"), [
                ...psqlArgs(primary.socketDir, primary.port),
                "-c",
                "SELECT 1",
            ]);
            expect(other.status).not.toBe(0);
            expect(other.stderr).toMatch(/Peer authentication failed for user "postgres"/);
        }
    });

    it("clones a replica over TLS (postgres-replica-bootstrap.sh) that streams encrypted", async () => {
        const replicaData = path.join(tempDir("pg-tls-replica"), "data");
        const bootstrap = await runScript("postgres-replica-bootstrap.sh", [], {
            unprivileged: true,
            env: {
                PATH: scriptPath(),
                PGDATA: replicaData,
                PRIMARY_HOST: "localhost",
                PRIMARY_PORT: String(primary.port),
                REPLICATION_USER: "replicator",
                PGPASSWORD: passwords.replication,
                SLOT_NAME: "replica_tls",
                PG_WAIT_SECONDS: "30",
                // libpq looks for a client certificate in ~/.postgresql: a HOME the script's
                // user can read (root's is not), as in the pods.
                HOME: dir,
                ...postgresClientTls(ca),
            },
        });
        expect(bootstrap.status, bootstrap.stderr).toBe(0);
        const auto = fs.readFileSync(path.join(replicaData, "postgresql.auto.conf"), "utf8");
        expect(auto).toContain(`sslmode=verify-full sslrootcert=${ca}'`);
        replica = await startPostgres({
            dataDir: replicaData,
            settings: ["hot_standby=on"],
            serverEnv: { PGPASSWORD: passwords.replication, HOME: dir },
        });
        let streaming = "";
        for (let i = 0; i < 100 && streaming !== "streaming|t"; i++) {
            streaming = (
                await socket(
                    "postgres",
                    "SELECT r.state, s.ssl FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = 'replica_tls'",
                )
            ).out;
            if (streaming !== "streaming|t") await new Promise((r) => setTimeout(r, 200));
        }
        expect(streaming).toBe("streaming|t");
    });
});
