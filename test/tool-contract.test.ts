import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { runnerPackages } from "../components/cluster/runner-user-data";
import { testTiers } from "../dev/lib/test-tiers";
import { projectDir, synth } from "./support/synth";
import { shellInvocations } from "./support/shell-commands";
import { spawnCommands } from "./support/spawn-commands";
import {
    builtins,
    type ContractJob,
    debianCommands,
    describe as describeJob,
    engineBinaries,
    essentialCommands,
    jobContract,
    type JobReport,
} from "./support/tool-contract";

/**
 * The tool contract (docs/operations.md, "CI/CD setup"): every command a workflow step, the
 * runner's jobs and the tools/ modules they start invoke is installed by that job's own setup
 * or by the runner's boot script, at a pinned version. The command lists are derived from the
 * workflow files, the runner's user data as the synth renders it, and the tools' process
 * spawns; the lists are printed.
 */

type Workflow = { jobs: Record<string, ContractJob & { needs?: string | string[] }> };

const workflowDir = path.join(projectDir, ".github/workflows");
const files = ["pull-request.yml", "deploy.yml", "dr.yml", "drift.yml"];
const load = (file: string, text?: string) =>
    parse(text ?? fs.readFileSync(path.join(workflowDir, file), "utf8")) as Workflow;

/** Amazon Linux 2023's own commands the boot script uses before it installs anything. */
const amazonLinuxImage = ["dnf", "curl", "systemctl", "useradd", "install", "id", "runuser"];

/** The commands a runner's boot script installs: its `dnf install` line, by package. */
function runnerCommandsOf(userData: string): Map<string, string> {
    const table = runnerPackages({});
    const provided = new Map<string, string>();
    for (const inv of shellInvocations(userData)) {
        if (inv.command !== "dnf" || inv.args[0] !== "install") continue;
        for (const spec of inv.args.filter((a) => !a.startsWith("-") && a !== "install")) {
            const known = table.find(
                (p) => p.spec.replace(/-\d.*$/, "") === spec.replace(/-\d.*$/, ""),
            );
            const commands = known?.commands ?? [spec.replace(/-\d.*$/, "")];
            for (const c of commands) provided.set(c, `runner: dnf install ${spec}`);
        }
    }
    return provided;
}

function contracts(
    runnerCommands: Map<string, string>,
    edit: (file: string, text: string) => string = (_, t) => t,
): JobReport[] {
    return files.flatMap((file) => {
        const text = edit(file, fs.readFileSync(path.join(workflowDir, file), "utf8"));
        return Object.entries(load(file, text).jobs).map(([id, job]) =>
            jobContract(`${file} ${id}`, job, { projectDir, runnerCommands }),
        );
    });
}

const missingOf = (reports: JobReport[]) =>
    reports.flatMap((r) => r.missing.map((m) => `${r.job}: ${m.command} (${m.from})`));

let userData: Record<string, string>;
let runnerCommands: Map<string, string>;
let reports: JobReport[];

beforeAll(() => {
    const result = synth("production");
    if (result.status !== 0) throw new Error(`synth production failed:\n${result.stderr}`);
    userData = Object.fromEntries(
        result
            .resources()
            .filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")
            .filter((r) => /^deploy-runner/.test(r.name))
            .map((r) => [
                r.name,
                Buffer.from((r.inputs as { userData: string }).userData, "base64").toString(),
            ]),
    );
    runnerCommands = runnerCommandsOf(userData["deploy-runner-template"]);
    reports = contracts(runnerCommands);
}, 180_000);

