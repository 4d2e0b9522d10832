import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWalLab, type WalLab } from "../support/wal-lab";
import {
    baseBackup,
    baseBackupIds,
    lastError,
    minutes,
    pgEnv,
    promote,
    startSidecar,
    stop,
    stopped,
    switchAndArchive,
    waitFor,
} from "../support/wal-steps";

/**
 * DR twice in a row (docs/dr.md): activate → failback by re-seeding → re-arm dr as a standby →
 * activate again, with the scripts the pods and `npm run dr` run (ops/wal-promote.sh,
 * ops/wal-rearm.sh, ops/postgres-start.sh, the base-backup sidecar), real PostgreSQL 15 and
 * barman-cloud against s3rver. Between failback and re-arm, dr's server is a stale primary:
 * the second activation must refuse it rather than serve the data of the first one.
 */

describe("activate, fail back, re-arm, activate again (PostgreSQL 15, barman-cloud, s3rver)", () => {
    let lab: WalLab;
    let sidecar: ReturnType<typeof startSidecar> | undefined;
    beforeAll(async () => {
        lab = await startWalLab({ archiveTimeoutSeconds: 2 });
    }, minutes(5));
    afterAll(async () => {
        sidecar?.stop();
        await lab?.close();
    }, minutes(2));

    it(
        "refuses a promoted standby once its source archived WAL past the promotion (failback by dump)",
        async () => {
            await lab.primary.sql("CREATE TABLE ledger (id int PRIMARY KEY)");
            await lab.primary.sql("INSERT INTO ledger SELECT generate_series(1, 10)");
            await baseBackup(lab, lab.primary);
            const standby = await lab.startStandby({ archiveUrl: `s3://${lab.bucket}/drill/wal` });
            await switchAndArchive(lab);
            await waitFor("the standby to replay", async () =>
                (await standby.sql("SELECT count(*) FROM ledger")) === "10" ? true : undefined,
            );
            expect((await promote(lab, standby)).status).toBe(0);
            // Production was not lost after all (or came back and was restored from a dump):
            // it keeps writing on its own timeline, past the point the standby branched off.
            await lab.primary.sql("INSERT INTO ledger SELECT generate_series(11, 20)");
            await switchAndArchive(lab);
            await lab.primary.sql("INSERT INTO ledger SELECT generate_series(21, 30)");
            await switchAndArchive(lab);
            const refused = await promote(lab, standby);
            expect(refused.status).toBe(1);
            expect(lastError(refused.stderr).msg).toContain(
                "the source archive holds WAL written after this server was promoted",
            );
            await stop(lab, standby);
        },
        minutes(6),
    );

    it(
        "refuses the stale primary and activates the re-armed standby with production's newest data",
        async () => {
            const production = lab.archiveUrl; // s3://…/wal
            const dr = `s3://${lab.bucket}/dr/wal`;
            const regions = "SELECT region, count(*) FROM orders GROUP BY region ORDER BY region";
            await lab.primary.sql("CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL)");
            await baseBackup(lab, lab.primary);
            const standby = await lab.startStandby({ sourceUrl: production, archiveUrl: dr });
            await lab.primary.sql(
                "INSERT INTO orders SELECT g, 'production-1' FROM generate_series(1, 100) g",
            );
            await switchAndArchive(lab);
            await waitFor("dr to replay production", async () =>
                (await standby.sql("SELECT count(*) FROM orders")) === "100" ? true : undefined,
            );

            // 1. Activate: production is lost, dr is promoted and serves.
            lab.killPrimary();
            const activated = await promote(lab, standby);
            expect(activated.stderr).toBe("");
            expect(activated.status).toBe(0);
            // A re-run of the same activation is not refused: nothing newer exists.
            const rerun = await promote(lab, standby);
            expect(rerun.status, rerun.stderr).toBe(0);
            expect(rerun.stdout).toContain("not superseded since");
            await baseBackup(lab, standby, { WAL_ARCHIVE_URL: dr });
            await standby.sql("INSERT INTO orders SELECT g, 'dr' FROM generate_series(101, 150) g");
            await switchAndArchive(lab, standby, "dr/wal");

            // 2. Fail back by re-seeding: production restarts from dr's archive and is promoted;
            //    its base-backup sidecar takes a base backup on its new timeline at once.
            const reseeded = await lab.startStandby({ sourceUrl: dr, archiveUrl: production });
            await waitFor("production to replay dr's archive", async () =>
                (await reseeded.sql("SELECT count(*) FROM orders")) === "150" ? true : undefined,
            );
            const back = await promote(lab, reseeded, { WAL_SOURCE_URL: dr });
            expect(back.status, back.stderr).toBe(0);
            const backupsBefore = await baseBackupIds(lab);
            sidecar = startSidecar(lab, reseeded);
            await reseeded.sql(
                "INSERT INTO orders SELECT g, 'production-2' FROM generate_series(151, 200) g",
            );
            await switchAndArchive(lab, reseeded);
            await waitFor("production's base backup on its new timeline", async () =>
                (await baseBackupIds(lab)).length > backupsBefore.length ? true : undefined,
            );
            expect(sidecar.log()).toContain("promoted since");

            // 3. dr was never re-armed: the next activation must not serve its stale data.
            const refused = await promote(lab, standby);
            expect(refused.status).toBe(1);
            const error = lastError(refused.stderr);
            expect(error.msg).toContain("refusing to activate a stale primary");
            expect(error.msg).toContain("ops/wal-rearm.sh");
            expect(await standby.sql("SELECT count(*) FROM orders")).toBe("150");
            // Re-arming refuses a primary nothing has superseded (it may be the live database).
            const notStale = await lab.script("wal-rearm.sh", [], {
                ...pgEnv(reseeded),
                PGDATA: reseeded.dataDir,
                WAL_STANDBY: "true",
                WAL_SOURCE_URL: dr,
            });
            expect(notStale.status).toBe(1);
            expect(lastError(notStale.stderr).msg).toContain("this primary is not stale");

            // 4. Re-arm dr: it stops, and its restart replaces the stale cluster with a standby
            //    of production's newest base backup.
            const rearm = await lab.script("wal-rearm.sh", [], {
                ...pgEnv(standby),
                PGDATA: standby.dataDir,
                WAL_STANDBY: "true",
                WAL_SOURCE_URL: production,
            });
            expect(rearm.status, rearm.stderr).toBe(0);
            await stopped(standby);
            const restarted = await lab.startServer({
                dataDir: standby.dataDir,
                sourceUrl: production,
                archiveUrl: dr,
                env: { WAL_BASE_BACKUP_POLL_SECONDS: "1" },
            });
            const rearmed = await restarted.ready();
            expect(restarted.log()).toContain("re-arm requested");
            expect(await rearmed.sql("SELECT pg_is_in_recovery()")).toBe("t");
            await reseeded.sql(
                "INSERT INTO orders SELECT g, 'production-3' FROM generate_series(201, 250) g",
            );
            await switchAndArchive(lab, reseeded);
            await waitFor("the re-armed standby to replay production", async () =>
                (await rearmed.sql("SELECT count(*) FROM orders")) === "250" ? true : undefined,
            );

            // 5. Activate again: production is lost again; the re-armed standby is promoted.
            sidecar.stop();
            await stop(lab, reseeded);
            const again = await promote(lab, rearmed);
            expect(again.stderr).toBe("");
            expect(again.status).toBe(0);
            expect(await rearmed.sql(regions)).toBe(
                "dr|50\nproduction-1|100\nproduction-2|50\nproduction-3|50",
            );
            await rearmed.sql("INSERT INTO orders VALUES (251, 'dr')");
        },
        minutes(12),
    );
});
