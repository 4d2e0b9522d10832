import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    startEdge,
    startOrigin,
    switchKeys,
    testOriginToken,
    type TestEdge,
    type TestOrigin,
} from "./support";

/**
 * Every public hostname through the bundled Worker in workerd: `api.` and `semantic.` reach
 * their own service in the region the DR switch names, with the origin credential, and a
 * region that comes back after a DR activation gets no request until the switch is set back.
 */

const apiHost = "api.mcp.example";
const semanticHost = "semantic.mcp.example";

let edgePrimary: TestOrigin;
let edgeDr: TestOrigin;
let apiPrimary: TestOrigin;
let apiDr: TestOrigin;
let semanticPrimary: TestOrigin;
let semanticDr: TestOrigin;
let all: TestOrigin[];
let edge: TestEdge;

beforeAll(async () => {
    all = await Promise.all(
        ["edge-primary", "edge-dr", "api-primary", "api-dr", "semantic-primary", "semantic-dr"].map(
            startOrigin,
        ),
    );
    [edgePrimary, edgeDr, apiPrimary, apiDr, semanticPrimary, semanticDr] = all;
    edge = await startEdge({
        primary: edgePrimary.url,
        dr: edgeDr.url,
        hostOrigins: {
            [apiHost]: { primary: apiPrimary.url, dr: apiDr.url },
            [semanticHost]: { primary: semanticPrimary.url, dr: semanticDr.url },
        },
    });
});
afterAll(async () => {
    await edge.close();
    await Promise.all(all.map((o) => o.close()));
});
beforeEach(async () => {
    for (const origin of all) origin.reset();
    await edge.setSwitch(switchKeys.activeRegion, null);
    await edge.setSwitch(switchKeys.maintenance, null);
});

/** Which test origins saw a request, by name. */
const seenBy = () => all.filter((o) => o.seen.length > 0).map((o) => o.name);

async function originOf(response: Response): Promise<string> {
    expect(response.status).toBe(200);
    return ((await response.json()) as { origin: string }).origin;
}

describe("edge Worker: public hostnames with their own origins", () => {
    it("sends each hostname to its own service in the primary region, with the credential", async () => {
        expect(await originOf(await edge.fetchHost(apiHost, "/v1/tools"))).toBe("api-primary");
        expect(await originOf(await edge.fetchHost(semanticHost, "/validate"))).toBe(
            "semantic-primary",
        );
        expect(await originOf(await edge.fetch("/mcp"))).toBe("edge-primary");
        expect(seenBy().sort()).toEqual(["api-primary", "edge-primary", "semantic-primary"]);
        for (const origin of [apiPrimary, semanticPrimary, edgePrimary]) {
            expect(origin.seen).toHaveLength(1);
            // What the ALB rule condition requires: the header, with the credential.
            expect(origin.seen[0].headers["x-edge-auth"]).toBe(testOriginToken);
        }
        expect(apiPrimary.seen[0].headers["x-forwarded-host"]).toBe(apiHost);
        expect(apiPrimary.seen[0].url).toBe("/v1/tools");
    });

    it("proxies the application's own /health, /status and /metrics on those hostnames", async () => {
        for (const path of ["/health", "/health/detailed", "/status", "/metrics"]) {
            expect(await originOf(await edge.fetchHost(apiHost, path))).toBe("api-primary");
        }
        expect(apiPrimary.seen.map((r) => r.url)).toEqual([
            "/health",
            "/health/detailed",
            "/status",
            "/metrics",
        ]);
    });

    it("fails each hostname over to its own DR origin, for idempotent requests only", async () => {
        apiPrimary.mode = "error";
        expect(await originOf(await edge.fetchHost(apiHost, "/read"))).toBe("api-dr");
        const write = await edge.fetchHost(apiHost, "/write", { method: "POST", body: "{}" });
        expect(write.status).toBe(502);
        expect(apiDr.seen.map((r) => r.method)).toEqual(["GET"]);
        expect(semanticDr.seen).toHaveLength(0);
    });

    it("with the switch on dr, every hostname goes to the DR region only", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        expect(await originOf(await edge.fetchHost(apiHost, "/v1/tools"))).toBe("api-dr");
        expect(
            await originOf(await edge.fetchHost(semanticHost, "/v", { method: "POST", body: "x" })),
        ).toBe("semantic-dr");
        expect(await originOf(await edge.fetch("/mcp"))).toBe("edge-dr");
        expect(seenBy().sort()).toEqual(["api-dr", "edge-dr", "semantic-dr"]);
        expect(semanticDr.seen[0].headers["x-edge-auth"]).toBe(testOriginToken);
    });

    it("never splits writes when the old primary returns: the switch decides, not its health", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        // The primary region is back and healthy, but the switch still says dr.
        for (const origin of [apiPrimary, semanticPrimary]) origin.mode = "ok";
        for (const host of [apiHost, semanticHost]) {
            for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
                const response = await edge.fetchHost(host, "/orders/1", { method, body: "{}" });
                expect(response.status, `${method} ${host}`).toBe(200);
            }
        }
        expect(apiPrimary.seen).toHaveLength(0);
        expect(semanticPrimary.seen).toHaveLength(0);
        expect(apiDr.seen).toHaveLength(4);
        expect(semanticDr.seen).toHaveLength(4);

        // Failback: the switch set back sends the writes to the primary again.
        await edge.setSwitch(switchKeys.activeRegion, "primary");
        expect(
            await originOf(
                await edge.fetchHost(apiHost, "/orders", { method: "POST", body: "{}" }),
            ),
        ).toBe("api-primary");
        expect(apiDr.seen).toHaveLength(4);
    });
});
