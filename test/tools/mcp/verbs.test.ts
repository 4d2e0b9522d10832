import { spawn } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rpoMs } from "../../../tools/lib/dr/targets";
import { connectionsSql, parseConnections, psqlCommand } from "../../../tools/mcp/verbs/db";
import { drVerb } from "../../../tools/mcp/verbs/dr";
import { buildQuery } from "../../../tools/mcp/verbs/logs";
import { loadStackConfig } from "../../../tools/mcp/lib/stack";
import { pgBin, requireTools, run, startPostgres, type PostgresServer } from "../../support/ops";
import { World } from "../dr-fakes";
import { json, mcp } from "./support";
import { requestIdPlaceholder, savedQueries } from "../../../contracts/logging";

const cfg = loadStackConfig("production");

describe("mcp db connections: the query and its parser on a real PostgreSQL 15", () => {
    let pg: PostgresServer;
    beforeAll(async () => {
        requireTools("postgres");
        pg = await startPostgres();
        await pg.sql("CREATE ROLE mcp_user LOGIN; CREATE DATABASE mcp_db OWNER mcp_user;");
    });
    afterAll(async () => {
        await pg?.stop();
    });

    it("counts client connections by user, application and state against max_connections", async () => {
        // A client of the service kind holding a connection while the query runs.
        const holder = spawn(
            path.join(pgBin, "psql"),
            [
                "-X",
                "-h",
                pg.socketDir,
                "-p",
                String(pg.port),
                "-U",
                "mcp_user",
                "-d",
                "mcp_db",
                "-c",
                "SELECT pg_sleep(20)",
            ],
            {
                env: { ...process.env, PGAPPNAME: "mcp-registry" },
                stdio: "ignore",
            },
        );
        try {
            for (let i = 0; i < 100; i++) {
                const seen = await pg.sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mcp-registry'",
                );
                if (seen === "1") break;
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            // Exactly the command `mcp db connections` runs in postgres-primary-0, here over a socket.
            const [bin, ...args] = psqlCommand;
            const result = await run(path.join(pgBin, bin), [
                ...args,
                "-h",
                pg.socketDir,
                "-p",
                String(pg.port),
            ]);
            expect(result.status, result.stderr).toBe(0);
            const connections = parseConnections(result.stdout);
            expect(connections.maxConnections).toBe(100);
            expect(connections.total).toBe(2);
            expect(connections.groups).toContainEqual({
                user: "mcp_user",
                application: "mcp-registry",
                state: "active",
                count: 1,
            });
            expect(connections.groups).toContainEqual({
                user: "mcp_user",
                application: "psql",
                state: "active",
                count: 1,
            });
        } finally {
            holder.kill();
        }
    });

    it("refuses output that is not the query's", () => {
        expect(connectionsSql).toContain("pg_stat_activity");
        expect(() => parseConnections("ERROR: relation does not exist\n")).toThrow(
            /unexpected psql output line/,
        );
    });
});

describe("mcp logs: the Logs Insights queries", () => {
    const saved = Object.fromEntries(
        savedQueries(cfg.logging.slowRequestThresholdMs).map((q) => [q.key, q.queryString]),
    );

    it("runs the deployed saved queries for --request-id, --summary and --slow", () => {
        const trace = buildQuery(cfg, { requestId: "abc-123-def", limit: 100 });
        expect(trace.saved).toBe("mcp-platform/production/request-trace");
        expect(trace.queryString).toBe(
            saved["request-trace"].replace(requestIdPlaceholder, "abc-123-def"),
        );
        expect(trace.sinceMs).toBe(24 * 3_600_000);
        expect(buildQuery(cfg, { summary: true, level: "error", limit: 100 }).queryString).toBe(
            saved["errors-by-service"],
        );
        expect(buildQuery(cfg, { slow: true, since: "30m", limit: 100 })).toMatchObject({
            queryString: saved["slow-requests"],
            sinceMs: 1_800_000,
        });
    });

    it("searches one service's namespace group by level and text, escaping the text", () => {
        const q = buildQuery(cfg, {
            service: "filesystem",
            level: "warn",
            search: 'say "hi"',
            since: "24h",
            limit: 20,
        });
        expect(q.logGroupNames).toEqual(["/mcp-platform/production/mcp-platform"]);
        expect(q.queryString).toContain(
            '| filter lvl = "warn" or lvl = "warning" or lvl = "error" or lvl = "critical" or lvl = "fatal"',
        );
        expect(q.queryString).toContain('| filter svc = "filesystem-mcp"');
        expect(q.queryString).toContain('| filter strcontains(@message, "say \\"hi\\"")');
        expect(q.queryString).toMatch(/\| limit 20$/);
        expect(buildQuery(cfg, { limit: 1 }).logGroupNames).toEqual([
            ...cfg.logging.namespaces.map((ns) => `/mcp-platform/production/${ns}`),
            "/mcp-platform/production/_other",
        ]);
    });

    it("refuses a request id that could change the query, and option clashes", async () => {
        expect(() => buildQuery(cfg, { requestId: 'x" or 1=1', limit: 1 })).toThrow(
            /--request-id expects/,
        );
        const run = await mcp(["logs", "--summary", "--slow"], { MCP_STACK: "production" });
        expect(run.code).toBe(2);
        expect(run.stderr).toBe(
            "mcp logs: --summary and --slow do not go together; see mcp logs --help",
        );
    });
});

