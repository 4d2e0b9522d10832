import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { PolicyReport } from "../../tools/lib/policy-runner";
import { projectDir, synth } from "../support/synth";

/** `npm run synth -- <args>` as a child process (tsx directly, as npm runs it). */
function run(args: readonly string[]) {
    const child = spawnSync(
        process.execPath,
        [path.join(projectDir, "node_modules/.bin/tsx"), "tools/synth.ts", ...args],
        { cwd: projectDir, encoding: "utf8", timeout: 180_000 },
    );
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const stackTrace = /^\s+at /m;

describe("npm run synth -- --help", () => {
    it.each([["--help"], ["-h"], ["production", "--help"]])(
        "%s prints the usage with every option on stdout and exits 0",
        (...args) => {
            const result = run(args);
            expect(result.stderr).toBe("");
            expect(result.status).toBe(0);
            expect(result.stdout).toMatch(/^usage: npm run synth -- <stack> \[options\]\n/);
            for (const option of [
                "--verbose",
                "--quiet",
                "--out <dir>",
                "--stack-file <file>",
                "--program <file>",
                "-h, --help",
            ]) {
                expect(result.stdout).toContain(`  ${option} `);
            }
            expect(result.stdout).toContain("stacks in this project: dr, production");
        },
    );
});

describe("npm run synth with a bad command line", () => {
    it.each([
        [["--nope"], "unknown option --nope"],
        [["production", "-x"], "unknown option -x"],
        [["production", "dr"], "unexpected argument dr"],
        [["production", "--out"], "--out needs a value"],
        [["production", "--quiet=yes"], "--quiet takes no value"],
        [[], "no stack given; stacks in this project: dr, production"],
        [["nosuchstack"], 'unknown stack "nosuchstack"; stacks in this project: dr, production'],
    ])("%j exits 2 with one line naming the problem", (args, problem) => {
        const result = run(args);
        expect(result.status).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe(`synth: ${problem}; see --help\n`);
        expect(result.stderr).not.toMatch(stackTrace);
    });
});

describe("npm run synth -- production --verbose", () => {
    const outDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "synth-cli-")), "out");
    const result = run(["production", "--verbose", "--out", outDir]);
    const records = () =>
        JSON.parse(fs.readFileSync(path.join(outDir, "resources.json"), "utf8")) as {
            type: string;
        }[];
    const report = () =>
        JSON.parse(
            fs.readFileSync(path.join(outDir, "policy-report.json"), "utf8"),
        ) as PolicyReport;

    it("exits 0", () => {
        expect(result.status, result.stderr).toBe(0);
    });

    it("reports each step on stderr as it goes, in order", () => {
        const out = path.relative(projectDir, outDir);
        expect(result.stderr.trimEnd().split("\n")).toEqual([
            "synth production: config loaded from Pulumi.production.yaml",
            "synth production: running program index.ts",
            `synth production: ${records().length} resources registered`,
            `synth production: writing ${out}`,
            `synth production: policies: ${report().ran.length} ran`,
        ]);
    });

    it("opens the summary with the resource total and the policy result", () => {
        const first = result.stdout.split("\n")[0];
        expect(first).toBe(
            `production: ${records().length} resources, ${report().ran.length} policies, 0 mandatory violations, 0 advisory`,
        );
    });

    it("lists the resources by type, adding up to the total", () => {
        const lines = result.stdout.split("\n");
        const at = lines.indexOf("resources by type:");
        expect(at).toBeGreaterThan(0);
        const rows = lines.slice(at + 1).filter((line) => /^\s+\d+ {2}\S+$/.test(line));
        const counts = new Map(
            rows.map((row) => [row.trim().split(/\s+/)[1], Number(row.trim().split(/\s+/)[0])]),
        );
        expect(counts.get("pulumi:providers:aws")).toBe(1);
        expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(records().length);
        expect(counts.size).toBe(new Set(records().map((r) => r.type)).size);
    });

    it("writes the same files as a run without --verbose and with --quiet", () => {
        const quiet = synth("production");
        for (const file of ["resources.json", "outputs.json", "policy-report.json"]) {
            expect(fs.readFileSync(path.join(outDir, file), "utf8"), file).toBe(quiet.read(file));
        }
    });
});

describe("npm run synth -- production --quiet (the test harness's run)", () => {
    const result = synth("production");

    it("prints no progress lines, and the summary without the type table", () => {
        expect(result.status).toBe(0);
        expect(result.stderr).toBe("");
        expect(result.stdout).not.toContain("resources by type:");
        expect(result.stdout).not.toMatch(/^\s+\d+ {2}aws:/m);
        expect(result.stdout.trimEnd().split("\n")).toHaveLength(2);
        expect(result.stdout.split("\n")[1]).toMatch(
            /^artifacts in .+: resources\.json, outputs\.json, policy-report\.json, k8s\/, prometheus\/, alertmanager\/, worker\/$/,
        );
    });
});
