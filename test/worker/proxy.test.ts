import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    refusedUrl,
    securityHeaders,
    startEdge,
    startOrigin,
    switchKeys,
    testOriginToken,
    type TestEdge,
    type TestOrigin,
} from "./support";

/** The bundled Worker in workerd, proxying to real loopback origins. */

let primary: TestOrigin;
let dr: TestOrigin;
let refused: string;
beforeAll(async () => {
    [primary, dr] = await Promise.all([startOrigin("primary"), startOrigin("dr")]);
    refused = await refusedUrl();
});
afterAll(async () => {
    await Promise.all([primary.close(), dr.close()]);
});
beforeEach(() => {
    primary.reset();
    dr.reset();
});

async function bodyOf(response: Response): Promise<Record<string, any>> {
    expect(response.headers.get("content-type")).toMatch(/application\/json/);
    return (await response.json()) as Record<string, any>;
}

describe("edge Worker: both origins up", () => {
    let edge: TestEdge;
    beforeAll(async () => {
        edge = await startEdge({ primary: primary.url, dr: dr.url });
    });
    afterAll(() => edge.close());
    beforeEach(async () => {
        await edge.setSwitch(switchKeys.activeRegion, null);
        await edge.setSwitch(switchKeys.maintenance, null);
    });

    it("proxies to the primary only, with path and query intact", async () => {
        const response = await edge.fetch("/mcp/tools?x=1");
        expect(response.status).toBe(200);
        const body = await bodyOf(response);
        expect(body).toMatchObject({ origin: "primary", method: "GET", url: "/mcp/tools?x=1" });
        expect(primary.seen).toHaveLength(1);
        expect(dr.seen).toHaveLength(0);
    });

    it("sets security headers, hides origin software and generates a request id", async () => {
        const response = await edge.fetch("/anything");
        for (const header of securityHeaders) expect(response.headers.get(header)).toBeTruthy();
        expect(response.headers.get("x-frame-options")).toBe("DENY");
        expect(response.headers.get("server")).toBeNull();
        expect(response.headers.get("x-powered-by")).toBeNull();
        const id = response.headers.get("x-request-id");
        expect(id).toMatch(/^[0-9a-f-]{36}$/);
        expect(primary.seen[0].headers["x-request-id"]).toBe(id);
    });

    it("propagates a well-formed x-request-id and replaces a malformed one", async () => {
        const given = "req-2024.abc:42";
        const kept = await edge.fetch("/a", { headers: { "x-request-id": given } });
        expect(kept.headers.get("x-request-id")).toBe(given);
        expect(primary.seen[0].headers["x-request-id"]).toBe(given);

        const replaced = await edge.fetch("/b", { headers: { "x-request-id": "bad id<script>" } });
        expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
        expect(primary.seen[1].headers["x-request-id"]).toBe(replaced.headers.get("x-request-id"));
    });

    it("forwards the client IP and overrides spoofed forwarding and edge headers", async () => {
        await edge.fetch("/ip", {
            headers: {
                "x-forwarded-for": "6.6.6.6",
                "x-real-ip": "6.6.6.6",
                "x-edge-auth": "forged",
                "x-edge-region": "dr",
            },
        });
        const seen = primary.seen[0].headers;
        // Miniflare reports the loopback client as cf-connecting-ip, as Cloudflare would the caller.
        expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
        expect(seen["x-real-ip"]).toBe("127.0.0.1");
        expect(seen["x-forwarded-proto"]).toBe("https");
        expect(seen["x-forwarded-host"]).toBe("edge.example");
        // The origin is addressed by its own hostname (its ingress routes on it).
        expect(seen.host).toBe(new URL(primary.url).host);
        expect(seen["x-edge-region"]).toBe("primary");
        expect(seen["x-edge-auth"]).toBe(testOriginToken);
    });

    it("passes a POST body through to the primary", async () => {
        const payload = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
        const response = await edge.fetch("/mcp", {
            method: "POST",
            body: payload,
            headers: { "content-type": "application/json" },
        });
        expect(response.status).toBe(200);
        expect((await bodyOf(response)).body).toBe(payload);
        expect(dr.seen).toHaveLength(0);
    });

    it("passes a 4xx from the primary through (no failover)", async () => {
        primary.mode = "missing";
        const response = await edge.fetch("/missing", { method: "DELETE" });
        expect(response.status).toBe(404);
        expect((await bodyOf(response)).origin).toBe("primary");
        expect(dr.seen).toHaveLength(0);
    });

    it("KV switch to DR: all traffic goes to DR and the primary is never contacted", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        const get = await edge.fetch("/mcp/tools");
        const post = await edge.fetch("/mcp", { method: "POST", body: "{}" });
        const detailed = await edge.fetch("/health/detailed");
        expect((await bodyOf(get)).origin).toBe("dr");
        expect((await bodyOf(post)).origin).toBe("dr");
        const health = await bodyOf(detailed);
        expect(health.activeRegion).toBe("dr");
        expect(health.origins.primary.status).toBe("not_checked");
        expect(health.origins.dr.status).toBe("up");
        expect(primary.seen).toHaveLength(0);
        expect(dr.seen.map((r) => r.method)).toEqual(["GET", "POST", "GET"]);
        expect(dr.seen[0].headers["x-edge-region"]).toBe("dr");

        // Switching back sends traffic to the primary again.
        await edge.setSwitch(switchKeys.activeRegion, "primary");
        expect((await bodyOf(await edge.fetch("/again"))).origin).toBe("primary");
    });

    it("KV switch to DR: a failing DR is not rescued by the primary", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        dr.mode = "error";
        const response = await edge.fetch("/mcp/tools");
        expect(response.status).toBe(503);
        expect((await bodyOf(response)).attempts).toEqual([
            { origin: "dr", reason: "http_5xx", status: 503 },
        ]);
        expect(primary.seen).toHaveLength(0);
    });

    it("maintenance: 503 page with Retry-After; health endpoints still answer", async () => {
        await edge.setSwitch(switchKeys.maintenance, "on");
        const page = await edge.fetch("/mcp/tools");
        expect(page.status).toBe(503);
        expect(page.headers.get("retry-after")).toBe("300");
        expect(page.headers.get("content-type")).toMatch(/text\/html/);
        expect(await page.text()).toContain("maintenance");
        for (const header of securityHeaders) expect(page.headers.get(header)).toBeTruthy();

        const api = await edge.fetch("/mcp", {
            method: "POST",
            headers: { accept: "application/json, text/event-stream" },
            body: "{}",
        });
        expect(api.status).toBe(503);
        expect(api.headers.get("retry-after")).toBe("300");
        expect((await bodyOf(api)).error).toBe("maintenance");
        expect(primary.seen).toHaveLength(0);
        expect(dr.seen).toHaveLength(0);

        expect((await edge.fetch("/health")).status).toBe(200);
        const detailed = await edge.fetch("/health/detailed");
        expect(detailed.status).toBe(200);
        expect((await bodyOf(detailed)).maintenance).toBe(true);
        expect((await edge.fetch("/metrics")).status).toBe(200);
        expect((await edge.fetch("/status")).status).toBe(200);

        await edge.setSwitch(switchKeys.maintenance, "off");
        expect((await edge.fetch("/mcp/tools")).status).toBe(200);
    });
});

