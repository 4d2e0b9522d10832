import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseTypedDuration } from "../../contracts/durations";
import { completionScript } from "../../tools/lib/cli/completion";
import { UsageError } from "../../tools/lib/cli/errors";
import { duration, outputFormat, renderData } from "../../tools/lib/cli/options";
import { completionCommands } from "../../tools/mcp/main";
import { projectDir } from "../support/synth";

/**
 * The one CLI layer every entry point uses (tools/lib/cli/): durations, output formats, the
 * completion script run by the real bash, and the scripts' `--help`/`--version`/usage errors.
 */

describe("durations", () => {
    it.each([
        ["1h30m", 5_400_000],
        ["90m", 5_400_000],
        ["90", 90_000],
        ["300", 300_000],
        ["45s", 45_000],
        ["2d", 172_800_000],
        ["1500ms", 1500],
        ["0s", 0],
    ])("%s is %d ms", (text, ms) => {
        expect(parseTypedDuration(text)).toBe(ms);
        expect(duration("--timeout", text)).toBe(ms);
    });

    it.each([["1.5h"], ["1 h"], [""], ["5 minutes"], ["-5m"], ["h"]])("%j is refused", (text) => {
        expect(() => duration("--max-backup-age", text)).toThrow(UsageError);
        expect(() => duration("--max-backup-age", text)).toThrow(
            `--max-backup-age expects a duration such as 30s, 5m, 1h30m, 7d or 300 (seconds), got "${text}"`,
        );
    });

    it("refuses 0 where a positive duration is needed", () => {
        expect(() => duration("--edge-deadline", "0s", { positive: true })).toThrow(
            '--edge-deadline expects a duration above 0, got "0s"',
        );
    });
});

describe("-o json|yaml", () => {
    it("reads -o and --json, and renders both formats", () => {
        expect(outputFormat({})).toBe("text");
        expect(outputFormat({ json: true })).toBe("json");
        expect(outputFormat({ output: "yaml" })).toBe("yaml");
        expect(() => outputFormat({ output: "table" })).toThrow(UsageError);
        expect(renderData("json", { a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
        expect(renderData("yaml", { a: [1], b: "x" })).toBe("a:\n  - 1\nb: x");
    });
});

describe("mcp completion, run by bash", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-completion-"));
    const script = path.join(dir, "mcp.bash");
    fs.writeFileSync(
        script,
        completionScript("bash", "mcp", completionCommands(), ["--help", "--version"]),
    );

    /** What bash offers for the words typed so far (the last one being completed). */
    function complete(...words: string[]): string[] {
        const line = ["mcp", ...words];
        const quoted = line.map((w) => `'${w}'`).join(" ");
        const result = spawnSync(
            "bash",
            [
                "-c",
                `source '${script}'; COMP_WORDS=(${quoted}); COMP_CWORD=${line.length - 1}; _mcp_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
            ],
            { encoding: "utf8" },
        );
        expect(result.status, result.stderr).toBe(0);
        expect(result.stderr).toBe("");
        return result.stdout.split("\n").filter(Boolean);
    }

    it("is valid bash and registers the function for mcp", () => {
        const check = spawnSync("bash", ["-n", script], { encoding: "utf8" });
        expect(check.status, check.stderr).toBe(0);
        expect(fs.readFileSync(script, "utf8")).toMatch(/^complete -F _mcp_complete mcp$/m);
    });

    it("completes verbs, actions, options and option values", () => {
        expect(complete("he")).toEqual(["health", "help"]);
        expect(complete("")).toContain("completion");
        expect(complete("--v")).toEqual(["--version"]);
        expect(complete("health", "--ti")).toEqual(["--timeout"]);
        expect(complete("health", "--stack", "")).toEqual(["dr", "production"]);
        expect(complete("health", "-o", "")).toEqual(["json", "yaml"]);
        expect(complete("logs", "--level", "")).toEqual(["debug", "info", "warn", "error"]);
        expect(complete("logs", "--fi")).toEqual(["--filter"]);
        expect(complete("backup", "")).toEqual([
            "status",
            "list",
            "verify",
            "create",
            "postgres",
            "redis",
            "app-data",
        ]);
        expect(complete("backup", "list", "")).toEqual(["postgres", "redis", "app-data"]);
        expect(complete("completion", "")).toEqual(["bash", "zsh"]);
        // A value is the operator's to type: nothing offered after --timeout.
        expect(complete("health", "--timeout", "")).toEqual([]);
    });

    it("offers each dr command only its own options", () => {
        expect(complete("dr", "")).toEqual(["status", "activate", "failback", "check-deploy"]);
        expect(complete("dr", "activate", "--d")).toEqual(["--dr-stack", "--dry-run"]);
        const status = complete("dr", "status", "--");
        expect(status).toContain("--max-backup-age");
        expect(status).toContain("--output");
        expect(status).not.toContain("--yes");
        expect(complete("dr", "failback", "--re")).toEqual(["--reseeded"]);
    });

    it("zsh runs the same function through bashcompinit", () => {
        const zsh = completionScript("zsh", "mcp", completionCommands(), ["--help"]);
        const bash = completionScript("bash", "mcp", completionCommands(), ["--help"]);
        expect(zsh).toMatch(/^#compdef mcp$/m);
        expect(zsh).toContain("autoload -U +X bashcompinit && bashcompinit");
        expect(zsh).toContain(bash.split("\n").slice(1).join("\n"));
    });
});

describe("the scripts' command lines", () => {
    const tsx = path.join(projectDir, "node_modules/.bin/tsx");
    const run = (script: string, args: string[]) =>
        spawnSync(process.execPath, [tsx, script, ...args], {
            cwd: projectDir,
            encoding: "utf8",
            timeout: 120_000,
        });
    const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"));

    it.each([
        ["tools/synth.ts", "synth", "npm run synth --"],
        ["tools/preflight.ts", "preflight", "npm run preflight --"],
        ["dev/bench-dr.ts", "bench:dr", "npm run bench:dr --"],
        ["dev/bench-edge.ts", "bench:edge", "npm run bench:edge --"],
        ["dev/bench-synth.ts", "bench:synth", "npm run bench:synth --"],
    ])(
        "%s: --version, --help with its usage forms, and one line for a bad option",
        (script, program, invocation) => {
            const version = run(script, ["--version"]);
            expect(version.status, version.stderr).toBe(0);
            expect(version.stdout).toBe(
                `${program} ${pkg.version} (mcp-platform, node ${process.version})\n`,
            );
            const help = run(script, ["--help"]);
            expect(help.status, help.stderr).toBe(0);
            expect(help.stdout).toMatch(
                new RegExp(`^usage: ${invocation.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
            );
            expect(help.stdout).toContain("  -h, --help");
            expect(help.stdout).toContain("  --version");
            const bad = run(script, ["--nope"]);
            expect(bad.status).toBe(2);
            expect(bad.stdout).toBe("");
            expect(bad.stderr).toBe(
                `${program}: unknown option --nope; see ${invocation} --help\n`,
            );
        },
    );

    it("preflight prints its report as YAML with -o yaml", () => {
        const result = run("tools/preflight.ts", ["production", "-o", "yaml"]);
        expect(result.stderr).toBe("");
        expect(result.stdout).toMatch(/^stack: production$/m);
    });
});
