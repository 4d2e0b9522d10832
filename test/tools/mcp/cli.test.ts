import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verbSpecs } from "../../../tools/mcp/catalog";
import { verbFlags, verbs } from "../../../tools/mcp/main";
import { Kube } from "../../../tools/mcp/lib/kube";
import { projectDir } from "../../support/synth";
import { json, mcp } from "./support";

/** `npx mcp …` exactly as an operator runs it: the package's bin, through tsx. */
function npxMcp(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"));
    return spawnSync(process.execPath, [path.join(projectDir, pkg.bin.mcp), ...args], {
        encoding: "utf8",
        cwd: projectDir,
        env: { ...process.env, ...env },
        timeout: 60_000,
    });
}

/** A HOME without a kubeconfig, and no KUBECONFIG. */
const noKubeconfig = () => ({ HOME: fs.mkdtempSync(path.join(os.tmpdir(), "mcp-home-")) });

/** The command line: the bin, help, version, completion, usage errors, the stack it picks. */
describe("mcp", () => {
    it("is the package's bin: --version, completion bash and health -o json --help exit 0", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"));
        expect(pkg.bin).toEqual({ mcp: "tools/mcp/bin.mjs" });
        expect(pkg.scripts.dr).toBe("tsx tools/mcp/main.ts dr");

        const version = npxMcp(["--version"]);
        expect(version.status, version.stderr).toBe(0);
        expect(version.stdout).toBe(`mcp ${pkg.version} (mcp-platform, node ${process.version})\n`);

        const completion = npxMcp(["completion", "bash"]);
        expect(completion.status, completion.stderr).toBe(0);
        expect(completion.stdout).toMatch(/^complete -F _mcp_complete mcp$/m);

        const help = npxMcp(["health", "-o", "json", "--help"]);
        expect(help.status, help.stderr).toBe(0);
        expect(help.stdout).toMatch(/^usage: mcp health /);
        expect(help.stdout).toContain("-o, --output json|yaml");
    });

    it("`mcp restart` restarts nothing and exits 2 with its usage, through the bin", () => {
        const run = npxMcp(["restart"], { MCP_STACK: "production" });
        expect(run.status).toBe(2);
        expect(run.stdout).toBe("");
        expect(run.stderr.split("\n")[0]).toBe(
            "mcp restart: give the services to restart, or --all (e.g. mcp restart --all --rolling --delay 30s); see mcp restart --help",
        );
        expect(run.stderr).toMatch(/^usage: mcp restart <service>\.\.\. /m);
        expect(run.stderr).not.toMatch(/^\s+at /m);
    });

    it.each([
        [["restart", "--rolling", "--delay", "30s"], "give the services to restart, or --all"],
        [["restart", "--all", "mcp-registry"], "give the services to restart or --all, not both"],
        [["restart", "mcp-registry", "--delay", "30s"], "--delay only applies with --rolling"],
    ])("restart %j is a usage error", async (argv, problem) => {
        const run = await mcp(argv, { MCP_STACK: "production", ...noKubeconfig() });
        expect(run.code).toBe(2);
        expect(run.stderr).toContain(`mcp restart: ${problem}`);
        expect(run.stderr).toContain("\n       mcp restart --all --rolling [--delay 30s]");
        expect(run.stdout).toBe("");
    });

    it("`mcp --help` lists every usage form of every verb, and completion", async () => {
        const run = await mcp(["--help"]);
        expect(run.code).toBe(0);
        expect(verbs.map((v) => v.spec.name)).toEqual([
            "health",
            "logs",
            "backup",
            "maintenance",
            "tls",
            "restart",
            "scale",
            "stop",
            "start",
            "db",
            "report",
            "update",
            "release",
            "security",
            "config",
            "dr",
        ]);
        for (const { spec } of verbs) {
            expect(run.stdout).toMatch(new RegExp(`^  ${spec.name} +${spec.name}\\b`, "m"));
            for (const form of spec.help.synopsis)
                expect(run.stdout).toContain(` ${form.replace(/^mcp /, "")}\n`);
        }
        expect(run.stdout).toContain("mcp completion bash|zsh");
        expect(run.stdout).toContain("mcp --version | --help");
    });

    it.each(verbSpecs.map((v) => v.name))(
        "%s --help shows every usage form and every option it parses",
        async (name) => {
            const entry = verbs.find((v) => v.spec.name === name)!;
            // The verb parses with the very entry --help shows.
            expect((await entry.load()).spec).toBe(entry.spec);
            const run = await mcp([name, "--help"]);
            expect(run.code).toBe(0);
            expect(run.stderr).toBe("");
            if (name === "dr") {
                expect(run.stdout).toMatch(/^usage: mcp dr <command> \[options\]/);
            } else {
                expect(run.stdout).toMatch(new RegExp(`^usage: mcp ${name}\\b`));
                for (const form of entry.spec.help.synopsis) expect(run.stdout).toContain(form);
                expect(run.stdout).toContain("--stack production|dr");
            }
            for (const flag of verbFlags(entry.spec))
                expect(run.stdout).toMatch(new RegExp(`(^|[ ,])${flag}\\b`, "m"));
        },
    );

    it("accepts every option its help lists (no option is shown but refused)", async () => {
        for (const spec of verbSpecs.filter((v) => v.name !== "dr")) {
            for (const [option, s] of Object.entries(spec.options)) {
                const argv = [spec.name, `--${option}`, ...(s.type === "string" ? ["x"] : [])];
                const run = await mcp([...argv, "--stack", "nosuch"]);
                // Parsed: the stack is what fails, not the option.
                expect(run.stderr, argv.join(" ")).not.toMatch(/unknown option/);
            }
        }
    });

    it("without a verb prints the usage and exits 2; an unknown verb names the verbs", async () => {
        const none = await mcp([]);
        expect(none.code).toBe(2);
        expect(none.stderr).toMatch(/^usage: mcp <verb>/);
        const unknown = await mcp(["profile"]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toBe(
            'mcp: unknown verb "profile"; verbs: health, logs, backup, maintenance, tls, restart, scale, stop, start, db, report, update, release, security, config, dr, completion',
        );
        expect((await mcp(["completion", "fish"])).code).toBe(2);
    });

    it("turns bad options into a line that names them, followed by the verb's usage", async () => {
        const run = await mcp(["scale", "mcp-registry", "--replicas", "many"], {
            MCP_STACK: "production",
        });
        expect(run.code).toBe(2);
        expect(run.stderr.split("\n")).toEqual([
            'mcp scale: --replicas expects a whole number ≥ 0, got "many"; see mcp scale --help',
            "usage: mcp scale <service> --replicas N [--wait [--timeout 5m]]",
            "       mcp scale <service> --replicas 0 --yes",
        ]);
        expect((await mcp(["health", "--colour"], { MCP_STACK: "production" })).stderr).toMatch(
            /^mcp health: unknown option --colour; see mcp health --help\nusage: mcp health /,
        );
    });

    it("takes the stack from --stack, else MCP_STACK, and refuses one the project has no file for", async () => {
        const unknown = await mcp(
            ["scale", "mcp-registry", "--replicas", "2", "--stack", "staging"],
            { MCP_STACK: "production" },
        );
        expect(unknown.code).toBe(2);
        expect(unknown.stderr.split("\n")[0]).toBe(
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
        expect(run.stderr).toMatch(/^mcp dr: unknown command "promote"/);
        const stack = await mcp(["dr", "status", "--stack", "dr"]);
        expect(stack.code).toBe(2);
        expect(stack.stderr.split("\n")[0]).toBe(
            "mcp dr: mcp dr acts on both stacks: use --dr-stack and --production-stack; see mcp dr --help",
        );
        const help = await mcp(["dr", "activate", "--help"]);
        expect(help.stdout).toMatch(/^usage: mcp dr activate \[options\]/);
        expect(help.stdout).toContain("--dry-run");
    });
});

describe("one duration grammar on every command line", () => {
    it("reads 1h30m and a bare number of seconds, and names the option otherwise", async () => {
        // Parsed: the unknown service is what fails, after the durations were read.
        const env = { MCP_STACK: "production", ...noKubeconfig() };
        for (const timeout of ["1h30m", "300", "90s"]) {
            const run = await mcp(["restart", "nosuch", "--graceful", "--timeout", timeout], env);
            expect(run.stderr).toMatch(/^mcp restart: unknown service "nosuch"/);
        }
        const bad = await mcp(["restart", "nosuch", "--timeout", "1.5h"], env);
        expect(bad.code).toBe(2);
        expect(bad.stderr.split("\n")[0]).toBe(
            'mcp restart: --timeout expects a duration such as 30s, 5m, 1h30m, 7d or 300 (seconds), got "1.5h"; see mcp restart --help',
        );
    });
});

describe("-o json|yaml", () => {
    const key = ["config", "get", "workloads.services.mcp-registry.image", "--stack", "production"];
    const image = parse(fs.readFileSync(path.join(projectDir, "Pulumi.production.yaml"), "utf8"))
        .config["mcp-platform:workloads"].services["mcp-registry"].image;

    it("prints the same data as JSON (-o json, --json) and YAML (-o yaml)", async () => {
        const expected = {
            key: "mcp-platform:workloads.services.mcp-registry.image",
            value: image,
        };
        expect(json(await mcp([...key, "-o", "json"]))).toEqual(expected);
        expect(json(await mcp([...key, "--json"]))).toEqual(expected);
        const yaml = await mcp([...key, "-o", "yaml"]);
        expect(yaml.code).toBe(0);
        expect(parse(yaml.stdout)).toEqual(expected);
        expect(yaml.stdout).toMatch(/^key: mcp-platform:workloads/);
    });

    it("refuses another format, and --json with -o yaml", async () => {
        const xml = await mcp([...key, "-o", "xml"]);
        expect(xml.code).toBe(2);
        expect(xml.stderr.split("\n")[0]).toBe(
            'mcp config: -o/--output expects one of json, yaml, got "xml"; see mcp config --help',
        );
        expect((await mcp([...key, "-o", "yaml", "--json"])).code).toBe(2);
    });
});

describe("a missing kubeconfig names the command that writes it", () => {
    it.each([
        [
            "production",
            "aws eks update-kubeconfig --region us-east-1 --name mcp-production --alias production",
        ],
        ["dr", "aws eks update-kubeconfig --region us-west-2 --name mcp-dr --alias dr"],
    ])("scale on %s exits 3 with `%s`", async (stack, command) => {
        const run = await mcp(["scale", "mcp-registry", "--replicas", "2", "--stack", stack], {
            ...noKubeconfig(),
        });
        expect(run.code).toBe(3);
        expect(run.stderr).toMatch(
            /^mcp scale: no kubeconfig for the \S+ stack: .*\.kube\/config does not exist$/m,
        );
        expect(run.stderr).toContain(`what to do: run \`${command}\``);
        expect(run.stderr).not.toContain("localhost:8080");
        expect(run.stderr).not.toContain("inside the stack's VPC");
    });

    it("health without a kubeconfig exits 3 (unreachable), naming the command", async () => {
        const run = await mcp(["health", "--no-edge", "--stack", "production"], noKubeconfig());
        expect(run.code).toBe(3);
        expect(run.stdout).toContain(
            "aws eks update-kubeconfig --region us-east-1 --name mcp-production --alias production",
        );
        expect(run.stdout).toMatch(/^NOT CHECKED: 1 of 1 checks on the production stack/m);
    });

    it("a kubeconfig without a context for the stack and no current one names it too", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
        const file = path.join(dir, "config");
        fs.writeFileSync(
            file,
            "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
        );
        const run = await mcp(["scale", "mcp-registry", "--replicas", "2", "--stack", "dr"], {
            KUBECONFIG: file,
        });
        expect(run.code).toBe(3);
        expect(run.stderr).toContain("has no context for the dr stack");
        expect(run.stderr).toContain(
            "run `aws eks update-kubeconfig --region us-west-2 --name mcp-dr --alias dr`",
        );
    });

    it("picks the context named after the stack, else the stack's EKS cluster, never another cluster's current one", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kubeconfig-"));
        const arn = (name: string) => `arn:aws:eks:us-east-1:111111111111:cluster/${name}`;
        const kubeconfig = (contexts: string[]) => {
            const file = path.join(dir, `config-${contexts.join("-")}`.replace(/[:/]/g, "_"));
            const clusters = ["mcp-production", "mcp-dr", "other"];
            fs.writeFileSync(
                file,
                JSON.stringify({
                    apiVersion: "v1",
                    kind: "Config",
                    "current-context": "other",
                    clusters: clusters.map((c) => ({
                        name: arn(c),
                        cluster: { server: `https://${c}.example.com` },
                    })),
                    users: [{ name: "u", user: { token: "test" } }],
                    contexts: contexts.map((name) => ({
                        name,
                        context: {
                            cluster: arn(
                                name === "production" ? "mcp-production" : name.split("/").pop()!,
                            ),
                            user: "u",
                        },
                    })),
                }),
            );
            return file;
        };
        const cluster = { name: "mcp-production", region: "us-east-1" };
        const server = (file: string) =>
            new Kube({ stack: "production", cluster, kubeconfig: file, env: {} }).server;
        expect(server(kubeconfig(["other", arn("mcp-production"), "production"]))).toBe(
            "https://mcp-production.example.com",
        );
        expect(server(kubeconfig(["other", arn("mcp-production")]))).toBe(
            "https://mcp-production.example.com",
        );
        // `--stack production` with only dr's and another cluster's contexts: refused, not the
        // current context (another cluster) silently.
        expect(() => server(kubeconfig(["other", arn("mcp-dr")]))).toThrow(
            /no context for the production stack \(cluster mcp-production\); the current context "other" is cluster arn:aws:eks:us-east-1:111111111111:cluster\/other/,
        );
        expect(
            new Kube({
                stack: "production",
                cluster,
                kubeconfig: kubeconfig(["other", arn("mcp-dr")]),
                context: "other",
                env: {},
            }).server,
        ).toBe("https://other.example.com");
    });
});

