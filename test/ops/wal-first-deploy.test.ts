import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgBin, runAs, startWalLab, type WalLab } from "../support/wal-lab";
import {
    baseBackup,
    baseBackupIds,
    minutes,
    pgEnv,
    switchAndArchive,
    waitFor,
} from "../support/wal-steps";

/**
 * The README's first deploy, in order, with the scripts the postgres container runs
 * (ops/postgres-start.sh as its command, ops/postgres-probe.sh as its startup and liveness
 * probe), real PostgreSQL 15 and barman-cloud against s3rver:
 *   1. production without WAL archiving (no replication configured yet) initialises its
 *      cluster; the next deploy turns archiving on over the same data directory;
 *   2. dr is deployed before production archives: its standby waits for the first base
 *      backup, running but not ready, and becomes a standby once one lands.
 * The pod side of step 1 (one image, one UID) is test/components/data/postgres-first-deploy.test.ts.
 */

const newCluster = {
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
};

describe("first deploy: production's database, then dr's standby (PostgreSQL 15, barman-cloud, s3rver)", () => {
    let lab: WalLab;
    beforeAll(async () => {
        lab = await startWalLab({ archiveTimeoutSeconds: 2 });
    }, minutes(5));
    afterAll(async () => lab?.close(), minutes(2));

    /** postgres-probe.sh as the kubelet runs it in the postgres container. */
    const probe = (socketDir: string, port: number, preparingFile: string) =>
        lab.script("postgres-probe.sh", [], {
            POSTGRES_SOCKET_DIR: socketDir,
            PGPORT: String(port),
            POSTGRES_PREPARING_FILE: preparingFile,
        });
    const readiness = (socketDir: string, port: number) =>
        runAs(
            path.join(pgBin, "pg_isready"),
            ["-h", socketDir, "-p", String(port), "-U", "mcp_user", "-d", "mcp_db"],
            {},
        );

    it(
        "production starts without archiving, then keeps starting on the same data directory with archiving on",
        async () => {
            const archive = `s3://${lab.bucket}/first-deploy`;
            // Deploy 1: no replication configured yet, so no archive settings at all.
            const first = await lab.startServer({ archiving: false, env: newCluster });
            const server = await first.ready();
            const owner = fs.statSync(server.dataDir).uid;
            expect(await server.sql("SHOW archive_mode")).toBe("off");
            await server.sql("CREATE TABLE orders (id int PRIMARY KEY)");
            await server.sql("INSERT INTO orders SELECT generate_series(1, 100)");
            await runAs(
                path.join(pgBin, "pg_ctl"),
                ["-D", server.dataDir, "-m", "fast", "-w", "stop"],
                lab.env,
            );
            await waitFor("the first server to exit", async () =>
                first.running() ? undefined : true,
            );

            // Deploy 3: replication (and with it the archive) configured; the pod restarts on
            // the same volume with the same image and user.
            const second = await lab.startServer({
                dataDir: server.dataDir,
                archiveUrl: archive,
                env: { ...newCluster, WAL_ARCHIVE_URL: archive },
            });
            const archiving = await second.ready();
            expect(second.log()).toContain("data directory holds a cluster; starting it");
            expect(fs.statSync(archiving.dataDir).uid).toBe(owner);
            expect(await archiving.sql("SHOW archive_mode")).toBe("on");
            expect(await archiving.sql("SELECT count(*) FROM orders")).toBe("100");
            await archiving.sql("INSERT INTO orders SELECT generate_series(101, 150)");
            await switchAndArchive(lab, archiving, "first-deploy");
            const taken = await lab.script("wal-base-backup.sh", [], {
                ...pgEnv(archiving),
                WAL_ARCHIVE_URL: archive,
            });
            expect(taken.stderr).toBe("");
            expect(taken.status).toBe(0);
            expect(await baseBackupIds(lab, archive)).toHaveLength(1);
            expect(
                (await probe(archiving.socketDir, archiving.port, second.preparingFile)).status,
            ).toBe(0);
            await runAs(
                path.join(pgBin, "pg_ctl"),
                ["-D", archiving.dataDir, "-m", "fast", "-w", "stop"],
                lab.env,
            );
        },
        minutes(5),
    );

    it(
        "dr's standby waits, running and not ready, until production's first base backup lands",
        async () => {
            await lab.primary.sql("CREATE TABLE events (id int PRIMARY KEY, batch text)");
            await lab.primary.sql(
                "INSERT INTO events SELECT g, 'early' FROM generate_series(1, 10) g",
            );
            await switchAndArchive(lab);
            expect(await baseBackupIds(lab)).toEqual([]);

            const standby = await lab.startServer({
                env: { WAL_BASE_BACKUP_POLL_SECONDS: "1" },
            });
            const state = await waitFor("the standby to wait or exit", async () => {
                if (!standby.running()) return "exited";
                return standby.log().includes("waiting for a base backup in the source archive")
                    ? "waiting"
                    : undefined;
            });
            expect(state, standby.log()).toBe("waiting");
            // Ten polls later it is still there: alive for the kubelet, not ready for traffic.
            await new Promise((r) => setTimeout(r, 10_000));
            expect(standby.running(), standby.log()).toBe(true);
            const { socketDir, port } = standby.server;
            expect((await probe(socketDir, port, standby.preparingFile)).status).toBe(0);
            expect((await readiness(socketDir, port)).status).not.toBe(0);
            // The probe is not always true: no heartbeat and no server is dead.
            expect(
                (await probe(socketDir, port, path.join(lab.root, "no-such-heartbeat"))).status,
            ).toBe(1);

            // Production's first base backup (its base-backup sidecar, once archiving is on).
            await baseBackup(lab, lab.primary);
            await lab.primary.sql(
                "INSERT INTO events SELECT g, 'late' FROM generate_series(11, 20) g",
            );
            await switchAndArchive(lab);
            const replaying = await standby.ready();
            expect(await replaying.sql("SELECT pg_is_in_recovery()")).toBe("t");
            await waitFor("the standby to replay the archive", async () =>
                (await replaying.sql("SELECT count(*) FROM events")) === "20" ? true : undefined,
            );
            expect(standby.log()).toContain("base backup restored");
            expect((await probe(socketDir, port, standby.preparingFile)).status).toBe(0);
            expect(fs.existsSync(standby.preparingFile)).toBe(false);
        },
        minutes(6),
    );
});
