import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgBin, runAs, startWalLab, type WalLab } from "../support/wal-lab";
import {
    baseBackup,
    minutes,
    promote,
    stop,
    switchAndArchive,
    waitFor,
} from "../support/wal-steps";

/**
 * The continuous WAL archive end to end with the tools the pods run: PostgreSQL 15, the
 * ops/wal-*.sh scripts and barman-cloud from Debian, against s3rver on loopback. archive_timeout
 * is 2 s here (production: 30 s, the same setting) so that segments close quickly.
 */

/** The archive key of a segment, as barman-cloud lays it out. */
const segmentKey = (name: string) => `wal/postgres-primary/wals/${name.slice(0, 16)}/${name}.gz`;

describe("WAL archive: PITR, gaps and corruption (PostgreSQL 15, barman-cloud, s3rver)", () => {
    let lab: WalLab;
    /** The segment the gap test removes, and its content (the corruption test repairs it). */
    let removed: { key: string; body: Buffer } | undefined;

    beforeAll(async () => {
        lab = await startWalLab({ archiveTimeoutSeconds: 2 });
        await lab.primary.sql(
            "CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), batch text NOT NULL)",
        );
        await baseBackup(lab, lab.primary);
    }, minutes(10));
    afterAll(async () => lab?.close(), minutes(2));

    it(
        "recovers to a point in time: commits up to the target survive, later ones do not",
        async () => {
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'before' FROM generate_series(1, 100)",
            );
            await new Promise((r) => setTimeout(r, 1100));
            const target = await lab.primary.sql(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')",
            );
            await new Promise((r) => setTimeout(r, 1100));
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'after' FROM generate_series(1, 50)",
            );
            await switchAndArchive(lab);

            const dataDir = path.join(lab.root, "pitr", "data");
            fs.mkdirSync(path.dirname(dataDir), { recursive: true, mode: 0o777 });
            fs.chmodSync(path.dirname(dataDir), 0o777);
            const socket = path.join(lab.root, "sock");
            const port = String(45_000 + Math.floor(Math.random() * 5000));
            const result = await lab.script("postgres-pitr.sh", [target], {
                PGDATA: dataDir,
                PITR_START: "true",
                PITR_PORT: port,
                PITR_SOCKET_DIR: socket,
            });
            expect(result.stderr).toBe("");
            expect(result.status).toBe(0);
            const recovered = {
                port: Number(port),
                dataDir,
                socketDir: socket,
                sql: async (q: string) =>
                    (
                        await runAs(
                            path.join(pgBin, "psql"),
                            [
                                "-X",
                                "-At",
                                "-h",
                                socket,
                                "-p",
                                port,
                                "-U",
                                "postgres",
                                "-d",
                                "postgres",
                                "-c",
                                q,
                            ],
                            {},
                        )
                    ).stdout.trim(),
            };
            expect(await recovered.sql("SELECT pg_is_in_recovery()")).toBe("f");
            expect(await recovered.sql("SELECT batch, count(*) FROM events GROUP BY batch")).toBe(
                "before|100",
            );
            await stop(lab, recovered);
        },
        minutes(10),
    );

    it(
        "refuses a PITR target time that is not a time, and a non-empty data directory",
        async () => {
            const bad = await lab.script("postgres-pitr.sh", ["yesterday-ish"], {
                PGDATA: path.join(lab.root, "nowhere"),
            });
            expect(bad.status).toBe(1);
            expect(bad.stderr).toContain("the target time is not a date and time");
            const busy = await lab.script("postgres-pitr.sh", ["2026-01-01 00:00:00+00"], {
                PGDATA: lab.primary.dataDir,
            });
            expect(busy.status).toBe(1);
            expect(busy.stderr).toContain("PGDATA is not empty");
        },
        minutes(2),
    );

    it(
        "a missing segment stops the standby before the gap and wal-promote refuses to skip it",
        async () => {
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'gap-1' FROM generate_series(1, 10)",
            );
            await switchAndArchive(lab);
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'gap-2' FROM generate_series(1, 10)",
            );
            // The segment gap-2 went into (an LSN inside it: on a segment's start boundary
            // pg_walfile_name names the previous one).
            const missing = await lab.primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
            await switchAndArchive(lab);
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'gap-3' FROM generate_series(1, 10)",
            );
            await switchAndArchive(lab);
            const url = `${lab.endpoint}/${lab.bucket}/${segmentKey(missing)}`;
            removed = {
                key: segmentKey(missing),
                body: Buffer.from(await (await fetch(url)).arrayBuffer()),
            };
            expect((await fetch(url, { method: "DELETE" })).status).toBe(204);

            const standby = await lab.startStandby();
            // It replays up to the gap: gap-1 is there, gap-2 (in the missing segment) never comes.
            await waitFor("gap-1 on the standby", async () =>
                (await standby.sql("SELECT count(*) FROM events WHERE batch = 'gap-1'")) === "10"
                    ? true
                    : undefined,
            );
            const refused = await promote(lab, standby, { WAL_CATCHUP_SECONDS: "15" });
            expect(refused.status).toBe(1);
            const error = JSON.parse(refused.stderr.trim().split("\n").pop() ?? "{}") as Record<
                string,
                string
            >;
            expect(error.msg).toContain(
                "a segment after its replay position is missing or corrupt",
            );
            expect(error.replay_segment).toBe(missing);
            expect(await standby.sql("SELECT pg_is_in_recovery()")).toBe("t");
            expect(await standby.sql("SELECT count(*) FROM events WHERE batch = 'gap-2'")).toBe(
                "0",
            );
            await stop(lab, standby);
        },
        minutes(10),
    );

    it(
        "a corrupted segment is refused by wal-restore (gzip CRC), logged, and blocks promotion",
        async () => {
            // Repair the previous test's gap, as the runbook does, so replay reaches the damage.
            if (removed === undefined) throw new Error("the gap test did not run");
            const repaired = await fetch(`${lab.endpoint}/${lab.bucket}/${removed.key}`, {
                method: "PUT",
                body: removed.body,
            });
            expect(repaired.status).toBe(200);
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'corrupt-1' FROM generate_series(1, 10)",
            );
            await switchAndArchive(lab);
            await lab.primary.sql(
                "INSERT INTO events (batch) SELECT 'corrupt-2' FROM generate_series(1, 10)",
            );
            const damaged = await lab.primary.sql("SELECT pg_walfile_name(pg_current_wal_lsn())");
            await switchAndArchive(lab);
            const key = segmentKey(damaged);
            const corrupt = Buffer.from(
                await (await fetch(`${lab.endpoint}/${lab.bucket}/${key}`)).arrayBuffer(),
            );
            for (let i = Math.floor(corrupt.length / 2); i < corrupt.length / 2 + 64; i++)
                corrupt[i] ^= 0xff;
            const put = await fetch(`${lab.endpoint}/${lab.bucket}/${key}`, {
                method: "PUT",
                body: corrupt,
            });
            expect(put.status).toBe(200);

            const probe = path.join(lab.env.TMPDIR, "probe");
            const restored = await lab.script("wal-restore.sh", [damaged, probe]);
            expect(restored.status).toBe(1);
            const logged = JSON.parse(restored.stderr.trim().split("\n").pop() ?? "{}") as Record<
                string,
                string
            >;
            expect(logged).toMatchObject({ level: "error", job: "wal-restore", wal: damaged });
            expect(logged.msg).toContain("unreadable or corrupt");
            expect(fs.existsSync(probe)).toBe(false);
            // A segment that is simply not archived yet is a quiet exit 1 (a standby asks again).
            const notYet = await lab.script("wal-restore.sh", ["0000000100000000000000FF", probe]);
            expect(notYet).toMatchObject({ status: 1, stderr: "" });

            const standby = await lab.startStandby();
            await waitFor("corrupt-1 on the standby", async () =>
                (await standby.sql("SELECT count(*) FROM events WHERE batch = 'corrupt-1'")) ===
                "10"
                    ? true
                    : undefined,
            );
            const refused = await promote(lab, standby, { WAL_CATCHUP_SECONDS: "15" });
            expect(refused.status).toBe(1);
            expect(refused.stderr).toContain("missing or corrupt");
            expect(await standby.sql("SELECT count(*) FROM events WHERE batch = 'corrupt-2'")).toBe(
                "0",
            );
            // The standby's log names the damaged segment on every attempt.
            const logs = fs
                .readdirSync(lab.root)
                .filter((f) => /^standby-\d+\.log$/.test(f))
                .sort();
            const log = fs.readFileSync(path.join(lab.root, logs[logs.length - 1]), "utf8");
            expect(log).toContain(`"wal":"${damaged}"`);
            expect(log).toContain("unreadable or corrupt");
            await stop(lab, standby);
        },
        minutes(10),
    );
});

