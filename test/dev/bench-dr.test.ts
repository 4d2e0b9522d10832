import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { resultLine, runDr } from "../../dev/lib/wal-bench";

/**
 * `npm run bench:dr` on loopback with real PostgreSQL 15, barman-cloud and s3rver: one run at
 * a small size with archive_timeout 5 s (the bench's --archive-timeout; production uses the
 * same setting at 30 s), checked against the targets of docs/dr.md.
 */
const projectDir = path.resolve(__dirname, "../..");

describe("npm run bench:dr", () => {
    it("kills the primary at a random moment and promotes the standby within the targets", async () => {
        const result = await runDr({
            sizeMb: 20,
            archiveTimeoutSeconds: 5,
            writeSeconds: { min: 5, max: 15 },
        });
        expect(result.rowsCommitted).toBeGreaterThan(0);
        // RPO ≤ 60 s, promotion ≤ 5 min.
        expect(result.rpoSeconds).toBeLessThanOrEqual(60);
        expect(result.rtoSeconds).toBeLessThanOrEqual(300);
        // Every row whose commit lies in an archived segment survived the crash.
        expect(result.archivedEndLsn).toBeGreaterThan(0n);
        expect(result.archivedRowsLost).toBe(0);
        expect(result.rowsLost).toBeLessThan(result.rowsCommitted);
        expect(result.dbBytes).toBeGreaterThanOrEqual(20 * 1024 * 1024);
        expect(resultLine(result)).toMatch(
            /^postgres DR: RPO \d+\.\d s \(rows lost \d+ of \d+\), RTO \d+\.\d s, db \d+ MB$/,
        );
    }, 900_000);

    it("refuses an archive_timeout above 60 s and malformed sizes before starting anything", () => {
        for (const args of [
            ["--archive-timeout", "90"],
            ["--sizes", "30,big"],
        ]) {
            const run = spawnSync(
                path.join(projectDir, "node_modules/.bin/tsx"),
                ["dev/bench-dr.ts", ...args],
                { cwd: projectDir, encoding: "utf8" },
            );
            expect(run.status).toBe(2);
            expect(run.stderr).toMatch(
                /^bench:dr: --(archive-timeout|sizes) needs .*; see npm run bench:dr -- --help\n$/,
            );
        }
    }, 60_000);
});