describe("tool contract", () => {
    it("installs every command each workflow job runs, in that job or on its runner", () => {
        for (const report of reports) console.log(`tool contract: ${describeJob(report)}`);
        expect(missingOf(reports)).toEqual([]);
        // The tools/ modules the jobs start: every spawn resolved to a command.
        expect(reports.flatMap((r) => r.unresolved)).toEqual([]);
    });

    it("gives both runner pools the same tools, installed by their boot scripts", () => {
        expect(Object.keys(userData).sort()).toEqual([
            "deploy-runner-preview-template",
            "deploy-runner-template",
        ]);
        const preview = runnerCommandsOf(userData["deploy-runner-preview-template"]);
        expect([...preview.keys()].sort()).toEqual([...runnerCommands.keys()].sort());
        for (const command of ["aws", "gh", "git", "jq", "kubectl"]) {
            expect(runnerCommands.get(command), command).toMatch(/^runner: dnf install /);
        }
        // The versions are pinned where the repository is not Amazon Linux's own.
        expect(runnerCommands.get("gh")).toMatch(/gh-\d+\.\d+\.\d+$/);
        expect(runnerCommands.get("kubectl")).toMatch(/kubectl-\d+\.\d+\.\d+$/);
    });

    it("runs in the boot script only what the image ships or the script installed", () => {
        const essential = essentialCommands();
        for (const [name, script] of Object.entries(userData)) {
            const needed = shellInvocations(script)
                .map((i) => i.command)
                .filter((c) => !c.startsWith("./") && !c.startsWith("$") && !c.startsWith("/"));
            const unknown = [...new Set(needed)].filter(
                (c) =>
                    !builtins.has(c) &&
                    !amazonLinuxImage.includes(c) &&
                    !runnerCommands.has(c) &&
                    !/ (coreutils|bash|util-linux)$/.test(essential.get(c) ?? ""),
            );
            expect(unknown, name).toEqual([]);
        }
    });

    it("installs every program tools/ and dev/ start somewhere: a job, the runner or .ci/run", () => {
        const toolFiles: string[] = [];
        const walk = (dir: string) => {
            for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
                const full = path.join(dir, e.name);
                if (e.isDirectory()) walk(full);
                else if (/\.(ts|mts|mjs)$/.test(e.name)) toolFiles.push(full);
            }
        };
        walk(path.join(projectDir, "tools"));
        walk(path.join(projectDir, "dev"));
        const { spawns, unresolved } = spawnCommands(toolFiles, projectDir);
        const ci = fs.readFileSync(path.join(projectDir, ".ci/run"), "utf8");
        const aptInstall = shellInvocations(ci).find(
            (i) => i.command === "apt-get" && i.args[0] === "install",
        )!;
        const ciApt = debianCommands(aptInstall.args.filter((a) => !a.startsWith("-")).slice(1));
        const installers = new Map<string, string>([
            ...essentialCommands(),
            ...ciApt,
            ...engineBinaries(projectDir).map((b) => [b, "npm run engines"] as const),
            ["node", ".ci/run (Node.js from the npm registry)"],
            ...runnerCommands,
            ...reports.flatMap((r) => [...r.provided]),
        ]);
        const lines = [...new Set(spawns.map((s) => s.command))]
            .sort()
            .map((c) => `${c} ← ${installers.get(c) ?? "NOTHING"}`);
        console.log(`tool contract: tools/ and dev/ start ${lines.join(", ")}`);
        expect(unresolved).toEqual([]);
        expect(lines.filter((l) => l.endsWith("NOTHING"))).toEqual([]);
    });
});

describe("tool contract: removing an install step fails it", () => {
    it("the engines job without actions/setup-go", () => {
        const broken = contracts(runnerCommands, (file, text) =>
            file === "pull-request.yml"
                ? text.replace(/ {6}- uses: actions\/setup-go@[^\n]*\n(?: {8}[^\n]*\n)*/, "")
                : text,
        );
        expect(missingOf(broken)).toEqual(
            expect.arrayContaining([expect.stringMatching(/^pull-request\.yml engines: go /)]),
        );
    });

    it("the runner without the GitHub CLI", () => {
        const script = userData["deploy-runner-template"].replace(/ gh-\d+\.\d+\.\d+/, "");
        const broken = contracts(runnerCommandsOf(script));
        expect(missingOf(broken)).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^drift\.yml drift: gh /),
                expect.stringMatching(/^dr\.yml dr: gh /),
            ]),
        );
    });

    it("the runner without kubectl (the DR tool's `kubectl exec`)", () => {
        const script = userData["deploy-runner-template"].replace(/ kubectl-\d+\.\d+\.\d+/, "");
        expect(missingOf(contracts(runnerCommandsOf(script)))).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^dr\.yml dr: kubectl \(.*tools\/lib\/dr\/kubectl-database/),
            ]),
        );
    });

    it("the dr job without its Pulumi CLI install", () => {
        const broken = contracts(runnerCommands, (file, text) =>
            file === "dr.yml"
                ? text.replace(
                      /\n {6}- name: Install the Pulumi CLI\n {8}uses: [^\n]*\n {8}with:\n {10}pulumi-version: [^\n]*\n/,
                      "\n",
                  )
                : text,
        );
        expect(missingOf(broken)).toEqual(
            expect.arrayContaining([expect.stringMatching(/^dr\.yml dr: pulumi /)]),
        );
    });
});

