import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { suspiciousAccessQueries } from "../../../contracts/logging";
import { freePort } from "../../support/free-port";
import { json, mcp } from "./support";

/**
 * `mcp security access-log --suspicious` with the real AWS CLI against a loopback server
 * answering CloudWatch Logs' JSON 1.1 API (`X-Amz-Target: Logs_20140328.StartQuery`,
 * `…GetQueryResults`) with the documented shapes; AWS_ENDPOINT_URL_CLOUDWATCH_LOGS points the
 * CLI at it.
 */
type Call = { target: string; body: any };
const calls: Call[] = [];
/** Rows per query key, as GetQueryResults returns them. */
let rows: Record<string, Record<string, string>[]> = {};
const running = new Set<string>();

function answer(req: http.IncomingMessage, res: http.ServerResponse) {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => {
        const target = String(req.headers["x-amz-target"] ?? "");
        const body = JSON.parse(text || "{}");
        calls.push({ target, body });
        const send = (value: unknown) => {
            res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
            res.end(JSON.stringify(value));
        };
        if (target === "Logs_20140328.StartQuery") {
            const query = suspiciousAccessQueries().find((q) => q.queryString === body.queryString);
            return send({ queryId: `id-${query?.key ?? "unknown"}` });
        }
        if (target === "Logs_20140328.GetQueryResults") {
            const key = String(body.queryId).replace(/^id-/, "");
            // The first answer for each query says Running, as a real query's first poll does.
            if (!running.has(key)) {
                running.add(key);
                return send({ status: "Running", results: [] });
            }
            return send({
                status: "Complete",
                statistics: { recordsMatched: 1, recordsScanned: 10, bytesScanned: 100 },
                results: (rows[key] ?? []).map((row) => [
                    ...Object.entries(row).map(([field, value]) => ({ field, value })),
                    { field: "@ptr", value: "CmAKJwoj" },
                ]),
            });
        }
        res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "UnknownOperationException", message: target }));
    });
}

let server: http.Server;
let base: string;
beforeAll(async () => {
    server = http.createServer(answer);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const awsEnv = (endpoint: string) => ({
    MCP_STACK: "production",
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_MAX_ATTEMPTS: "1",
});
const reset = () => {
    calls.length = 0;
    running.clear();
};

describe("mcp security access-log --suspicious", () => {
    it("runs the three saved queries over the audit log and lists what they found (exit 1)", async () => {
        reset();
        rows = {
            "suspicious-auth-failures": [
                {
                    principal: "system:anonymous",
                    source_ip: "203.0.113.9",
                    window: "2026-12-08 01:05:00.000",
                    events: "240",
                    last_seen: "2026-12-08 01:09:58.120",
                },
            ],
            "suspicious-pod-exec": [
                {
                    "@timestamp": "2026-12-08 00:30:00.000",
                    principal: "arn:aws:sts::123456789012:assumed-role/dev/alice",
                    source_ip: "198.51.100.7",
                    namespace: "mcp-production",
                    pod: "postgres-primary-0",
                    action: "exec",
                    code: "101",
                },
            ],
        };
        const started = Date.now();
        const run = await mcp(["security", "access-log", "--suspicious"], awsEnv(base));
        expect(run.code, run.stderr).toBe(1);
        const lines = run.stdout.split("\n");
        expect(lines[0]).toMatch(
            /^suspicious-auth-failures: 1 found — At least 20 answers 401\/403/,
        );
        expect(lines[1]).toMatch(/^ {2}principal\s+source_ip\s+window\s+events\s+last_seen$/);
        expect(lines[2]).toMatch(
            /^ {2}system:anonymous\s+203\.0\.113\.9\s+2026-12-08 01:05:00\.000\s+240\s/,
        );
        expect(run.stdout).toMatch(/^suspicious-pod-exec: 1 found/m);
        expect(run.stdout).toMatch(
            /assumed-role\/dev\/alice\s+198\.51\.100\.7\s+mcp-production\s+postgres-primary-0\s+exec/,
        );
        expect(run.stdout).toMatch(/^suspicious-secret-reads: nothing — /m);
        expect(run.stdout).not.toContain("@ptr");
        // What the CLI sent: each saved query's text, over the control plane's group, 24 h.
        const starts = calls.filter((c) => c.target === "Logs_20140328.StartQuery");
        expect(starts.map((c) => c.body.queryString)).toEqual(
            suspiciousAccessQueries().map((q) => q.queryString),
        );
        for (const { body } of starts) {
            expect(body.logGroupName).toBe("/aws/eks/mcp-production/cluster");
            expect(body.endTime - body.startTime).toBe(86_400);
            expect(Math.abs(body.endTime - started / 1000)).toBeLessThan(60);
        }
        expect(calls.filter((c) => c.target === "Logs_20140328.GetQueryResults")).toHaveLength(6);
    }, 120_000);

    it("-o json with --since 1h: nothing found (exit 0)", async () => {
        reset();
        rows = {};
        const run = await mcp(
            ["security", "access-log", "--suspicious", "--since", "1h", "-o", "json"],
            awsEnv(base),
        );
        expect(run.code, run.stderr).toBe(0);
        expect(json(run)).toEqual({
            logGroup: "/aws/eks/mcp-production/cluster",
            queries: suspiciousAccessQueries().map((q) => ({
                key: q.key,
                description: q.description,
                rows: [],
            })),
            found: 0,
        });
        const [start] = calls;
        expect(start.body.endTime - start.body.startTime).toBe(3600);
    }, 120_000);

    it("CloudWatch Logs unreachable: exit 3, naming it", async () => {
        const closed = `http://127.0.0.1:${await freePort()}`;
        const run = await mcp(["security", "access-log", "--suspicious"], awsEnv(closed));
        expect(run.code).toBe(3);
        expect(run.stderr).toMatch(/^mcp security: CloudWatch Logs: aws logs start-query: /m);
        expect(run.stdout).toBe("");
    }, 120_000);

    it.each([
        [["security", "access-log"], /give --suspicious/],
        [
            ["security", "access-log", "--suspicious", "--since", "soon"],
            /--since expects a duration/,
        ],
        [["security", "rotate-keys", "--all"], /unknown option --all|expected mcp security audit/],
        [["security"], /expected mcp security audit or mcp security access-log --suspicious/],
    ])("%j is a usage error (exit 2)", async (argv, problem) => {
        const run = await mcp(argv, awsEnv(base));
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(problem);
    });
});