describe("WAL archive: promotion and failback seeding (PostgreSQL 15, barman-cloud, s3rver)", () => {
    let lab: WalLab;
    beforeAll(async () => {
        lab = await startWalLab({ archiveTimeoutSeconds: 2 });
    }, minutes(5));
    afterAll(async () => lab?.close(), minutes(2));

    it(
        "promotes the dr standby, then re-seeds production from dr's archive and promotes it back",
        async () => {
            await lab.primary.sql("CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL)");
            await baseBackup(lab, lab.primary);
            const dr = await lab.startStandby();
            await lab.primary.sql(
                "INSERT INTO orders SELECT g, 'production' FROM generate_series(1, 500) g",
            );
            await switchAndArchive(lab);
            await waitFor("the standby to replay the archive", async () =>
                (await dr.sql("SELECT count(*) FROM orders")) === "500" ? true : undefined,
            );

            // Production is lost; dr is promoted and takes writes, archiving to its own prefix.
            lab.killPrimary();
            const started = Date.now();
            const promoted = await promote(lab, dr);
            expect(promoted.stderr).toBe("");
            expect(promoted.status).toBe(0);
            expect((Date.now() - started) / 1000).toBeLessThan(300);
            expect(await dr.sql("SELECT count(*) FROM orders")).toBe("500");
            const drArchive = { WAL_ARCHIVE_URL: `${lab.archiveUrl}-promoted` };
            await baseBackup(lab, dr, drArchive);
            await dr.sql("INSERT INTO orders SELECT g, 'dr' FROM generate_series(501, 800) g");
            await switchAndArchive(lab, dr, "wal-promoted");

            // Failback: a new production server starts from dr's archive and is promoted.
            const production = await lab.startStandby({
                sourceUrl: `${lab.archiveUrl}-promoted`,
                archiveUrl: lab.archiveUrl,
            });
            await waitFor("production to replay dr's archive", async () =>
                (await production.sql("SELECT count(*) FROM orders")) === "800" ? true : undefined,
            );
            await stop(lab, dr);
            const back = await promote(lab, production, {
                WAL_SOURCE_URL: `${lab.archiveUrl}-promoted`,
            });
            expect(back.status).toBe(0);
            expect(
                await production.sql(
                    "SELECT region, count(*) FROM orders GROUP BY region ORDER BY region",
                ),
            ).toBe("dr|300\nproduction|500");
            await production.sql("INSERT INTO orders VALUES (801, 'production')");
            await stop(lab, production);
        },
        minutes(15),
    );

    it(
        "postgres-start.sh initialises an empty data directory with the roles and mcp_db of the manuals",
        async () => {
            const server = await lab.startStandby({
                env: {
                    WAL_STANDBY: "false",
                    POSTGRES_USER: "postgres",
                    POSTGRES_PASSWORD: "superuser-secret",
                    POSTGRES_INITDB_ARGS: "--data-checksums --encoding=UTF8 --locale=C.UTF-8",
                    APP_USER: "mcp_user",
                    APP_PASSWORD: "app-secret",
                    APP_DATABASE: "mcp_db",
                    REPLICATION_USER: "replicator",
                    REPLICATION_PASSWORD: "replication-secret",
                    EXPORTER_USER: "postgres_exporter",
                    EXPORTER_PASSWORD: "exporter-secret",
                },
            });
            expect(await server.sql("SELECT pg_is_in_recovery()")).toBe("f");
            expect(
                await server.sql(
                    "SELECT d.datname || ' ' || pg_get_userbyid(d.datdba) FROM pg_database d WHERE datname = 'mcp_db'",
                ),
            ).toBe("mcp_db mcp_user");
            expect(
                await server.sql(
                    "SELECT string_agg(rolname || ':' || rolreplication, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('mcp_user', 'replicator', 'postgres_exporter')",
                ),
            ).toBe("mcp_user:false,postgres_exporter:false,replicator:true");
            expect(await server.sql("SHOW data_checksums")).toBe("on");
            await stop(lab, server);
        },
        minutes(5),
    );

    it(
        "the base-backup check fails loudly when the archive holds no base backup",
        async () => {
            const empty = await lab.script("wal-base-backup.sh", ["--check", "26"], {
                WAL_ARCHIVE_URL: `s3://${lab.bucket}/nothing-here`,
            });
            expect(empty.status).toBe(1);
            expect(empty.stderr).toContain("the archive holds no finished base backup");
            const fresh = await lab.script("wal-base-backup.sh", ["--check", "26"]);
            expect(fresh.stderr).toBe("");
            expect(fresh.status).toBe(0);
            const usage = await lab.script("wal-base-backup.sh", ["--check", "soon"]);
            expect(usage.status).toBe(1);
            expect(usage.stderr).toContain("--check needs a whole number of hours");
        },
        minutes(5),
    );
});
