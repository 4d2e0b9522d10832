import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { projectDir, synth } from "../../support/synth";

/**
 * The synth's alerting artifacts, checked by the real tools: `promtool check rules` and
 * `promtool test rules` on out/<stack>/prometheus/rules.yaml, `amtool check-config` and
 * `amtool config routes test` on out/<stack>/alertmanager/alertmanager.yaml.
 */

const install =
    "install it with: apt-get install -y --no-install-recommends prometheus prometheus-alertmanager";

function run(tool: "promtool" | "amtool", args: string[], cwd?: string) {
    const result = spawnSync(tool, args, { cwd, encoding: "utf8", timeout: 120_000 });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
        throw new Error(`${tool} is not installed; ${install}`);
    }
    if (result.error) throw result.error;
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface RuleFile {
    groups: {
        name: string;
        rules: {
            alert?: string;
            record?: string;
            expr: string;
            for?: string;
            labels?: Record<string, string>;
            annotations?: Record<string, string>;
        }[];
    }[];
}

interface ExpectedAlert {
    exp_labels?: Record<string, string>;
    exp_annotations?: Record<string, string>;
}

interface UnitTestFile {
    rule_files: string[];
    tests: {
        name: string;
        alert_rule_test?: { eval_time: string; alertname: string; exp_alerts: ExpectedAlert[] }[];
    }[];
}

const testsDir = path.join(projectDir, "test/prometheus");
const testFiles = fs.readdirSync(testsDir).filter((file) => file.endsWith(".yaml"));
const unitTests = testFiles.map((file) => ({
    file,
    doc: parse(fs.readFileSync(path.join(testsDir, file), "utf8")) as UnitTestFile,
}));

const stacks = ["production", "dr"] as const;
const outputs = Object.fromEntries(stacks.map((stack) => [stack, synth(stack)]));
const rulesOf = (stack: string) => parse(outputs[stack].read("prometheus/rules.yaml")) as RuleFile;
const alertmanagerFile = (stack: string) =>
    path.join(outputs[stack].outDir, "alertmanager/alertmanager.yaml");

/** The rule file with one file per group, so each unit-test file loads only its groups. */
function splitByGroup(rules: RuleFile): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "promtool-"));
    for (const group of rules.groups) {
        fs.writeFileSync(
            path.join(dir, `${group.name}.rules.yaml`),
            stringify({ groups: [group] }, { lineWidth: 0 }),
        );
    }
    for (const file of testFiles) fs.copyFileSync(path.join(testsDir, file), path.join(dir, file));
    return dir;
}

describe.each(stacks)("rules of the %s stack", (stack) => {
    it("pass promtool check rules", () => {
        const result = run("promtool", [
            "check",
            "rules",
            path.join(outputs[stack].outDir, "prometheus/rules.yaml"),
        ]);
        expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
        expect(result.status, result.output).toBe(0);
    });

    it("give every alert a severity, a for, a summary, a description and its runbook", () => {
        const alerts = rulesOf(stack).groups.flatMap((g) => g.rules.filter((r) => r.alert));
        expect(alerts.length).toBeGreaterThan(40);
        for (const rule of alerts) {
            const where = `${rule.alert} (${rule.labels?.severity})`;
            expect(["critical", "warning", "info"], where).toContain(rule.labels?.severity);
            expect(rule.for, where).toMatch(/^[1-9]\d*[smhd]$/);
            expect(rule.annotations?.summary, where).toMatch(/^[A-Z].*\.$/);
            expect(rule.annotations?.summary, where).not.toContain("{{");
            expect(rule.annotations?.description, where).toMatch(/\S/);
            const url = rule.annotations?.runbook_url ?? "";
            expect(url, where).toBe(
                `https://github.com/mcp-platform/mcp-platform/blob/main/docs/runbooks/${rule.alert}.md`,
            );
        }
    });
});

describe("runbooks", () => {
    const runbookDir = path.join(projectDir, "docs/runbooks");
    const alertNames = new Set(
        stacks.flatMap((stack) =>
            rulesOf(stack).groups.flatMap((g) => g.rules.flatMap((r) => r.alert ?? [])),
        ),
    );

    it("exist for every alert, each titled with its alert's name", () => {
        const missing = [...alertNames].filter(
            (alert) => !fs.existsSync(path.join(runbookDir, `${alert}.md`)),
        );
        expect(missing, "alerts without docs/runbooks/<Alert>.md").toEqual([]);
        for (const alert of alertNames) {
            const text = fs.readFileSync(path.join(runbookDir, `${alert}.md`), "utf8");
            expect(text.split("\n")[0], alert).toBe(`# ${alert}`);
        }
    });

    it("exist only for alerts that exist", () => {
        const orphans = fs
            .readdirSync(runbookDir)
            .filter((file) => file.endsWith(".md"))
            .map((file) => file.slice(0, -3))
            .filter((name) => !alertNames.has(name));
        expect(orphans).toEqual([]);
    });
});

