import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { opsDir, projectDir, requireTools, run } from "../support/ops";

/**
 * ops/backup-lib.sh in bash itself: the tier a run gets, the JSON log lines, the pointer
 * reader; and every script of ops/ through shellcheck.
 */

/** Runs `body` in bash after sourcing the library. */
async function lib(body: string, env: Record<string, string> = {}) {
    return run("bash", ["-c", `source ${path.join(opsDir, "backup-lib.sh")}\n${body}`], {
        env: { BACKUP_JOB: "test", ...env },
    });
}

const at = (iso: string) => String(Date.parse(iso) / 1000);
const seedTiers = {
    TIER_DAILY_SCHEDULE: "0 2 * * *",
    TIER_WEEKLY_SCHEDULE: "0 3 * * 0",
    TIER_MONTHLY_SCHEDULE: "0 4 1 * *",
};

describe("ops/backup-lib.sh", () => {
    it("puts each run in the tier of the runbooks' schedule (hourly jobs match the hour)", async () => {
        const cases: [string, string][] = [
            ["2026-03-10T13:00:05Z", "hourly"],
            ["2026-03-10T02:00:30Z", "daily"],
            ["2026-03-10T02:09:59Z", "daily"], // started late: the minute does not matter
            ["2026-03-08T03:00:00Z", "weekly"], // a Sunday
            ["2026-03-08T02:00:00Z", "daily"], // Sunday 02:00 is the daily run
            ["2026-04-01T04:00:00Z", "monthly"], // the 1st, even on a weekday
            ["2026-03-01T03:00:00Z", "weekly"], // the 1st is a Sunday: 03:00 is weekly, 04:00 monthly
            ["2026-03-01T04:00:00Z", "monthly"],
        ];
        const body = cases.map(([iso]) => `backup_tier ${at(iso)}`).join("\n");
        const result = await lib(body, seedTiers);
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout.trim().split("\n")).toEqual(cases.map(([, tier]) => tier));
    });

    it("ignores the hour for once-a-day jobs, honours BACKUP_TIER and rejects a bad one", async () => {
        const daily = await lib(
            [
                `backup_tier ${at("2026-03-10T03:00:00Z")}`,
                `backup_tier ${at("2026-03-08T03:00:00Z")}`,
                `backup_tier ${at("2026-04-01T03:00:00Z")}`,
            ].join("\n"),
            { ...seedTiers, TIER_IGNORE_HOUR: "true" },
        );
        expect(daily.stdout.trim().split("\n")).toEqual(["daily", "weekly", "monthly"]);

        const forced = await lib(`backup_tier ${at("2026-03-10T13:00:00Z")}`, {
            BACKUP_TIER: "monthly",
        });
        expect(forced.stdout.trim()).toBe("monthly");
        const bad = await lib(`backup_tier 0`, { BACKUP_TIER: "yearly" });
        expect(bad.status).not.toBe(0);
        expect(JSON.parse(bad.stderr.trim())).toMatchObject({
            level: "error",
            msg: "BACKUP_TIER must be hourly, daily, weekly or monthly",
            got: "yearly",
        });
    });

    it("writes one JSON object per line, escaping what JSON must escape", async () => {
        const result = await lib(
            'step "my-step"\ninfo "quote \\" backslash \\\\ tab\t newline\n end" count 42 big 12345678901234567890 zero 007 text "héllo"',
        );
        expect(result.status, result.stderr).toBe(0);
        const line = JSON.parse(result.stdout);
        expect(line).toMatchObject({
            level: "info",
            job: "test",
            step: "my-step",
            msg: 'quote " backslash \\ tab\t newline\n end',
            count: 42,
            big: "12345678901234567890",
            zero: "007",
            text: "héllo",
        });
        expect(line.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it("turns a failing command into an error line and a non-zero exit", async () => {
        const result = await lib('step "work"\nfalse\necho "not reached"');
        expect(result.status).toBe(1);
        expect(result.stdout).toBe("");
        expect(JSON.parse(result.stderr.trim())).toMatchObject({
            level: "error",
            step: "work",
            msg: "command failed: false",
            exit_code: 1,
        });
    });

    it("reads the pointer the scripts write", async () => {
        const result = await lib(
            [
                "RUN_DIR=$(mktemp -d)",
                'printf \'{"key":"postgres/hourly/20260101T020000Z/mcp_db.dump","timestamp":"2026-01-01T02:00:00Z","sha256":"ab12","size":1234,"metadata":"m"}\\n\' >"$RUN_DIR/p.json"',
                'echo "$(json_get "$RUN_DIR/p.json" key)|$(json_get "$RUN_DIR/p.json" size)|$(json_get "$RUN_DIR/p.json" timestamp)|$(json_get "$RUN_DIR/p.json" missing)"',
            ].join("\n"),
        );
        expect(result.stdout.trim()).toBe(
            "postgres/hourly/20260101T020000Z/mcp_db.dump|1234|2026-01-01T02:00:00Z|",
        );
    });

    it("every script is shellcheck-clean and starts with set -euo pipefail", async () => {
        requireTools("shellcheck");
        const scripts = fs.readdirSync(opsDir).filter((f) => f.endsWith(".sh"));
        expect(scripts).toEqual(
            expect.arrayContaining([
                "backup-lib.sh",
                "backup-postgres.sh",
                "backup-redis.sh",
                "backup-app-data.sh",
                "export-app-config.sh",
                "verify-backup.sh",
                "restore-postgres.sh",
                "restore-redis.sh",
                "postgres-init.sh",
                "postgres-replica-bootstrap.sh",
                "promote-replica.sh",
                "redis-start.sh",
            ]),
        );
        // From the project root, as CI runs it; ops/.shellcheckrc lets it follow `source`.
        const checked = await run("sh", ["-c", "shellcheck ops/*.sh"], { cwd: projectDir });
        expect(checked.stdout + checked.stderr).toBe("");
        expect(checked.status).toBe(0);
        for (const script of scripts) {
            const text = fs.readFileSync(path.join(opsDir, script), "utf8");
            expect(text.startsWith("#!/usr/bin/env bash\n"), script).toBe(true);
            expect(text, script).toMatch(/^set -euo pipefail$/m);
        }
        expect(fs.existsSync(path.join(projectDir, "ops", ".shellcheckrc"))).toBe(true);
    });
});
