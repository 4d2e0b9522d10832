import { spawnSync } from "node:child_process";
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

/** /health, /health/detailed, /status and /metrics of the bundled Worker in workerd. */

let primary: TestOrigin;
let dr: TestOrigin;
let edge: TestEdge;
beforeAll(async () => {
    [primary, dr] = await Promise.all([startOrigin("primary"), startOrigin("dr")]);
    edge = await startEdge({ primary: primary.url, dr: dr.url });
});
afterAll(async () => {
    await edge.close();
    await Promise.all([primary.close(), dr.close()]);
});
beforeEach(async () => {
    primary.reset();
    dr.reset();
    await edge.setSwitch(switchKeys.activeRegion, null);
    await edge.setSwitch(switchKeys.maintenance, null);
});

/** `promtool check metrics` (Debian prometheus) parses and lints an exposition on stdin. */
function promtoolCheck(exposition: string): { status: number | null; output: string } {
    const run = spawnSync("promtool", ["check", "metrics"], {
        input: exposition,
        encoding: "utf8",
    });
    if (run.error && (run.error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new Error(
            "promtool not found: install it with `apt-get install -y --no-install-recommends prometheus` (Debian)",
        );
    }
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** The value of one sample, found by metric name and exact label set. */
function sample(exposition: string, name: string, labels: Record<string, string>): number {
    const wanted = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .sort()
        .join(",");
    for (const line of exposition.split("\n")) {
        const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!match || match[1] !== name) continue;
        const got = (match[2] ?? "").split(",").filter(Boolean).sort().join(",");
        if (got === wanted) return Number(match[3]);
    }
    return 0;
}

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
    if (typeof value === "string") return [value];
    if (Array.isArray(value)) return value.flatMap(strings);
    if (value && typeof value === "object") return Object.values(value).flatMap(strings);
    return [];
}

describe("edge Worker: health endpoints", () => {
    it("/health answers 200 without contacting any origin", async () => {
        const response = await edge.fetch("/health");
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ status: "ok", service: "mcp-edge" });
        for (const header of securityHeaders) expect(response.headers.get(header)).toBeTruthy();
        expect(response.headers.get("cache-control")).toBe("no-store");
        expect(primary.seen.length + dr.seen.length).toBe(0);
    });

    it("/health/detailed reports switches and each origin's status and latency", async () => {
        const response = await edge.fetch("/health/detailed");
        expect(response.status).toBe(200);
        const body = (await response.json()) as Record<string, any>;
        expect(body).toMatchObject({
            status: "ok",
            service: "mcp-edge",
            environment: "test",
            activeRegion: "primary",
            maintenance: false,
            switchProblems: [],
        });
        for (const [region, origin] of [
            ["primary", primary],
            ["dr", dr],
        ] as const) {
            expect(body.origins[region]).toMatchObject({ status: "up", httpStatus: 200 });
            expect(body.origins[region].latencyMs).toBeGreaterThanOrEqual(0);
            // The probe hit the configured health path, authenticated like proxied traffic.
            expect(origin.seen.map((r) => r.url)).toEqual(["/health/ready"]);
            expect(origin.seen[0].headers["x-edge-auth"]).toBe(testOriginToken);
        }
    });

    it("/health/detailed holds no secret, no address and no origin hostname", async () => {
        await edge.setSwitch(switchKeys.maintenance, "on");
        const text = await (await edge.fetch("/health/detailed")).text();
        expect(text).not.toContain(testOriginToken);
        expect(text).not.toMatch(/x-edge-auth|ORIGIN_AUTH_TOKEN|http:\/\//i);
        const body = JSON.parse(text) as Record<string, any>;
        expect(Object.keys(body).sort()).toEqual(
            [
                "activeRegion",
                "checkedAt",
                "environment",
                "maintenance",
                "origins",
                "service",
                "status",
                "switchProblems",
            ].sort(),
        );
        expect(body.maintenance).toBe(true);
        const allowed = new Set([
            "ok",
            "mcp-edge",
            "test",
            "primary",
            "up",
            body.checkedAt,
            body.origins.primary.checkedAt,
            body.origins.dr.checkedAt,
        ]);
        for (const value of strings(body)) expect(allowed).toContain(value);
    });

    it("/health/detailed: degraded (200) on primary failure, down (503) when both fail", async () => {
        primary.mode = "error";
        const degraded = await edge.fetch("/health/detailed");
        expect(degraded.status).toBe(200);
        const body = (await degraded.json()) as Record<string, any>;
        expect(body.status).toBe("degraded");
        expect(body.origins.primary).toMatchObject({
            status: "down",
            httpStatus: 503,
            error: "unhealthy_status",
        });

        dr.mode = "hang";
        const down = await edge.fetch("/health/detailed");
        expect(down.status).toBe(503);
        const downBody = (await down.json()) as Record<string, any>;
        expect(downBody.status).toBe("down");
        expect(downBody.origins.dr).toMatchObject({ status: "down", error: "timeout" });
    });

    it("/health/detailed in DR mode skips the primary unless ?origins=all", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        const skipped = (await (await edge.fetch("/health/detailed")).json()) as Record<
            string,
            any
        >;
        expect(skipped.origins.primary.status).toBe("not_checked");
        expect(primary.seen).toHaveLength(0);
        const all = (await (await edge.fetch("/health/detailed?origins=all")).json()) as Record<
            string,
            any
        >;
        expect(all.activeRegion).toBe("dr");
        expect(all.origins.primary.status).toBe("up");
        expect(primary.seen).toHaveLength(1);
    });

    it("reports an unknown switch value and keeps serving the primary", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "us-west-2");
        const body = (await (await edge.fetch("/health/detailed")).json()) as Record<string, any>;
        expect(body.activeRegion).toBe("primary");
        expect(body.switchProblems).toEqual(["active-region: unknown value"]);
    });

    it("/status is a small HTML page with the switches and origins by region, and no secret", async () => {
        await edge.setSwitch(switchKeys.activeRegion, "dr");
        const response = await edge.fetch("/status");
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/text\/html/);
        expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
        const page = await response.text();
        expect(page).toContain("<title>MCP platform status</title>");
        expect(page).toContain("<strong>dr</strong> region");
        expect(page).toMatch(/<td>dr \(active\)<\/td><td class="up">up<\/td>/);
        expect(page).not.toContain(new URL(dr.url).host);
        expect(page).not.toContain(testOriginToken);
        expect(page.length).toBeLessThan(4096);
    });
});