describe("promtool unit tests (test/prometheus/*.yaml)", () => {
    const rules = rulesOf("production");
    const groupOf = new Map<string, Set<string>>();
    for (const group of rules.groups) {
        for (const rule of group.rules) {
            if (!rule.alert) continue;
            groupOf.set(rule.alert, (groupOf.get(rule.alert) ?? new Set()).add(group.name));
        }
    }

    it("pass against the production rules", () => {
        const dir = splitByGroup(rules);
        const result = run("promtool", ["test", "rules", ...testFiles], dir);
        expect(result.status, result.output).toBe(0);
        expect(result.output.match(/SUCCESS/g)?.length).toBe(testFiles.length);
    });

    it("give every alert a firing case and a silent case, in a file that loads its group", () => {
        const firing = new Map<string, ExpectedAlert[]>();
        const silent = new Set<string>();
        for (const { file, doc } of unitTests) {
            for (const test of doc.tests) {
                for (const check of test.alert_rule_test ?? []) {
                    const groups = groupOf.get(check.alertname);
                    expect(
                        groups,
                        `${file}: ${check.alertname} is not in the catalog`,
                    ).toBeDefined();
                    const loaded = [...groups!].some((g) =>
                        doc.rule_files.includes(`${g}.rules.yaml`),
                    );
                    expect(loaded, `${file} tests ${check.alertname} without loading it`).toBe(
                        true,
                    );
                    if (check.exp_alerts.length === 0) silent.add(check.alertname);
                    else
                        firing.set(check.alertname, [
                            ...(firing.get(check.alertname) ?? []),
                            ...check.exp_alerts,
                        ]);
                }
            }
        }
        const alerts = [...groupOf.keys()];
        expect(
            alerts.filter((a) => !firing.has(a)),
            "alerts without a firing case",
        ).toEqual([]);
        expect(
            alerts.filter((a) => !silent.has(a)),
            "alerts without a silent case",
        ).toEqual([]);
    });

    it("expect severity, summary, description and runbook_url of every firing alert, at every severity", () => {
        const seen = new Map<string, Set<string>>();
        for (const { file, doc } of unitTests) {
            for (const test of doc.tests) {
                for (const check of test.alert_rule_test ?? []) {
                    for (const expected of check.exp_alerts) {
                        const where = `${file}: ${test.name}`;
                        expect(expected.exp_labels?.severity, where).toMatch(
                            /^(critical|warning|info)$/,
                        );
                        expect(Object.keys(expected.exp_annotations ?? {}).sort(), where).toEqual([
                            "description",
                            "runbook_url",
                            "summary",
                        ]);
                        const severities = seen.get(check.alertname) ?? new Set<string>();
                        seen.set(check.alertname, severities.add(expected.exp_labels!.severity));
                    }
                }
            }
        }
        for (const group of rules.groups) {
            for (const rule of group.rules) {
                if (!rule.alert) continue;
                expect(
                    seen.get(rule.alert)?.has(rule.labels!.severity),
                    `${rule.alert} never fires at ${rule.labels!.severity} in a test`,
                ).toBe(true);
            }
        }
    });
});

describe.each(stacks)("alertmanager.yaml of the %s stack", (stack) => {
    it("passes amtool check-config", () => {
        const result = run("amtool", ["check-config", alertmanagerFile(stack)]);
        expect(result.output).toContain("SUCCESS");
        expect(result.status, result.output).toBe(0);
    });

    it("holds no credential: every receiver secret is read from a file", () => {
        const text = outputs[stack].read("alertmanager/alertmanager.yaml");
        for (const field of [
            "routing_key",
            "service_key",
            "api_url",
            "auth_password",
            "smtp_auth_password",
            "credentials",
            "password",
        ]) {
            expect(text, field).not.toMatch(new RegExp(`^\\s*${field}:`, "m"));
        }
        expect(text).toContain(
            "routing_key_file: /etc/alertmanager/secrets/alertmanager-receivers/pagerduty-routing-key",
        );
        const receivers = outputs[stack]
            .resources()
            .find(
                (r) =>
                    r.name === "alertmanager-receivers" && r.type === "kubernetes:core/v1:Secret",
            );
        const values = Object.values(receivers?.inputs.stringData as Record<string, unknown>);
        expect(values).toHaveLength(4);
        for (const value of values) expect(value).toBe("[secret]");
    });

    const routes: [string, string[], string][] = [
        [
            "critical",
            ["severity=critical", "alertname=HighErrorRate", "service=git-mcp"],
            "pagerduty-critical",
        ],
        [
            "warning",
            ["severity=warning", "alertname=HighRequestRate", "service=git-mcp"],
            "slack-warning",
        ],
        ["info", ["severity=info", "alertname=ValidationCacheHitRateLow"], "email-default"],
        ["no severity", ["alertname=SomethingElse"], "email-default"],
        ["Watchdog", ["alertname=Watchdog", "severity=info"], "deadmans-switch"],
        ["InfoInhibitor", ["alertname=InfoInhibitor", "severity=info"], "null"],
        [
            "critical in a maintenance namespace",
            ["severity=critical", "alertname=SemanticHighErrorRate", "namespace=mcp-system"],
            "pagerduty-critical",
        ],
        [
            "warning in a maintenance namespace",
            [
                "severity=warning",
                "alertname=DeploymentReplicasMismatch",
                "namespace=mcp-production",
            ],
            "slack-warning",
        ],
    ];
    it.each(routes)("routes %s alerts as amtool verifies", (_case, labels, receiver) => {
        const result = run("amtool", [
            "config",
            "routes",
            "test",
            `--config.file=${alertmanagerFile(stack)}`,
            `--verify.receivers=${receiver}`,
            ...labels,
        ]);
        expect(result.output.trim().split("\n")[0]).toBe(receiver);
        expect(result.status, result.output).toBe(0);
    });

    it("fails amtool's verification for a wrong receiver (the check can fail)", () => {
        const result = run("amtool", [
            "config",
            "routes",
            "test",
            `--config.file=${alertmanagerFile(stack)}`,
            "--verify.receivers=pagerduty-critical",
            "severity=warning",
        ]);
        expect(result.status).toBe(1);
    });
});
