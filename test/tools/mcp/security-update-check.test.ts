import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findingsFilter } from "../../../tools/mcp/lib/image-findings";
import { projectDir } from "../../support/synth";
import { json, mcp } from "./support";

/**
 * `mcp security update --check` with the real AWS CLI against a loopback server answering
 * Inspector's ListFindings (REST JSON, `POST /findings/list`, paginated by nextToken) the way
 * the API documents it, reached through AWS_ENDPOINT_URL_INSPECTOR2.
 */

const fixtures = path.join(projectDir, "test/fixtures/inspector2");
const bodies: Record<string, any>[] = [];
let mode: "findings" | "none" | "denied" = "findings";
let server: http.Server;
let base: string;

function answer(req: http.IncomingMessage, res: http.ServerResponse) {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
        const send = (status: number, body: string, headers: Record<string, string> = {}) => {
            res.writeHead(status, { "content-type": "application/json", ...headers });
            res.end(body);
        };
        if (req.method !== "POST" || req.url !== "/findings/list") return send(404, "{}");
        const body = JSON.parse(raw || "{}") as Record<string, any>;
        bodies.push(body);
        if (mode === "denied") {
            return send(403, JSON.stringify({ message: "User is not authorized" }), {
                "x-amzn-errortype": "AccessDeniedException",
            });
        }
        if (mode === "none") return send(200, JSON.stringify({ findings: [] }));
        const page = body.nextToken === "page-2" ? "findings-page2.json" : "findings-page1.json";
        return send(200, fs.readFileSync(path.join(fixtures, page), "utf8"));
    });
}

beforeAll(async () => {
    server = http.createServer(answer);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = () => ({
    AWS_ENDPOINT_URL_INSPECTOR2: base,
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_MAX_ATTEMPTS: "1",
});

describe("mcp security update --check against Inspector's ListFindings", () => {
    it("asks for the active findings of the cache's images in the stack's registry, every page", async () => {
        mode = "findings";
        bodies.length = 0;
        const run = await mcp(
            ["security", "update", "--check", "--stack", "production", "-o", "json"],
            env(),
        );
        expect(run.code, run.stderr).toBe(1);
        expect(bodies.map((b) => b.nextToken)).toEqual([undefined, "page-2"]);
        expect(bodies[0].filterCriteria).toEqual(findingsFilter("111111111111"));
        expect(bodies[0].filterCriteria.ecrImageRepositoryName).toEqual([
            { comparison: "PREFIX", value: "docker-hub/" },
            { comparison: "PREFIX", value: "ghcr/" },
            { comparison: "PREFIX", value: "quay/" },
        ]);

        const result = json(run);
        expect(result.registry).toBe("111111111111.dkr.ecr.us-east-1.amazonaws.com");
        expect(result.failOn).toBe("HIGH");
        expect(result.summary).toEqual({
            CRITICAL: 1,
            HIGH: 1,
            MEDIUM: 0,
            LOW: 1,
            INFORMATIONAL: 0,
            UNTRIAGED: 0,
        });
        // Most severe first; the package, its fix and the cached image of each.
        expect(result.findings.map((f: any) => [f.severity, f.vulnerability, f.image])).toEqual([
            ["CRITICAL", "GHSA-xxxx-yyyy-zzzz", "ghcr/mcp-platform/mcp-router:v2.4.1"],
            ["HIGH", "CVE-2025-0001", "docker-hub/library/postgres:15.13-bookworm"],
            ["LOW", "CVE-2025-0002", "docker-hub/library/redis:7.2.5-bookworm"],
        ]);
        expect(result.findings[1].packages).toEqual([
            { name: "openssl", version: "3.0.15", fixedIn: "0:3.0.16-1~deb12u1" },
        ]);
        expect(result.findings[2].packages).toEqual([
            { name: "zlib1g", version: "1:1.2.13.dfsg-1" },
        ]);
    });

    it("prints the counts and a table, and the remedy on stderr", async () => {
        mode = "findings";
        const run = await mcp(["security", "update", "--check", "--stack", "dr"], env());
        expect(run.code).toBe(1);
        expect(run.stdout.split("\n")[0]).toBe(
            "111111111111.dkr.ecr.us-west-2.amazonaws.com: 3 open finding(s): 1 CRITICAL, 1 HIGH, 0 MEDIUM, 1 LOW, 0 INFORMATIONAL, 0 UNTRIAGED",
        );
        expect(run.stdout).toMatch(
            /CRITICAL +GHSA-xxxx-yyyy-zzzz +golang.org\/x\/net v0.17.0 → 0.23.0 +ghcr\/mcp-platform\/mcp-router:v2.4.1/,
        );
        expect(run.stdout).toContain("zlib1g 1:1.2.13.dfsg-1 (no fix)");
        expect(run.stderr).toContain(
            "2 finding(s) at HIGH or above: move the image to a fixed tag",
        );
    });

    it("exits 0 below the threshold and with no finding", async () => {
        mode = "findings";
        const critical = await mcp(
            ["security", "update", "--check", "--stack", "production", "--fail-on", "CRITICAL"],
            env(),
        );
        expect(critical.code).toBe(1);
        mode = "none";
        const none = await mcp(
            ["security", "update", "--check", "--stack", "production", "-o", "yaml"],
            env(),
        );
        expect(none.code, none.stderr).toBe(0);
        expect(none.stdout).toContain("findings: []");
    });

    it("exits 3 naming the call when Inspector refuses, and 2 without --check or with a bad severity", async () => {
        mode = "denied";
        const denied = await mcp(["security", "update", "--check", "--stack", "production"], env());
        expect(denied.code).toBe(3);
        expect(denied.stderr).toMatch(/aws inspector2 list-findings: .*not authorized/);
        const noCheck = await mcp(["security", "update", "--stack", "production"], env());
        expect(noCheck.code).toBe(2);
        expect(noCheck.stderr).toContain("only checks: add --check");
        const bad = await mcp(["security", "update", "--check", "--fail-on", "SEVERE"], env());
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain(
            '--fail-on expects one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, got "SEVERE"',
        );
    });
});
