import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    refusedUrl,
    startEdge,
    startOrigin,
    switchKeys,
    testOriginToken,
    type TestEdge,
    type TestOrigin,
} from "./support";

/**
 * What the probing endpoints cost the origins, in the bundled Worker in workerd: probes cached
 * per isolate (N calls, one probe per origin), a per-client rate limit that holds on any
 * hostname the Worker answers (workers.dev included), and no origin hostname in what they say.
 */

let primary: TestOrigin;
let dr: TestOrigin;
beforeAll(async () => {
    [primary, dr] = await Promise.all([startOrigin("primary"), startOrigin("dr")]);
});
afterAll(async () => {
    await Promise.all([primary.close(), dr.close()]);
});
beforeEach(() => {
    primary.reset();
    dr.reset();
});

const probes = (origin: TestOrigin) => origin.seen.filter((r) => r.url === "/health/ready");

describe("edge Worker: cached health probes", () => {
    let edge: TestEdge;
    beforeAll(async () => {
        edge = await startEdge({
            primary: primary.url,
            dr: dr.url,
            settings: { healthCacheSeconds: 30 },
        });
    });
    afterAll(() => edge.close());

    it("answers 40 calls of /health/detailed and /status with one probe per origin", async () => {
        // Concurrent calls share the probe in flight; later ones read the isolate's cache.
        const burst = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
                edge.fetch(i % 2 === 0 ? "/health/detailed" : "/status"),
            ),
        );
        for (let i = 0; i < 20; i++) {
            const response = await edge.fetch(i % 2 === 0 ? "/health/detailed" : "/status");
            expect(response.status).toBe(200);
            await response.text();
        }
        for (const response of burst) expect(response.status).toBe(200);
        expect(probes(primary)).toHaveLength(1);
        expect(probes(dr)).toHaveLength(1);
        const body = (await (await edge.fetch("/health/detailed")).json()) as Record<string, any>;
        expect(body.origins.primary.status).toBe("up");
        expect(Date.parse(body.origins.primary.checkedAt)).toBeLessThanOrEqual(
            Date.parse(body.checkedAt),
        );
    });

    it("still reads the switches on every call (what the DR tooling polls)", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        const body = (await (await edge.fetch("/health/detailed")).json()) as Record<string, any>;
        expect(body.activeRegion).toBe("dr");
        expect(body.origins.primary.status).toBe("not_checked");
        await edge.setSwitch(switchKeys.activeRegion, null);
        expect(probes(primary)).toHaveLength(0);
    });
});

describe("edge Worker: rate limit of the probing endpoints", () => {
    let edge: TestEdge;
    beforeAll(async () => {
        edge = await startEdge({
            primary: primary.url,
            dr: dr.url,
            settings: { healthRateLimit: { namespaceId: "1001", limit: 3, periodSeconds: 60 } },
        });
    });
    afterAll(() => edge.close());

    const from = (ip: string) => ({ headers: { "cf-connecting-ip": ip } });

    /**
     * The limiter counts in fixed windows aligned to the clock (`floor(now / period)`); a
     * test that straddled a window boundary would see its count reset, so it starts early
     * in a window.
     */
    async function startOfWindow(periodSeconds: number): Promise<void> {
        const into = Date.now() % (periodSeconds * 1000);
        if (into > (periodSeconds - 15) * 1000) {
            await new Promise((resolve) => setTimeout(resolve, periodSeconds * 1000 - into + 50));
        }
    }

    it("answers 429 with Retry-After past the limit, per client, on workers.dev too", async () => {
        await startOfWindow(60);
        const workersDev = "cloudflare-workers-app-production.example.workers.dev";
        const statuses: number[] = [];
        for (const path of ["/health/detailed", "/status", "/health/detailed", "/status"]) {
            const response = await edge.fetchHost(workersDev, path, from("192.0.2.10"));
            statuses.push(response.status);
            if (response.status === 429) {
                expect(response.headers.get("retry-after")).toBe("60");
                expect(await response.json()).toMatchObject({ error: "rate_limited" });
            } else {
                await response.text();
            }
        }
        expect(statuses).toEqual([200, 200, 200, 429]);
        // The same client on the zone's hostname shares the budget.
        expect((await edge.fetch("/health/detailed", from("192.0.2.10"))).status).toBe(429);
        // Another client is not affected; neither are /health nor proxied traffic.
        expect((await edge.fetch("/health/detailed", from("192.0.2.11"))).status).toBe(200);
        expect((await edge.fetch("/health", from("192.0.2.10"))).status).toBe(200);
        expect((await edge.fetch("/app", from("192.0.2.10"))).status).toBe(200);
        // Three probe rounds reached the origins for the first client, one for the second.
        expect(probes(primary)).toHaveLength(4);
        const metrics = await (await edge.fetch("/metrics")).text();
        expect(metrics).toMatch(/edge_rejected_requests_total\{reason="rate_limit"\} 2/);
    }, 30_000);
});

describe("edge Worker: no origin hostname in public responses", () => {
    let edge: TestEdge;
    let dead: string;
    beforeAll(async () => {
        dead = await refusedUrl();
        edge = await startEdge({ primary: dead, dr: dr.url });
    });
    afterAll(() => edge.close());

    it("names origins by region only on /health/detailed, /status and error answers", async () => {
        const hosts = [new URL(dead).host, new URL(dr.url).host, new URL(primary.url).host];
        const ports = hosts.map((h) => h.split(":")[1]);
        dr.mode = "error";
        const bodies = [
            await (await edge.fetch("/health/detailed")).text(),
            await (await edge.fetch("/health/detailed?origins=all")).text(),
            await (await edge.fetch("/status")).text(),
            await (await edge.fetch("/app")).text(), // 503: no origin answered
            await (await edge.fetch("/app", { method: "POST", body: "{}" })).text(), // 502
        ];
        for (const body of bodies) {
            expect(body).not.toContain("127.0.0.1");
            for (const port of ports) expect(body).not.toContain(port);
            expect(body).not.toContain(testOriginToken);
        }
        const health = JSON.parse(bodies[0]) as Record<string, any>;
        expect(Object.keys(health.origins.primary).sort()).toEqual(
            ["checkedAt", "error", "latencyMs", "status"].sort(),
        );
        expect(health.origins.primary).toMatchObject({ status: "down", error: "refused" });
    });
});