describe("mcp config and maintenance refuse before changing anything", () => {
    it("config set validates the change as the program does and writes nothing when it is wrong", async () => {
        const bad = await mcp(["config", "set", "workloads.services.mcp-registry.replicas", "0"], {
            MCP_STACK: "production",
        });
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(
            /^mcp config: Pulumi\.production\.yaml would not be valid with mcp-platform:workloads\.services\.mcp-registry\.replicas:/,
        );
        expect(bad.stderr).toContain("nothing was written");
        const secret = await mcp(
            [
                "config",
                "set",
                "DATABASE_URL",
                "postgresql://mcp:hunter2@replica-db/mcp",
                "--service",
                "mcp-registry",
            ],
            { MCP_STACK: "production" },
        );
        expect(secret.code).toBe(2);
        expect(secret.stderr).toContain("expected no credential in env");
        expect(secret.stderr).not.toContain("hunter2");
        expect(
            (await mcp(["config", "set", "LOG_LEVEL", "debug"], { MCP_STACK: "production" }))
                .stderr,
        ).toBe(
            "mcp config: LOG_LEVEL is a service's environment variable: give --service; see mcp config --help",
        );
    });

    it("config get reads the stack's validated value", async () => {
        const run = await mcp(
            ["config", "get", "workloads.services.mcp-registry.autoscaling", "--json"],
            { MCP_STACK: "production" },
        );
        expect(run.code).toBe(0);
        expect(json(run).value).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
    });

    it("maintenance enable needs the Cloudflare token and the stack that owns the switch", async () => {
        const noToken = await mcp(
            ["maintenance", "enable", "--kv-namespace-id", "0123456789abcdef0123456789abcdef"],
            { MCP_STACK: "production" },
        );
        expect(noToken.code).toBe(2);
        expect(noToken.stderr).toMatch(
            /^mcp maintenance: CLOUDFLARE_API_TOKEN is not set: the edge switch cannot be written/,
        );
        const dr = await mcp(["maintenance", "enable"], {
            MCP_STACK: "dr",
            CLOUDFLARE_API_TOKEN: "t",
        });
        expect(dr.code).toBe(2);
        expect(dr.stderr).toMatch(/the dr stack does not own the edge's maintenance switch/);
        // The manual's `enable --message "…"`: accepted, with a note that the edge's page is fixed.
        const message = await mcp(
            [
                "maintenance",
                "enable",
                "--message",
                "Scheduled maintenance in progress",
                "--kv-namespace-id",
                "ns",
            ],
            { MCP_STACK: "production" },
        );
        expect(message.stderr.split("\n")[0]).toBe(
            "note: --message is the ALB page of --services; the edge's maintenance page has a fixed text",
        );
        expect(message.stderr).toMatch(/CLOUDFLARE_API_TOKEN is not set/);
    });
});

describe("mcp dr: the DR procedure behind tools/lib/dr's interfaces", () => {
    const io = (lines: string[]) => ({
        env: {},
        out: (l: string) => lines.push(l),
        err: (l: string) => lines.push(l),
    });

    it("status reports both stacks and exits 1 on a stale backup", async () => {
        const healthy = new World();
        expect(await drVerb(healthy.deps()).run(["status", "--json"], io([]))).toBe(0);
        expect(
            JSON.parse(healthy.lines.join("\n")).stacks.map((s: { name: string }) => s.name),
        ).toEqual(["production", "dr"]);
        const stale = new World({ backupAgeMs: 2 * rpoMs });
        expect(await drVerb(stale.deps()).run(["status"], io([]))).toBe(1);
        expect(stale.lines.join("\n")).toContain("1 problem(s)");
    });

    it("activate --dry-run runs the preflight only", async () => {
        const world = new World({ drEdgeOutput: true });
        expect(await drVerb(world.deps()).run(["activate", "--dry-run"], io([]))).toBe(0);
        expect(world.journal).not.toContain("dr setDrActive(true)");
    });
});
