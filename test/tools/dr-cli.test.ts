import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../config";
import { groupConfig } from "../../config/lib/raw";
import { main } from "../../tools/dr";
import { commandUsage, parseArgs, usage, UsageError } from "../../tools/lib/dr/args";
import { parseEdgeState } from "../../tools/lib/dr/edge";
import { fetchGet } from "../../tools/lib/dr/http";
import { checkPolicyPack, setStackFileFlag } from "../../tools/lib/dr/pulumi-workspace";
import { formatDuration, parseDuration, rpoMs, rtoMs } from "../../tools/lib/dr/targets";
import { readStackConfig } from "../../tools/lib/stack-file";
import { projectDir } from "../support/synth";
import { World } from "./dr-fakes";

describe("recovery targets", () => {
    it("are RPO 1 h and RTO 30 min", () => {
        expect(rpoMs).toBe(3_600_000);
        expect(rtoMs).toBe(1_800_000);
    });

    it("parse and print durations, refusing bare numbers", () => {
        expect(parseDuration("90m")).toBe(5_400_000);
        expect(parseDuration("1h30m")).toBe(5_400_000);
        expect(parseDuration("45s")).toBe(45_000);
        expect(parseDuration("2d")).toBe(172_800_000);
        expect(() => parseDuration("2")).toThrow(/expected a duration/);
        expect(() => parseDuration("1 h")).toThrow(/expected a duration/);
        expect(() => parseDuration("")).toThrow(/expected a duration/);
        expect(formatDuration(3_725_000)).toBe("1h2m5s");
        expect(formatDuration(0)).toBe("0s");
        expect(formatDuration(-90_000)).toBe("-1m30s");
    });
});

describe("command line", () => {
    it("has the documented defaults", () => {
        expect(parseArgs(["activate"])).toEqual({
            command: "activate",
            drStack: "dr",
            productionStack: "production",
            maxBackupAgeMs: rpoMs,
            edgeHostname: undefined,
            edgeDeadlineMs: 300_000,
            edgePollIntervalMs: 10_000,
            s3EndpointUrl: undefined,
            yes: false,
            dryRun: false,
            dataRestored: false,
            reseeded: false,
            skipProductionUp: false,
            json: false,
        });
    });

    it("reads values in both spellings", () => {
        const options = parseArgs([
            "failback",
            "--dr-stack=acme/dr",
            "--production-stack",
            "acme/production",
            "--max-backup-age",
            "2h",
            "--data-restored",
            "--yes",
        ]);
        expect(options).toMatchObject({
            command: "failback",
            drStack: "acme/dr",
            productionStack: "acme/production",
            maxBackupAgeMs: 7_200_000,
            dataRestored: true,
            yes: true,
        });
    });

    it.each([
        [[], "no command given"],
        [["promote"], 'unknown command "promote"'],
        [["activate", "--force"], "unknown option --force"],
        [["activate", "--max-backup-age"], "--max-backup-age needs a value"],
        [["activate", "--max-backup-age", "60"], "--max-backup-age: expected a duration"],
        [["status", "--yes"], "--yes does not apply to status"],
        [["activate", "--data-restored"], "--data-restored does not apply to activate"],
        [["activate", "extra"], "unexpected argument extra"],
        [["activate", "--yes=1"], "--yes takes no value"],
        [["status", "--dr-stack", "--json"], "--dr-stack needs a value"],
        [["help", "promote"], 'unknown command "promote"'],
        [["promote", "--help"], 'unknown command "promote"'],
    ])("rejects %j", (argv, message) => {
        expect(() => parseArgs(argv)).toThrow(UsageError);
        expect(() => parseArgs(argv)).toThrow(message);
    });
});

describe("help", () => {
    const allOptions = [
        "--dr-stack <name>",
        "--production-stack <name>",
        "--max-backup-age <dur>",
        "--edge-hostname <host>",
        "--edge-deadline <dur>",
        "--edge-poll-interval <dur>",
        "--s3-endpoint-url <url>",
        "--dry-run",
        "--yes",
        "--data-restored",
        "--skip-production-up",
        "--json",
        "-h, --help",
    ];

    it("lists every command and every option in the usage", () => {
        for (const command of ["status", "activate", "failback", "check-deploy"])
            expect(usage).toMatch(new RegExp(`^  ${command} +\\S`, "m"));
        for (const option of allOptions) expect(usage).toContain(`\n  ${option} `);
    });

    it.each([[["--help"]], [["-h"]], [["help"]]])("%j asks for the usage", (argv) => {
        expect(parseArgs(argv)).toEqual({ help: usage });
    });

    it.each([[["activate", "--help"]], [["activate", "--yes", "-h"]], [["help", "activate"]]])(
        "%j asks for the usage of activate",
        (argv) => {
            expect(parseArgs(argv)).toEqual({ help: commandUsage("activate") });
        },
    );

    it("lists only the options a command accepts", () => {
        const activate = commandUsage("activate");
        expect(activate).toMatch(/^usage: npm run dr -- activate \[options\]\n/);
        for (const option of ["--dry-run", "--yes", "--edge-deadline <dur>", "--dr-stack <name>"])
            expect(activate).toContain(`\n  ${option} `);
        expect(activate).not.toContain("--json");
        expect(activate).not.toContain("--data-restored");
        expect(commandUsage("status")).toContain("\n  --json ");
        expect(commandUsage("status")).not.toContain("--yes");
        expect(commandUsage("failback")).toContain("\n  --data-restored ");
    });
});

