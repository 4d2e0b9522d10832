import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    rawRequest,
    securityHeaders,
    startEdge,
    startOrigin,
    testOriginToken,
    type RawResponse,
    type TestEdge,
    type TestOrigin,
} from "./support";

/**
 * Bad input, sent over real sockets to workerd (fetch() would normalise paths and refuses
 * methods such as TRACE). Every case is answered 4xx by the edge, with a JSON body, the
 * security headers and a request id, and never reaches an origin.
 */

let primary: TestOrigin;
let dr: TestOrigin;
let edge: TestEdge;
beforeAll(async () => {
    [primary, dr] = await Promise.all([startOrigin("primary"), startOrigin("dr")]);
    edge = await startEdge({
        primary: primary.url,
        dr: dr.url,
        settings: { maxBodyBytes: 1024 },
    });
});
afterAll(async () => {
    await edge.close();
    await Promise.all([primary.close(), dr.close()]);
});
beforeEach(() => {
    primary.reset();
    dr.reset();
});

function expectRejected(response: RawResponse, status: number, error: string): void {
    expect(response.status, response.body).toBe(status);
    expect(response.headers["content-type"]).toMatch(/application\/json/);
    expect(JSON.parse(response.body).error).toBe(error);
    for (const header of securityHeaders) expect(response.headers[header]).toBeTruthy();
    expect(response.headers["x-request-id"]).toBeTruthy();
    expect(primary.seen).toHaveLength(0);
    expect(dr.seen).toHaveLength(0);
}

describe("edge Worker: bad input is answered 4xx", () => {
    it.each(["TRACE", "PROPFIND", "PURGE", "MKCOL"])(
        "method %s → 405 with Allow",
        async (method) => {
            const response = await rawRequest(edge.url, { method, path: "/mcp" });
            expectRejected(response, 405, "method_not_allowed");
            expect(response.headers.allow).toBe("GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
        },
    );

    it("a body over the limit, declared by Content-Length → 413", async () => {
        const response = await rawRequest(edge.url, {
            method: "POST",
            path: "/mcp",
            headers: { "content-length": "2048" },
            body: ["x".repeat(2048)],
        });
        expectRejected(response, 413, "payload_too_large");
    });

    it("a chunked body that grows over the limit → 413", async () => {
        const response = await rawRequest(edge.url, {
            method: "PUT",
            path: "/mcp",
            headers: { "transfer-encoding": "chunked" },
            body: ["x".repeat(600), "y".repeat(600)],
        });
        expectRejected(response, 413, "payload_too_large");
    });

    it("a body exactly at the limit is accepted", async () => {
        const response = await rawRequest(edge.url, {
            method: "POST",
            path: "/mcp",
            body: ["z".repeat(1024)],
        });
        expect(response.status).toBe(200);
        expect(primary.seen[0].body).toHaveLength(1024);
    });

    it.each([
        ["encoded slash traversal", "/a/..%2f..%2fetc/passwd"],
        ["encoded dots and slash", "/a/%2e%2e%2fetc/passwd"],
        ["upper-case encoded slash", "/static/..%2F..%2Fsecret"],
        ["encoded backslash", "/a/..%5c..%5cwindows"],
        ["double-encoded traversal", "/a/%252e%252e/%252e%252e/etc"],
        ["double-encoded slash", "/a/%252f"],
        ["encoded NUL", "/file%00.json"],
        ["encoded control character", "/a%0d%0aSet-Cookie:x"],
        ["malformed escape", "/a/%zz"],
        ["truncated escape", "/a/%e2%82"],
    ])("%s (%s) → 400", async (_name, path) => {
        expectRejected(await rawRequest(edge.url, { path }), 400, "bad_path");
    });

    it("a URL longer than 8192 characters → 414", async () => {
        const response = await rawRequest(edge.url, { path: `/q?${"a".repeat(9000)}` });
        expectRejected(response, 414, "uri_too_long");
    });

    it("edge endpoints accept only GET and HEAD", async () => {
        for (const path of ["/health", "/health/detailed", "/metrics", "/status"]) {
            const response = await rawRequest(edge.url, { method: "POST", path, body: ["{}"] });
            expectRejected(response, 405, "method_not_allowed");
        }
    });

    it("literal dot segments are resolved by the runtime and never reach an origin", async () => {
        const response = await rawRequest(edge.url, { path: "/a/b/../../../etc/passwd" });
        expect(response.status).toBe(200);
        expect(primary.seen.map((r) => r.url)).toEqual(["/etc/passwd"]);
    });

    it("runs of slashes are collapsed before forwarding", async () => {
        const response = await rawRequest(edge.url, { path: "//mcp///tools//list?x=//y" });
        expect(response.status).toBe(200);
        expect(primary.seen.map((r) => r.url)).toEqual(["/mcp/tools/list?x=//y"]);
    });

    it("no rejection leaks the origin credential", async () => {
        const responses = await Promise.all([
            rawRequest(edge.url, { method: "TRACE", path: "/" }),
            rawRequest(edge.url, { path: "/a/..%2f" }),
            rawRequest(edge.url, { path: `/${"b".repeat(9000)}` }),
        ]);
        for (const response of responses) {
            expect(response.status).toBeGreaterThanOrEqual(400);
            expect(response.status).toBeLessThan(500);
            expect(JSON.stringify(response)).not.toContain(testOriginToken);
        }
    });
});

describe("edge Worker: invalid bindings", () => {
    it("answers 500 edge_misconfigured naming the bindings, never their values", async () => {
        const broken = await startEdge({
            primary: primary.url,
            dr: dr.url,
            rawBindings: {
                PRIMARY_ORIGIN: "ftp://origin.internal.example:21/path",
                DR_ORIGIN: dr.url,
                ORIGIN_TIMEOUT_MS: "soon",
                MAX_BODY_BYTES: "1024",
                HEALTH_PATH: "/health/ready",
                MAINTENANCE_RETRY_AFTER: "300",
                SWITCH_CACHE_SECONDS: "0",
                ENVIRONMENT: "test",
                // A public hostname without its DR origin.
                HOST_ORIGINS: JSON.stringify({
                    "api.example.com": { primary: "https://origin.internal.example" },
                }),
                HEALTH_CACHE_SECONDS: "10",
            },
        });
        try {
            const response = await broken.fetch("/mcp");
            expect(response.status).toBe(500);
            const text = await response.text();
            expect(JSON.parse(text)).toMatchObject({
                error: "edge_misconfigured",
                bindings: ["PRIMARY_ORIGIN", "ORIGIN_TIMEOUT_MS", "HOST_ORIGINS"],
            });
            expect(text).not.toContain("origin.internal.example");
            expect(primary.seen).toHaveLength(0);
        } finally {
            await broken.close();
        }
    });
});
