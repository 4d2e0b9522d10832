import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWalLab, type WalLab } from "../support/wal-lab";
import {
    baseBackupIds,
    minutes,
    pgEnv,
    startSidecar,
    stopped,
    switchAndArchive,
    waitFor,
} from "../support/wal-steps";

/**
 * The archive's region unreachable for a while (s3rver stopped), then back, with the archive
 * settings the pods get, scaled down: production archives with ops/wal-archive.sh bounded to
 * 64 MB of backlog (the pods: a share of the volume, docs/dr.md "When the archive is
 * unreachable"), its base-backup sidecar runs, and a dr standby replays the archive.
 * Production must keep accepting writes, pg_wal must stay bounded, and the archive must catch
 * up: fully after a short outage, and after a long one with a recorded gap, a new base backup
 * and a re-armed standby that has every row again.
 */

const maxBacklogMb = 64;

describe("archive unreachable, then back (PostgreSQL 15, barman-cloud, s3rver)", () => {
    let lab: WalLab;
    let sidecar: ReturnType<typeof startSidecar> | undefined;
    const ready = () =>
        fs
            .readdirSync(path.join(lab.primary.dataDir, "pg_wal", "archive_status"))
            .filter((f) => f.endsWith(".ready")).length;
    const gapState = () => {
        const file = path.join(path.dirname(lab.primary.dataDir), "wal-archive-gap");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    };
    /** One small write and a segment switch: one more 16 MiB segment for the archiver. */
    const segment = async (batch: string) => {
        await lab.primary.sql(`INSERT INTO events (batch) VALUES ('${batch}')`);
        await lab.primary.sql("SELECT pg_switch_wal()");
    };

    beforeAll(async () => {
        lab = await startWalLab({
            archiveTimeoutSeconds: 2,
            primaryEnv: {
                WAL_ARCHIVE_MAX_BACKLOG_MB: String(maxBacklogMb),
                WAL_ARCHIVE_RETRY_SECONDS: "3",
                WAL_ARCHIVE_ATTEMPT_SECONDS: "20",
                // A refused connection fails in about a second instead of botocore's default
                // five attempts: the backlog may exceed its bound by the WAL written during one
                // attempt, and the test writes a segment a second.
                AWS_MAX_ATTEMPTS: "2",
                AWS_RETRY_MODE: "standard",
                // The build machine's disk says nothing about a pod's volume.
                WAL_ARCHIVE_MAX_VOLUME_PERCENT: "100",
            },
        });
        await lab.primary.sql(
            "CREATE TABLE events (id bigserial PRIMARY KEY, batch text NOT NULL)",
        );
        // The sidecar takes the first base backup itself (the archive holds none).
        sidecar = startSidecar(lab, lab.primary);
        await waitFor("the sidecar's first base backup", async () =>
            (await baseBackupIds(lab)).length === 1 ? true : undefined,
        );
    }, minutes(5));
    afterAll(async () => {
        sidecar?.stop();
        await lab?.close();
    }, minutes(2));

    it(
        "keeps every segment through a short outage and the standby catches up",
        async () => {
            const standby = await lab.startStandby();
            await segment("before");
            await switchAndArchive(lab);
            await lab.stopS3();
            await segment("short-1");
            await segment("short-2");
            await waitFor("failed archive attempts", async () =>
                Number(await lab.primary.sql("SELECT failed_count FROM pg_stat_archiver")) > 0
                    ? true
                    : undefined,
            );
            expect(ready()).toBeGreaterThanOrEqual(2);
            expect(ready() * 16).toBeLessThan(maxBacklogMb);
            await lab.startS3();
            await segment("short-3");
            await waitFor("the backlog to drain", async () => (ready() === 0 ? true : undefined));
            await waitFor("the standby to replay the outage's writes", async () =>
                (await standby.sql("SELECT count(*) FROM events WHERE batch LIKE 'short-%'")) ===
                "3"
                    ? true
                    : undefined,
            );
            expect(gapState()).toBe("");
        },
        minutes(5),
    );

    it(
        "drops past the bound so pg_wal stays bounded, records the gap, and recovers with a new base backup",
        async () => {
            const standby = await lab.startStandby();
            const backupsBefore = await baseBackupIds(lab);
            await lab.stopS3();
            let most = 0;
            for (let i = 1; i <= 16; i++) {
                await segment(`long-${i}`);
                most = Math.max(most, ready());
                await new Promise((r) => setTimeout(r, 1000));
            }
            // Writes never stopped; the archiver kept the backlog near its bound.
            expect(
                await lab.primary.sql("SELECT count(*) FROM events WHERE batch LIKE 'long-%'"),
            ).toBe("16");
            await waitFor("the backlog within its bound", async () =>
                ready() * 16 <= maxBacklogMb ? true : undefined,
            );
            expect(most * 16).toBeLessThanOrEqual(maxBacklogMb + 2 * 16);
            expect(gapState()).toMatch(/^opened=\d+$/m);
            expect(gapState()).toMatch(/^resumed=$/m);

            await lab.startS3();
            await waitFor("the archive to resume", async () => {
                await segment("after");
                return /^resumed=\d+$/m.test(gapState()) ? true : undefined;
            });
            await switchAndArchive(lab);
            expect(
                Number(await lab.primary.sql("SELECT failed_count FROM pg_stat_archiver")),
            ).toBeGreaterThan(0);
            const gaps = await lab.listArchive("wal/postgres-primary/gaps/");
            expect(gaps).toHaveLength(1);
            expect(gaps[0]).toMatch(/gaps\/[0-9A-F]{24}-[0-9A-F]{24}\.json$/);
            // The sidecar sees the gap and takes a new base backup at once.
            await waitFor("a base backup after the gap", async () =>
                (await baseBackupIds(lab)).length > backupsBefore.length ? true : undefined,
            );
            expect(sidecar?.log()).toContain("the archive resumed after a gap");

            // The standby cannot pass the gap; re-armed, it starts from the new base backup.
            const afterRows = "SELECT count(*) FROM events WHERE batch = 'after'";
            expect(await standby.sql(afterRows)).toBe("0");
            const rearm = await lab.script("wal-rearm.sh", [], {
                ...pgEnv(standby),
                PGDATA: standby.dataDir,
                WAL_STANDBY: "true",
                WAL_SOURCE_URL: lab.archiveUrl,
                REARM_STANDBY: "true",
            });
            expect(rearm.status, rearm.stderr).toBe(0);
            await stopped(standby);
            const restarted = await lab.startServer({
                dataDir: standby.dataDir,
                env: { WAL_BASE_BACKUP_POLL_SECONDS: "1" },
            });
            const rearmed = await restarted.ready();
            expect(restarted.log()).toContain("re-arm requested");
            expect(await rearmed.sql("SELECT pg_is_in_recovery()")).toBe("t");
            const total = await lab.primary.sql("SELECT count(*) FROM events");
            await segment("final");
            await waitFor("the re-armed standby to hold every row", async () =>
                Number(await rearmed.sql("SELECT count(*) FROM events")) > Number(total)
                    ? true
                    : undefined,
            );
        },
        minutes(8),
    );
});