describe("main()", () => {
    const capture = () => {
        const errors: string[] = [];
        const spy = vi.spyOn(console, "error").mockImplementation((line: string) => {
            errors.push(line);
        });
        return { errors, restore: () => spy.mockRestore() };
    };

    it("prints the usage on --help and exits 0", async () => {
        const lines: string[] = [];
        const spy = vi.spyOn(console, "log").mockImplementation((line: string) => {
            lines.push(line);
        });
        expect(await main(["--help"])).toBe(0);
        spy.mockRestore();
        expect(lines.join("\n")).toContain("activate       preflight, then drActive: true");
    });

    it("exits 2 with one line naming the problem on a bad command line", async () => {
        const out = capture();
        expect(await main(["activate", "--nope"])).toBe(2);
        out.restore();
        expect(out.errors).toEqual(["dr: unknown option --nope; see --help"]);
    });

    it("exits 1 naming the failed step and what to do", async () => {
        const world = new World({ drEdgeOutput: true, backupAgeMs: 2 * rpoMs });
        const out = capture();
        expect(await main(["activate", "--yes"], world.deps())).toBe(1);
        out.restore();
        const text = out.errors.join("\n");
        expect(text).toContain('FAILED at step "check the latest replicated backup"');
        expect(text).toContain("what to do:");
    });

    it("exits 0 after a successful activation and 1 on a refused confirmation", async () => {
        expect(await main(["activate", "--yes"], new World({ drEdgeOutput: true }).deps())).toBe(0);
        // vitest's stdin is not a terminal: without --yes there is nobody to ask.
        const out = capture();
        const world = new World({ drEdgeOutput: true });
        expect(await main(["activate"], world.deps())).toBe(1);
        out.restore();
        expect(out.errors.join("\n")).toContain("no terminal to confirm on: pass --yes");
        expect(world.journal).not.toContain("dr setDrActive(true)");
    });

    it("prints status as JSON and exits 1 when there are problems", async () => {
        const healthy = new World();
        expect(await main(["status", "--json"], healthy.deps())).toBe(0);
        const report = JSON.parse(healthy.lines.join("\n"));
        expect(report.stacks.map((s: { name: string }) => s.name)).toEqual(["production", "dr"]);
        const stale = new World({ backupAgeMs: 2 * rpoMs });
        expect(await main(["status"], stale.deps())).toBe(1);
        expect(stale.lines.join("\n")).toContain("1 problem(s)");
    });
});

describe("the real CLI process", () => {
    const dr = (args: readonly string[]) =>
        spawnSync(
            process.execPath,
            [path.join(projectDir, "node_modules/.bin/tsx"), "tools/dr.ts", ...args],
            { cwd: projectDir, encoding: "utf8", timeout: 60_000 },
        );

    it("prints the usage on --help, and a command's usage on <command> --help, exit 0", () => {
        const all = dr(["--help"]);
        expect(all.stderr).toBe("");
        expect(all.status).toBe(0);
        expect(all.stdout).toBe(`${usage}\n`);
        const activate = dr(["activate", "--help"]);
        expect(activate.stderr).toBe("");
        expect(activate.status).toBe(0);
        expect(activate.stdout).toBe(`${commandUsage("activate")}\n`);
    });

    it.each([
        [["activate", "--nope"], "unknown option --nope"],
        [["status", "extra"], "unexpected argument extra"],
        [["failback", "--edge-deadline", "soon"], "--edge-deadline: expected a duration"],
    ])("%j exits 2 with one line on stderr and no stack trace", (args, problem) => {
        const child = dr(args);
        expect(child.status).toBe(2);
        expect(child.stdout).toBe("");
        expect(child.stderr).toMatch(/^dr: [^\n]+; see --help\n$/);
        expect(child.stderr).toContain(`dr: ${problem}`);
        expect(child.stderr).not.toMatch(/^\s+at /m);
    });

    it("stops at the first step with an install hint when the Pulumi CLI is missing", () => {
        const child = spawnSync(
            process.execPath,
            [path.join(projectDir, "node_modules/.bin/tsx"), "tools/dr.ts", "activate", "--yes"],
            {
                cwd: projectDir,
                encoding: "utf8",
                // Only node's own folder: no `pulumi` on PATH.
                env: { ...process.env, PATH: path.dirname(process.execPath) },
                timeout: 60_000,
            },
        );
        expect(child.stderr).toContain('FAILED at step "select the dr stack"');
        expect(child.stderr).toContain("the Pulumi CLI (`pulumi`) is not on PATH");
        expect(child.stderr).toContain("install the Pulumi CLI");
        expect(child.stdout).toContain("[1/7] select the dr stack");
        expect(child.status).toBe(1);
    });
});