describe("exit 3 when a system could not be reached and nothing reached is unhealthy", () => {
    let closed: string;
    let downEdge: http.Server;
    let downEdgeUrl: string;
    beforeAll(async () => {
        const probe = http.createServer();
        await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
        closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
        await new Promise((resolve) => probe.close(resolve));
        downEdge = http.createServer((_, res) => {
            res.writeHead(503, { "content-type": "application/json" });
            res.end(
                JSON.stringify({
                    status: "down",
                    activeRegion: "primary",
                    maintenance: false,
                    origins: {},
                }),
            );
        });
        await new Promise<void>((resolve) => downEdge.listen(0, "127.0.0.1", resolve));
        downEdgeUrl = `http://127.0.0.1:${(downEdge.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
        await new Promise((resolve) => downEdge?.close(resolve));
    });

    it("health with the edge unreachable exits 3", async () => {
        const run = await mcp([
            "health",
            "--no-cluster",
            "--edge-url",
            closed,
            "--stack",
            "production",
        ]);
        expect(run.code, run.stdout).toBe(3);
        expect(run.stdout).toMatch(/^N\/A   edge: /m);
    });

    it("health exits 1 when something reached is unhealthy, unreachable parts or not", async () => {
        const run = await mcp(
            ["health", "--no-edge", "--edge-url", downEdgeUrl, "--stack", "production"],
            noKubeconfig(),
        );
        expect(run.code).toBe(3);
        const both = await mcp(
            ["health", "--edge-url", downEdgeUrl, "--stack", "production"],
            noKubeconfig(),
        );
        expect(both.code, both.stdout).toBe(1);
        expect(both.stdout).toMatch(/^FAIL  edge: down/m);
        expect(both.stdout).toMatch(/^N\/A   cluster: no kubeconfig/m);
    });
});
