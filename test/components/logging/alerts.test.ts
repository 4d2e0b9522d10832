import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { renderGroups, ruleCatalog } from "../../../components/monitoring/alert-catalog";
import { logCollectorGroup } from "../../../components/monitoring/alert-catalog/log-collector";
import { projectDir } from "../../support/synth";

/**
 * The log collector's alert group, rendered as the catalog renders it and run through the
 * real promtool: `check rules`, and the unit tests of test/prometheus/log-collector.yaml (one
 * firing and one silent case per alert, annotations and runbook_url included).
 */

const runbookBase = "https://github.com/mcp-platform/mcp-platform/blob/main/docs/runbooks";

function promtool(args: string[], cwd: string) {
    const result = spawnSync("promtool", args, { cwd, encoding: "utf8", timeout: 60_000 });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        throw new Error(
            "promtool is not installed; install it with: apt-get install -y --no-install-recommends prometheus",
        );
    }
    if (result.error) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("log collector alerts", () => {
    const [group] = renderGroups([logCollectorGroup], runbookBase);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "log-collector-rules-"));
    fs.writeFileSync(
        path.join(dir, "log-collector.rules.yaml"),
        stringify({ groups: [group] }, { lineWidth: 0 }),
    );
    fs.copyFileSync(
        path.join(projectDir, "test/prometheus/log-collector.yaml"),
        path.join(dir, "log-collector.yaml"),
    );

    it("is part of the rule catalog", () => {
        const catalog = ruleCatalog({
            slos: [],
            backupSchedules: {},
            backupStaleGrace: "1h",
            artifactStorageQuotaGiB: 1,
        });
        expect(catalog.filter((g) => g.name === "log-collector")).toEqual([logCollectorGroup]);
    });

    it("passes promtool check rules", () => {
        const result = promtool(["check", "rules", "log-collector.rules.yaml"], dir);
        expect(result.status, result.output).toBe(0);
        expect(result.output).toContain("SUCCESS: 3 rules found");
    });

    it("passes its promtool unit tests, with a firing and a silent case per alert", () => {
        const result = promtool(["test", "rules", "log-collector.yaml"], dir);
        expect(result.status, result.output).toBe(0);
        const tests = parse(fs.readFileSync(path.join(dir, "log-collector.yaml"), "utf8")).tests;
        const checks = tests.flatMap((t: any) => t.alert_rule_test);
        for (const rule of group.rules) {
            const mine = checks.filter((c: any) => c.alertname === rule.alert);
            expect(
                mine.some((c: any) => c.exp_alerts.length > 0),
                `${rule.alert} fires`,
            ).toBe(true);
            expect(
                mine.some((c: any) => c.exp_alerts.length === 0),
                `${rule.alert} silent`,
            ).toBe(true);
        }
    });

    it("links every alert to a runbook that exists", () => {
        for (const rule of group.rules) {
            expect(rule.annotations?.runbook_url).toBe(`${runbookBase}/${rule.alert}.md`);
            const runbook = path.join(projectDir, "docs/runbooks", `${rule.alert}.md`);
            expect(fs.readFileSync(runbook, "utf8").split("\n")[0]).toBe(`# ${rule.alert}`);
        }
    });
});
