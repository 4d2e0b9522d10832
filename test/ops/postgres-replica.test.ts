import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresTuning, settingsArgs } from "../../components/data/postgres-tuning";
import {
    type PostgresServer,
    requireTools,
    runScript,
    scriptPath,
    startPostgres,
    tempDir,
} from "../support/ops";

/**
 * The replica bootstrap (pg_basebackup through a replication slot, password from the
 * environment), streaming, and the failover's promote step (promote-replica.sh → pg_promote),
 * against two real PostgreSQL 15 servers. The primary runs with the tuning the component
 * derives for a 1Gi container, so PostgreSQL itself accepts every value.
 */

const hba = [
    "local all all trust",
    "host replication replicator 127.0.0.1/32 scram-sha-256",
    "host all all 127.0.0.1/32 scram-sha-256",
    "",
].join("\n");
const replicationPassword = "repl-Secret-2";
const tuning = postgresTuning({ memoryLimit: "1Gi", maxConnections: 50, storageSize: "10Gi" });

describe("postgres replica bootstrap, streaming and promotion (PostgreSQL 15)", () => {
    let primary: PostgresServer;
    let replica: PostgresServer | undefined;
    let replicaData = "";

    beforeAll(async () => {
        requireTools("postgres");
        // settingsArgs gives ["-c", "name=value", ...]; the harness takes "name=value".
        const settings = settingsArgs(tuning).filter((arg) => arg !== "-c");
        primary = await startPostgres({ hba, settings });
        const init = await runScript("postgres-init.sh", [], {
            env: {
                PATH: scriptPath(),
                PGHOST: primary.socketDir,
                PGPORT: String(primary.port),
                PGUSER: "postgres",
                PGDATABASE: "postgres",
                APP_USER: "mcp_user",
                APP_PASSWORD: "app-Secret-1",
                APP_DATABASE: "mcp_db",
                REPLICATION_USER: "replicator",
                REPLICATION_PASSWORD: replicationPassword,
                EXPORTER_USER: "postgres_exporter",
                EXPORTER_PASSWORD: "exp-Secret-3",
            },
        });
        expect(init.status, init.stderr).toBe(0);
        await primary.sql(
            "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'before the clone');",
            "mcp_db",
        );
    });

    afterAll(async () => {
        await Promise.all([replica?.stop(), primary?.stop()]);
    });

    it("runs with the runbooks' tuning scaled to the container's memory", async () => {
        const shown = await primary.sql(
            "SELECT string_agg(name || '=' || current_setting(name), ',' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'effective_cache_size', 'maintenance_work_mem', 'wal_buffers', 'random_page_cost', 'effective_io_concurrency', 'max_connections')",
        );
        expect(shown).toBe(
            "effective_cache_size=768MB,effective_io_concurrency=200,maintenance_work_mem=64MB,max_connections=50,random_page_cost=1.1,shared_buffers=256MB,wal_buffers=8MB",
        );
    });

    it("creates the roles idempotently: mcp_user owns mcp_db, replicator may only replicate", async () => {
        const roles = await primary.sql(
            "SELECT string_agg(rolname || ':' || rolsuper || ':' || rolreplication, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('mcp_user', 'replicator', 'postgres_exporter')",
        );
        expect(roles).toBe(
            "mcp_user:false:false,postgres_exporter:false:false,replicator:false:true",
        );
        expect(
            await primary.sql(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mcp_db'",
            ),
        ).toBe("mcp_user");
        expect(
            await primary.sql("SELECT pg_has_role('postgres_exporter', 'pg_monitor', 'member')"),
        ).toBe("t");
    });

    it("clones the primary through a slot, with no password in the data directory, and streams", async () => {
        const root = tempDir("replica");
        replicaData = path.join(root, "data");
        const env = {
            PATH: scriptPath(),
            PGDATA: replicaData,
            PRIMARY_HOST: "127.0.0.1",
            PRIMARY_PORT: String(primary.port),
            REPLICATION_USER: "replicator",
            PGPASSWORD: replicationPassword,
            POD_NAME: "postgres-replica-0",
            WORK_DIR: root,
        };
        const bootstrap = await runScript("postgres-replica-bootstrap.sh", [], {
            env,
            unprivileged: true,
        });
        expect(bootstrap.status, bootstrap.stderr).toBe(0);
        expect(await primary.sql("SELECT slot_name FROM pg_replication_slots")).toBe(
            "postgres_replica_0",
        );

        const autoConf = fs.readFileSync(path.join(replicaData, "postgresql.auto.conf"), "utf8");
        expect(autoConf).toContain("primary_slot_name = 'postgres_replica_0'");
        expect(autoConf).not.toContain(replicationPassword);

        // A second run finds the data directory and leaves it alone.
        const again = await runScript("postgres-replica-bootstrap.sh", [], {
            env,
            unprivileged: true,
        });
        expect(again.status).toBe(0);
        expect(again.logLines()[0].msg).toBe("data directory already initialised; nothing to do");

        replica = await startPostgres({
            dataDir: replicaData,
            settings: settingsArgs(tuning).filter((arg) => arg !== "-c"),
            serverEnv: { PGPASSWORD: replicationPassword },
        });
        await primary.sql("INSERT INTO t VALUES (2, 'after the clone')", "mcp_db");
        let rows = "";
        for (let i = 0; i < 100 && rows !== "2"; i++) {
            rows = await replica.sql("SELECT count(*) FROM t", "mcp_db");
            if (rows !== "2") await new Promise((r) => setTimeout(r, 100));
        }
        expect(rows).toBe("2");
        expect(await replica.sql("SELECT pg_is_in_recovery()")).toBe("t");
        expect(
            await primary.sql("SELECT application_name || ':' || state FROM pg_stat_replication"),
        ).toBe("postgres_replica_0:streaming");
    });

    it("refuses to promote while the primary answers, then promotes (pg_promote) and is idempotent", async () => {
        const env = {
            PATH: scriptPath(),
            PGHOST: replica!.socketDir,
            PGPORT: String(replica!.port),
            PGUSER: "postgres",
            PGDATABASE: "postgres",
        };
        const refused = await runScript("promote-replica.sh", [], {
            env: { ...env, PRIMARY_HOST: "127.0.0.1", PRIMARY_PORT: String(primary.port) },
        });
        expect(refused.status).not.toBe(0);
        expect(refused.logLines().find((l) => l.level === "error")?.msg).toBe(
            "the primary still accepts connections; stop it first or set FORCE=true",
        );
        expect(await replica!.sql("SELECT pg_is_in_recovery()")).toBe("t");

        await primary.stop();
        const promoted = await runScript("promote-replica.sh", [], {
            env: { ...env, PRIMARY_HOST: "127.0.0.1", PRIMARY_PORT: String(primary.port) },
        });
        expect(promoted.status, promoted.stderr).toBe(0);
        expect(await replica!.sql("SELECT pg_is_in_recovery()")).toBe("f");
        await replica!.sql("INSERT INTO t VALUES (3, 'written on the promoted replica')", "mcp_db");
        expect(await replica!.sql("SELECT count(*) FROM t", "mcp_db")).toBe("3");

        const again = await runScript("promote-replica.sh", [], { env });
        expect(again.status).toBe(0);
        expect(again.logLines().at(-1)?.msg).toBe("already a primary; nothing to do");
    });
});