describe("edge Worker: /metrics", () => {
    let refusingEdge: TestEdge;
    beforeAll(async () => {
        refusingEdge = await startEdge({ primary: await refusedUrl(), dr: dr.url });
    });
    afterAll(() => refusingEdge.close());

    it("is valid Prometheus exposition (promtool) counting routes, statuses, origins and failovers", async () => {
        const before = await (await edge.fetch("/metrics")).text();
        // Traffic: 2 proxied by the primary, 1 failover on 5xx, 1 POST refused with 502, 1 health.
        await edge.fetch("/a");
        await edge.fetch("/b");
        primary.mode = "error";
        await edge.fetch("/c");
        await edge.fetch("/d", { method: "POST", body: "{}" });
        primary.mode = "ok";
        await edge.fetch("/health");
        await refusingEdge.fetch("/e");

        const response = await edge.fetch("/metrics");
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(
            "text/plain; version=0.0.4; charset=utf-8",
        );
        const exposition = await response.text();
        const check = promtoolCheck(exposition);
        expect(check.output).toBe("");
        expect(check.status).toBe(0);

        for (const [family, type] of [
            ["edge_requests_total", "counter"],
            ["edge_failovers_total", "counter"],
            ["edge_origin_failures_total", "counter"],
            ["edge_rejected_requests_total", "counter"],
            ["edge_origin_request_duration_seconds", "histogram"],
            ["edge_active_region", "gauge"],
            ["edge_maintenance_mode", "gauge"],
            ["edge_isolate_start_time_seconds", "gauge"],
        ]) {
            expect(exposition).toContain(`# TYPE ${family} ${type}\n`);
        }
        // Counters are cumulative for the isolate: compare with the scrape before the traffic.
        const delta = (name: string, labels: Record<string, string>) =>
            sample(exposition, name, labels) - sample(before, name, labels);
        const requests = (labels: Record<string, string>) => delta("edge_requests_total", labels);
        expect(requests({ route: "proxy", status: "200", origin: "primary" })).toBe(2);
        expect(requests({ route: "proxy", status: "200", origin: "dr" })).toBe(1);
        expect(requests({ route: "proxy", status: "502", origin: "edge" })).toBe(1);
        expect(requests({ route: "health", status: "200", origin: "edge" })).toBe(1);
        expect(requests({ route: "metrics", status: "200", origin: "edge" })).toBe(1);
        const failovers = (reason: string) =>
            delta("edge_failovers_total", { from: "primary", to: "dr", reason });
        expect(failovers("http_5xx")).toBe(1);
        expect(failovers("refused")).toBe(0);
        expect(delta("edge_origin_failures_total", { origin: "primary", reason: "http_5xx" })).toBe(
            2,
        );
        expect(delta("edge_origin_request_duration_seconds_count", { origin: "primary" })).toBe(4);
        expect(sample(exposition, "edge_active_region", { region: "primary" })).toBe(1);
        expect(sample(exposition, "edge_active_region", { region: "dr" })).toBe(0);
        expect(sample(exposition, "edge_maintenance_mode", {})).toBe(0);
        expect(sample(exposition, "edge_isolate_start_time_seconds", {})).toBeGreaterThan(1.6e9);

        const other = await (await refusingEdge.fetch("/metrics")).text();
        expect(promtoolCheck(other).status).toBe(0);
        expect(
            sample(other, "edge_failovers_total", { from: "primary", to: "dr", reason: "refused" }),
        ).toBe(1);
        expect(exposition).not.toContain(testOriginToken);
    });

    it("counts rejections and reflects the switches", async () => {
        await edge.setSwitch(switchKeys.maintenance, "on");
        await edge.fetch("/x");
        await edge.fetch("/y", { method: "PROPFIND" });
        const exposition = await (await edge.fetch("/metrics")).text();
        expect(promtoolCheck(exposition).status).toBe(0);
        expect(
            sample(exposition, "edge_rejected_requests_total", { reason: "maintenance" }),
        ).toBeGreaterThanOrEqual(1);
        expect(
            sample(exposition, "edge_rejected_requests_total", { reason: "method" }),
        ).toBeGreaterThanOrEqual(1);
        expect(sample(exposition, "edge_maintenance_mode", {})).toBe(1);
    });

    it("has a jq-friendly JSON view (`/metrics?format=json | jq .performance`)", async () => {
        const body = (await (await edge.fetch("/metrics?format=json")).json()) as Record<
            string,
            any
        >;
        expect(body.performance.requests).toBeGreaterThan(0);
        expect(body.performance.byStatusClass["2xx"]).toBeGreaterThan(0);
        expect(body.activeRegion).toBe("primary");
    });
});
