import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { verbs } from "../../../tools/mcp/main";
import { projectDir } from "../../support/synth";
import { mcp } from "./support";

/** The `mcp` command itself: the bin, the verbs' help, usage errors, the stack it picks. */
describe("mcp", () => {
    it("is the package's bin, and `mcp --help` through it lists every verb", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"));
        expect(pkg.bin).toEqual({ mcp: "tools/mcp/bin.mjs" });
        expect(pkg.scripts.dr).toBe("tsx tools/mcp/main.ts dr");
        const result = spawnSync(process.execPath, [path.join(projectDir, pkg.bin.mcp), "--help"], {
            encoding: "utf8",
            cwd: projectDir,
        });
        expect(result.status, result.stderr).toBe(0);
        for (const verb of verbs)
            expect(result.stdout).toMatch(new RegExp(`^  ${verb.name} +${verb.name}\\b`, "m"));
        expect(verbs.map((v) => v.name)).toEqual([
            "health",
            "logs",
            "backup",
            "maintenance",
            "tls",
            "restart",
            "scale",
            "db",
            "report",
            "config",
            "dr",
        ]);
    });

    it.each(verbs.map((v) => v.name))(
        "%s --help exits 0 and shows the verb's usage",
        async (name) => {
            const entry = verbs.find((v) => v.name === name)!;
            const verb = await entry.load();
            expect(verb.name).toBe(name);
            // The line `mcp --help` shows is the verb's own first synopsis line.
            expect(entry.synopsis).toBe(verb.help.synopsis[0]);
            const run = await mcp([name, "--help"]);
            expect(run.code).toBe(0);
            expect(run.stderr).toBe("");
            expect(run.stdout).toMatch(
                name === "dr"
                    ? /^usage: mcp dr <command> \[options\]/
                    : new RegExp(`^usage: mcp ${name}\\b`),
            );
            if (name !== "dr") expect(run.stdout).toContain("--stack production|dr");
        },
    );

    it("without a verb prints the usage and exits 2; an unknown verb names the verbs", async () => {
        expect((await mcp([])).code).toBe(2);
        const unknown = await mcp(["stop"]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toBe(
            'mcp: unknown verb "stop"; verbs: health, logs, backup, maintenance, tls, restart, scale, db, report, config, dr',
        );
    });

    it("turns bad options into one line that names them", async () => {
        const run = await mcp(["scale", "mcp-registry", "--replicas", "many"], {
            MCP_STACK: "production",
        });
        expect(run.code).toBe(2);
        expect(run.stderr).toBe(
            'mcp scale: --replicas expects a whole number ≥ 0, got "many"; see mcp scale --help',
        );
        expect((await mcp(["health", "--colour"], { MCP_STACK: "production" })).stderr).toBe(
            "mcp health: unknown option --colour; see mcp health --help",
        );
    });

    it("takes the stack from --stack, else MCP_STACK, and refuses one the project has no file for", async () => {
        const unknown = await mcp(
            ["scale", "mcp-registry", "--replicas", "2", "--stack", "staging"],
            { MCP_STACK: "production" },
        );
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toBe(
            'mcp scale: unknown stack "staging" (from --stack); stacks in this project: dr, production; see mcp scale --help',
        );
        const fromEnv = await mcp(["scale", "mcp-registry", "--replicas", "2"], {
            MCP_STACK: "my-org/qa",
        });
        expect(fromEnv.stderr).toMatch(/unknown stack "my-org\/qa" \(from MCP_STACK\)/);
    });

    it("names the services it knows when given another", async () => {
        const run = await mcp(["scale", "registry", "--replicas", "2"], {
            MCP_STACK: "production",
        });
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(
            /^mcp scale: unknown service "registry" in the production stack\nwhat to do: use one of: mcp-typescript-api, .*mcp-registry, .*filesystem-mcp.*, postgres, postgres-primary, postgres-replica, redis$/,
        );
    });

    it("mcp dr is npm run dr: the DR procedure's own usage errors, and no --stack", async () => {
        const run = await mcp(["dr", "promote"]);
        expect(run.code).toBe(2);
        const stack = await mcp(["dr", "status", "--stack", "dr"]);
        expect(stack.code).toBe(2);
        expect(stack.stderr).toBe(
            "mcp dr: mcp dr acts on both stacks: use --dr-stack and --production-stack; see mcp dr --help",
        );
        const help = await mcp(["dr", "activate", "--help"]);
        expect(help.stdout).toMatch(/^usage: mcp dr activate \[options\]/);
        expect(help.stdout).toContain("--dry-run");
    });
});
