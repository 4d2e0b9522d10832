import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { stackFileVariant, synth } from "../../support/synth";

/**
 * PostgresDrStandbyIsPrimary on each stack's own rule file, with the real promtool: the same
 * input — postgres-primary-0 is a primary (pg_replication_is_replica 0) for 40 minutes — fires
 * on the idle dr stack (posture "standby", production active) and nowhere else: not on
 * production, not on an activated dr stack. The posture comes from the stack's config through
 * the program (index.ts → ruleCatalog → the `mcp_platform:dr_posture:info` recording rule).
 */

const stacks = {
    production: synth("production"),
    "dr (standby)": synth("dr"),
    // The same variant as test/tools/synth-options.test.ts, so the synth is shared.
    "dr (activated)": synth("dr", {
        stackFile: stackFileVariant("dr", (d) => {
            d.config["mcp-platform:drActive"] = true;
            (
                d.config["mcp-platform:backups"] as { restore: Record<string, unknown> }
            ).restore.from = "dump";
        }),
    }),
};

function promtoolTest(stack: keyof typeof stacks, fires: boolean) {
    const rules = parse(stacks[stack].read("prometheus/rules.yaml")) as {
        groups: { name: string }[];
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-posture-"));
    fs.writeFileSync(
        path.join(dir, "postgres.rules.yaml"),
        stringify({ groups: rules.groups.filter((g) => g.name === "postgres") }, { lineWidth: 0 }),
    );
    const labels = {
        namespace: "mcp-production",
        instance: "postgres-primary-0:9187",
        pod: "postgres-primary-0",
    };
    fs.writeFileSync(
        path.join(dir, "test.yaml"),
        stringify({
            rule_files: ["postgres.rules.yaml"],
            evaluation_interval: "1m",
            tests: [
                {
                    interval: "1m",
                    input_series: [
                        {
                            series: `pg_replication_is_replica{namespace="mcp-production", instance="postgres-primary-0:9187", pod="postgres-primary-0"}`,
                            values: "0x40",
                        },
                    ],
                    alert_rule_test: [
                        {
                            eval_time: "40m",
                            alertname: "PostgresDrStandbyIsPrimary",
                            exp_alerts: fires
                                ? [
                                      {
                                          exp_labels: { severity: "critical", ...labels },
                                          exp_annotations: {
                                              summary:
                                                  "The dr stack's database is a primary while production is active.",
                                              description:
                                                  "postgres-primary-0:9187 (mcp-production) on the idle DR stack is not in recovery: promoted at an earlier activation and not re-armed after the failback, it no longer follows production's WAL archive, and the next activation would refuse it (stale data). Re-arm it as a standby (ops/wal-rearm.sh).",
                                              runbook_url:
                                                  "https://github.com/mcp-platform/mcp-platform/blob/main/docs/runbooks/PostgresDrStandbyIsPrimary.md",
                                          },
                                      },
                                  ]
                                : [],
                        },
                    ],
                },
            ],
        }),
    );
    const result = spawnSync("promtool", ["test", "rules", "test.yaml"], {
        cwd: dir,
        encoding: "utf8",
    });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        throw new Error(
            "promtool is not installed; apt-get install -y --no-install-recommends prometheus",
        );
    }
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("PostgresDrStandbyIsPrimary follows the stack's DR posture (promtool)", () => {
    it.each([
        ["dr (standby)", true],
        ["production", false],
        ["dr (activated)", false],
    ] as const)("%s: fires %s for a primary postgres-primary-0", (stack, fires) => {
        expect(stacks[stack].status, stacks[stack].stderr).toBe(0);
        const result = promtoolTest(stack, fires);
        expect(result.output).toContain("SUCCESS");
        expect(result.status, result.output).toBe(0);
    });
});