describe("edge Worker: switch cache", () => {
    it("reuses the switches for SWITCH_CACHE_SECONDS; /health/detailed reads afresh", async () => {
        const edge = await startEdge({
            primary: primary.url,
            dr: dr.url,
            settings: { switchCacheSeconds: 60 },
        });
        try {
            expect((await bodyOf(await edge.fetch("/a"))).origin).toBe("primary");
            await edge.setSwitch(switchKeys.activeRegion, "dr");
            // Within the cache lifetime the isolate keeps the value it read...
            expect((await bodyOf(await edge.fetch("/b"))).origin).toBe("primary");
            // ...until /health/detailed reads KV afresh and refreshes the copy.
            expect((await bodyOf(await edge.fetch("/health/detailed"))).activeRegion).toBe("dr");
            expect((await bodyOf(await edge.fetch("/c"))).origin).toBe("dr");
            expect(primary.seen.map((r) => r.url)).toEqual(["/a", "/b"]);
        } finally {
            await edge.close();
        }
    });
});

describe("edge Worker: primary failing", () => {
    let edge: TestEdge;
    let refusingEdge: TestEdge;
    beforeAll(async () => {
        [edge, refusingEdge] = await Promise.all([
            startEdge({ primary: primary.url, dr: dr.url }),
            startEdge({ primary: refused, dr: dr.url }),
        ]);
    });
    afterAll(() => Promise.all([edge.close(), refusingEdge.close()]));

    it("primary refusing connections: GET fails over to DR", async () => {
        const response = await refusingEdge.fetch("/mcp/tools?q=1");
        expect(response.status).toBe(200);
        expect(await bodyOf(response)).toMatchObject({ origin: "dr", url: "/mcp/tools?q=1" });
        expect(dr.seen).toHaveLength(1);
    });

    it("primary refusing connections: POST gets a JSON 502 and is never replayed", async () => {
        const response = await refusingEdge.fetch("/mcp", { method: "POST", body: "{}" });
        expect(response.status).toBe(502);
        const body = await bodyOf(response);
        expect(body).toMatchObject({
            error: "bad_gateway",
            replayed: false,
            attempts: [{ origin: "primary", reason: "refused" }],
        });
        expect(body.requestId).toBe(response.headers.get("x-request-id"));
        expect(dr.seen).toHaveLength(0);
    });

    it("primary answering 5xx: idempotent methods (GET, PUT, DELETE) fail over with the body", async () => {
        primary.mode = "error";
        const get = await edge.fetch("/r");
        const put = await edge.fetch("/r", { method: "PUT", body: "v=1" });
        const del = await edge.fetch("/r", { method: "DELETE" });
        expect([get.status, put.status, del.status]).toEqual([200, 200, 200]);
        expect((await bodyOf(put)).body).toBe("v=1");
        expect(primary.seen.map((r) => r.method)).toEqual(["GET", "PUT", "DELETE"]);
        expect(dr.seen.map((r) => [r.method, r.body])).toEqual([
            ["GET", ""],
            ["PUT", "v=1"],
            ["DELETE", ""],
        ]);
    });

    it("primary answering 5xx: POST and PATCH get a JSON 502, not replayed", async () => {
        primary.mode = "error";
        for (const method of ["POST", "PATCH"]) {
            const response = await edge.fetch("/mcp", { method, body: "{}" });
            expect(response.status).toBe(502);
            expect((await bodyOf(response)).attempts).toEqual([
                { origin: "primary", reason: "http_5xx", status: 503 },
            ]);
        }
        expect(primary.seen).toHaveLength(2);
        expect(dr.seen).toHaveLength(0);
    });

    it("primary hanging past the timeout: GET fails over after ~the timeout", async () => {
        primary.mode = "hang";
        const started = Date.now();
        const response = await edge.fetch("/slow");
        const elapsed = Date.now() - started;
        expect(response.status).toBe(200);
        expect((await bodyOf(response)).origin).toBe("dr");
        expect(elapsed).toBeGreaterThanOrEqual(380);
        expect(elapsed).toBeLessThan(3000);
    });

    it("primary hanging past the timeout: POST gets a JSON 502 naming the timeout", async () => {
        primary.mode = "hang";
        const response = await edge.fetch("/mcp", { method: "POST", body: "{}" });
        expect(response.status).toBe(502);
        expect((await bodyOf(response)).attempts).toEqual([
            { origin: "primary", reason: "timeout" },
        ]);
        expect(dr.seen).toHaveLength(0);
    });

    it("both origins down: JSON 503 with Retry-After listing both attempts", async () => {
        dr.mode = "error";
        const response = await refusingEdge.fetch("/mcp/tools");
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).toBe("30");
        for (const header of securityHeaders) expect(response.headers.get(header)).toBeTruthy();
        const body = await bodyOf(response);
        expect(body).toMatchObject({
            error: "service_unavailable",
            attempts: [
                { origin: "primary", reason: "refused" },
                { origin: "dr", reason: "http_5xx", status: 503 },
            ],
        });
    });
});