describe("writing the flag into the stack file", () => {
    it("writes a YAML boolean, keeps the comments, and config.ts accepts it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-flag-"));
        const file = path.join(dir, "Pulumi.dr.yaml");
        fs.copyFileSync(path.join(projectDir, "Pulumi.dr.yaml"), file);
        fs.copyFileSync(path.join(projectDir, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        const before = fs.readFileSync(file, "utf8");

        await setStackFileFlag(file, "mcp-platform:drActive", true);
        const after = fs.readFileSync(file, "utf8");
        expect(parse(after).config["mcp-platform:drActive"]).toBe(true);
        expect(after).toContain("mcp-platform:drActive: true");
        // The first comment lines survive, and only the flag's line changed.
        expect(after.split("\n")[0]).toBe(before.split("\n")[0]);
        const changed = after.split("\n").filter((line, i) => line !== before.split("\n")[i]);
        expect(changed).toEqual(["  mcp-platform:drActive: true"]);

        const raw = readStackConfig(dir, file);
        const cfg = parseConfig(
            groupConfig(raw.config, (key) => raw.secretKeys.includes(key)),
            "dr",
        );
        expect(cfg.drActive).toBe(true);
        expect(cfg.dr.name).toBe("activated");

        await setStackFileFlag(file, "mcp-platform:drActive", false);
        expect(fs.readFileSync(file, "utf8")).toBe(before);
    });

    it("adds the key after mcp-platform:role when the file does not have it", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dr-flag-")), "Pulumi.x.yaml");
        fs.writeFileSync(
            file,
            "# standby\nconfig:\n  aws:region: us-west-2\n  mcp-platform:role: standby # keep\n  mcp-platform:x: { a: 1 }\n",
        );
        await setStackFileFlag(file, "mcp-platform:drActive", true);
        expect(fs.readFileSync(file, "utf8")).toBe(
            "# standby\nconfig:\n  aws:region: us-west-2\n  mcp-platform:role: standby # keep\n  mcp-platform:drActive: true\n  mcp-platform:x: { a: 1 }\n",
        );
    });

    it("refuses a file without a config map", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dr-flag-")), "Pulumi.x.yaml");
        fs.writeFileSync(file, "encryptionsalt: abc\n");
        await expect(setStackFileFlag(file, "mcp-platform:drActive", true)).rejects.toThrow(
            "has no config: map",
        );
    });
});

describe("the policy pack an update runs", () => {
    it("is ready in this repository once its dependencies are installed", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-pack-"));
        expect(() => checkPolicyPack(dir)).toThrow("no policy pack in");
        fs.copyFileSync(
            path.join(projectDir, "policies/PulumiPolicy.yaml"),
            path.join(dir, "PulumiPolicy.yaml"),
        );
        expect(() => checkPolicyPack(dir)).toThrow("run `npm ci --prefix policies`");
        fs.mkdirSync(path.join(dir, "node_modules/@pulumi/policy"), { recursive: true });
        expect(() => checkPolicyPack(dir)).not.toThrow();
    });
});

describe("the edge's /health/detailed", () => {
    it("is parsed strictly", () => {
        expect(parseEdgeState('{"activeRegion":"dr","maintenance":true}')).toEqual({
            activeRegion: "dr",
            maintenance: true,
            serving: true,
        });
        expect(parseEdgeState('{"activeRegion":"dr"}', 503)).toMatchObject({ serving: false });
        expect(() => parseEdgeState("<html>")).toThrow("not JSON");
        expect(() => parseEdgeState('{"activeRegion":"eu"}')).toThrow('activeRegion is "eu"');
    });

    describe("over real HTTP on loopback", () => {
        let server: http.Server;
        let base: string;
        beforeAll(async () => {
            server = http.createServer((req, res) => {
                if (req.url === "/health/detailed") {
                    res.writeHead(200, { "content-type": "application/json" });
                    res.end(JSON.stringify({ activeRegion: "primary", maintenance: false }));
                } else if (req.url === "/hang") {
                    // never answers
                } else {
                    res.writeHead(404).end();
                }
            });
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        });
        afterAll(() => {
            server.closeAllConnections();
            server.close();
        });

        it("reads the body and status", async () => {
            const response = await fetchGet(`${base}/health/detailed`, 2000);
            expect(response.status).toBe(200);
            expect(parseEdgeState(response.body).activeRegion).toBe("primary");
        });

        it("gives up after the timeout", async () => {
            await expect(fetchGet(`${base}/hang`, 200)).rejects.toThrow("no answer within 200 ms");
        });

        it("reports a refused connection", async () => {
            const closed = http.createServer();
            await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
            const port = (closed.address() as AddressInfo).port;
            await new Promise((resolve) => closed.close(resolve));
            await expect(fetchGet(`http://127.0.0.1:${port}/`, 2000)).rejects.toThrow(
                "ECONNREFUSED",
            );
        });
    });
});