describe("pull-request.yml reaches the preview", () => {
    const workflow = load("pull-request.yml");

    it("needs only jobs whose suites together are the whole suite, each able to pass", () => {
        const needs = [workflow.jobs.preview.needs].flat() as string[];
        expect(needs.sort()).toEqual(["checks", "engines"]);
        const tiers = testTiers(projectDir);
        const all = [...tiers.apt, ...tiers.engines].sort();
        expect(new Set(all).size).toBe(all.length);
        // Which tiers each needed job runs, read from its test command.
        const ran = new Set<string>();
        for (const id of needs) {
            const job = workflow.jobs[id];
            const report = reports.find((r) => r.job === `pull-request.yml ${id}`)!;
            expect(report.missing, id).toEqual([]);
            for (const step of job.steps) {
                for (const inv of shellInvocations(step.run ?? "")) {
                    if (inv.command !== "npm" || inv.args[0] !== "test") continue;
                    const at = inv.args.indexOf("--tier");
                    expect(at, `${id}: npm test -- --tier apt|engines`).toBeGreaterThan(0);
                    for (const file of tiers[inv.args[at + 1] as "apt" | "engines"]) ran.add(file);
                }
            }
        }
        expect([...ran].sort()).toEqual(all);
    });

    it("builds the engines and peer linters before the engine-tier suites, with Go", () => {
        const steps = workflow.jobs.engines.steps;
        const index = (match: (s: (typeof steps)[number]) => boolean) => steps.findIndex(match);
        const go = index((s) => !!s.uses?.startsWith("actions/setup-go@"));
        const engines = index((s) => s.run?.trim() === "npm run engines");
        const peers = index((s) => s.run?.trim() === "bash dev/peers/install.sh");
        const tests = index((s) => s.run?.trim() === "npm test -- --tier engines");
        expect(go).toBeGreaterThanOrEqual(0);
        expect(go).toBeLessThan(engines);
        expect(engines).toBeLessThan(tests);
        expect(peers).toBeLessThan(tests);
        expect(steps[go].with?.["go-version"]).toMatch(/^\d+\.\d+\.\d+$/);
        // The cache of the built binaries is keyed by the pins they are built from.
        const cache = steps.find((s) => s.uses?.startsWith("actions/cache@"))!;
        expect(cache.with?.key).toContain("dev/engines/*/go.sum");
        expect(cache.with?.key).toContain("dev/peers/*/go.sum");
    });
});

describe("reading the commands of a script", () => {
    it.each([
        [
            "a pipeline and a substitution",
            'x="$(jq -r .a f | tr a b)"; gh pr list',
            ["jq", "tr", "gh"],
        ],
        ["a heredoc body is data", "cat <<'EOF'\nrm -rf /\nEOF\necho done", ["cat", "echo"]],
        ["assignments, redirections and arrays", "B=(x y)\nA=1 >/dev/null 2>&1 make", ["make"]],
        [
            "a case statement",
            'case "$1" in\n  a) curl x ;;\n  *) exit 2 ;;\nesac',
            ["curl", "exit"],
        ],
        [
            "wrappers",
            "runuser -u r -- tar xf t; nice -n 10 go build; command -v jq",
            ["runuser", "tar", "nice", "go", "command"],
        ],
        [
            "conditions and loops",
            "if [[ -n $a ]]; then for f in a b; do sha256sum $f; done; fi",
            ["sha256sum"],
        ],
        ["functions are not commands", "build() { go build; }\nbuild x", ["go"]],
    ])("%s", (_, script, expected) => {
        expect(
            shellInvocations(script)
                .map((i) => i.command)
                .sort(),
        ).toEqual([...expected].sort());
    });
});

describe("test tiers", () => {
    it("puts every suite of the test control plane, the engines and the peer linters in the engines tier", () => {
        const tiers = testTiers(projectDir);
        const e2e = fs
            .readdirSync(path.join(projectDir, "test/e2e"))
            .filter((f) => f.endsWith(".test.ts"));
        for (const file of e2e) expect(tiers.engines).toContain(`test/e2e/${file}`);
        expect(tiers.engines).toContain("test/peers/peers.test.ts");
        expect(tiers.apt).toContain("test/tool-contract.test.ts");
        expect(tiers.apt).toContain("test/workflows.test.ts");
    });
});
