import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
    Edge,
    edgeDefaults,
    type EdgeArgs,
    loadBalancedOrigins,
} from "../../../components/edge/edge";
import { workerBindings } from "../../../components/edge/edge-bindings";
import { bundleWorker } from "../../../components/edge/worker-bundle";
import { promiseOf, recordResources } from "../../support/pulumi";

const T = {
    script: "cloudflare:index/workersScript:WorkersScript",
    kvNamespace: "cloudflare:index/workersKvNamespace:WorkersKvNamespace",
    kv: "cloudflare:index/workersKv:WorkersKv",
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    route: "cloudflare:index/workersRoute:WorkersRoute",
    subdomain: "cloudflare:index/workersScriptSubdomain:WorkersScriptSubdomain",
    monitor: "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor",
    pool: "cloudflare:index/loadBalancerPool:LoadBalancerPool",
    lb: "cloudflare:index/loadBalancer:LoadBalancer",
};

const args: EdgeArgs = {
    accountId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    zoneId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    zoneName: "example.com",
    hostname: "mcp.example.com",
    scriptName: "cloudflare-workers-app-test",
    environment: "test",
    origins: {
        primary: { hostname: "origin-use1.example.com", target: "alb-use1.elb.amazonaws.com" },
        dr: { hostname: "origin-usw2.example.com", target: "203.0.113.10" },
    },
};

type Binding = { type: string; name: string; text?: string; namespaceId?: string };

describe("Edge", () => {
    it("deploys the bundled module as an ES-module WorkersScript with observability on", async () => {
        const recorded = await recordResources(() => new Edge("edge", args));
        const script = recorded.one(T.script, "edge-script").inputs;
        const bundle = bundleWorker();
        expect(script.content).toBe(bundle.content);
        expect(script.mainModule).toBe("worker.js");
        expect(script.scriptName).toBe("cloudflare-workers-app-test");
        expect(script.accountId).toBe(args.accountId);
        expect(script.compatibilityDate).toBe(edgeDefaults.compatibilityDate);
        expect(script.observability).toEqual({
            enabled: true,
            headSamplingRate: 1,
            logs: { enabled: true, invocationLogs: true, headSamplingRate: 1 },
        });
        expect(script.bindings).toEqual([
            { type: "plain_text", name: "PRIMARY_ORIGIN", text: "https://origin-use1.example.com" },
            { type: "plain_text", name: "DR_ORIGIN", text: "https://origin-usw2.example.com" },
            { type: "plain_text", name: "ORIGIN_TIMEOUT_MS", text: "5000" },
            { type: "plain_text", name: "MAX_BODY_BYTES", text: "10485760" },
            { type: "plain_text", name: "HEALTH_PATH", text: "/health/ready" },
            { type: "plain_text", name: "MAINTENANCE_RETRY_AFTER", text: "300" },
            { type: "plain_text", name: "SWITCH_CACHE_SECONDS", text: "5" },
            { type: "plain_text", name: "ENVIRONMENT", text: "test" },
            { type: "kv_namespace", name: "SWITCHES", namespaceId: "edge-switches-id" },
        ]);
    });

    it("pins the documented defaults", () => {
        expect(edgeDefaults).toEqual({
            compatibilityDate: "2025-10-01",
            workersDev: true,
            originTimeoutMs: 5000,
            maxBodyBytes: 10_485_760,
            healthPath: "/health/ready",
            maintenance: false,
            maintenanceRetryAfterSeconds: 300,
            switchCacheSeconds: 5,
        });
    });

    it("owns the maintenance switch but never the DR switch", async () => {
        const off = await recordResources(() => new Edge("edge", args));
        expect(off.one(T.kvNamespace, "edge-switches").inputs).toEqual({
            accountId: args.accountId,
            title: "mcp-edge-switches-test",
        });
        const kvs = off.ofType(T.kv).map((r) => r.inputs);
        expect(kvs).toEqual([
            {
                accountId: args.accountId,
                namespaceId: "edge-switches-id",
                keyName: "maintenance",
                value: "off",
            },
        ]);
        const on = await recordResources(() => new Edge("edge", { ...args, maintenance: true }));
        expect(on.one(T.kv, "edge-maintenance").inputs.value).toBe("on");
    });

    it("routes the public hostname to the script and proxies every DNS record", async () => {
        const recorded = await recordResources(() => new Edge("edge", args));
        expect(recorded.one(T.route, "edge-route").inputs).toEqual({
            zoneId: args.zoneId,
            pattern: "mcp.example.com/*",
            script: "cloudflare-workers-app-test",
        });
        const records = Object.fromEntries(recorded.ofType(T.dns).map((r) => [r.name, r.inputs]));
        expect(records["edge-origin-primary"]).toMatchObject({
            name: "origin-use1.example.com",
            type: "CNAME",
            content: "alb-use1.elb.amazonaws.com",
            proxied: true,
            ttl: 1,
        });
        expect(records["edge-origin-dr"]).toMatchObject({
            name: "origin-usw2.example.com",
            type: "A",
            content: "203.0.113.10",
            proxied: true,
        });
        expect(records["edge-hostname"]).toMatchObject({
            name: "mcp.example.com",
            type: "AAAA",
            content: "100::",
            proxied: true,
        });
        expect(recorded.one(T.subdomain, "edge-workers-dev").inputs).toMatchObject({
            enabled: true,
            previewsEnabled: false,
        });
        const off = await recordResources(() => new Edge("edge", { ...args, workersDev: false }));
        expect(off.one(T.subdomain, "edge-workers-dev").inputs.enabled).toBe(false);
    });

    it("declares an origin's record only when given its target, which may be an Output", async () => {
        const recorded = await recordResources(
            () =>
                new Edge("edge", {
                    ...args,
                    origins: {
                        primary: {
                            hostname: "origin-use1.example.com",
                            target: pulumi.output("k8s-alb-mock.us-east-1.elb.amazonaws.com"),
                        },
                        dr: { hostname: "origin-usw2.example.com" },
                    },
                }),
        );
        const records = Object.fromEntries(recorded.ofType(T.dns).map((r) => [r.name, r.inputs]));
        expect(Object.keys(records).sort()).toEqual(["edge-hostname", "edge-origin-primary"]);
        expect(records["edge-origin-primary"]).toMatchObject({
            type: "CNAME",
            content: "k8s-alb-mock.us-east-1.elb.amazonaws.com",
            proxied: true,
        });
        // The Worker still fetches the DR origin by name; the dr stack owns its record.
        const bindings = recorded.one(T.script, "edge-script").inputs.bindings as Binding[];
        expect(bindings.find((b) => b.name === "DR_ORIGIN")?.text).toBe(
            "https://origin-usw2.example.com",
        );
        expect(() =>
            loadBalancedOrigins({ ...args.origins, dr: { hostname: "origin-usw2.example.com" } }),
        ).toThrow("Load Balancing needs a target for the dr origin");
    });

    it("binds the origin credential only as secret_text", async () => {
        const token = pulumi.secret("s3cr3t-origin-token");
        const bindings = workerBindings(
            {
                primaryOrigin: "https://a.example.com",
                drOrigin: "https://b.example.com",
                originTimeoutMs: 1,
                maxBodyBytes: 1,
                healthPath: "/h",
                maintenanceRetryAfterSeconds: 1,
                switchCacheSeconds: 0,
                environment: "x",
            },
            "ns",
            token,
        ) as Binding[];
        const secretOnes = bindings.filter((b) => b.name === "ORIGIN_AUTH_TOKEN");
        expect(secretOnes).toHaveLength(1);
        expect(secretOnes[0].type).toBe("secret_text");
        expect(bindings.filter((b) => b.type === "plain_text").map((b) => b.text)).not.toContain(
            token,
        );

        // Pulumi serialises a list holding a secret with every value secret: the recorded
        // inputs (and so resources.json) show ten bindings, all redacted.
        const recorded = await recordResources(
            () => new Edge("edge", { ...args, originToken: token }),
        );
        const script = recorded.one(T.script, "edge-script");
        const recordedBindings = script.inputs.bindings as Record<string, string>[];
        expect(recordedBindings).toHaveLength(10);
        for (const binding of recordedBindings) {
            for (const value of Object.values(binding)) expect(value).toBe("[secret]");
        }
        expect(JSON.stringify(recorded.records)).not.toContain("s3cr3t-origin-token");
    });

    it("exposes hostname, KV namespace id and the bundle sha256", async () => {
        let edge: Edge | undefined;
        await recordResources(() => {
            edge = new Edge("edge", args);
        });
        expect(await promiseOf(edge!.hostname)).toBe("mcp.example.com");
        expect(await promiseOf(edge!.kvNamespaceId)).toBe("edge-switches-id");
        expect(await promiseOf(edge!.bundleSha256)).toBe(bundleWorker().sha256);
    });

    it("declares no Load Balancing unless enabled", async () => {
        const recorded = await recordResources(() => new Edge("edge", args));
        for (const type of [T.monitor, T.pool, T.lb]) expect(recorded.ofType(type)).toHaveLength(0);
    });

    it("with Load Balancing: monitor, primary and DR pools, steering off, DR fallback", async () => {
        const recorded = await recordResources(
            () =>
                new Edge("edge", {
                    ...args,
                    loadBalancing: { enabled: true, notificationEmail: "sre@example.com" },
                }),
        );
        const monitor = recorded.one(T.monitor, "edge-lb-monitor").inputs;
        expect(monitor).toMatchObject({
            type: "https",
            path: "/health/ready",
            expectedCodes: "2xx",
            interval: 60,
        });
        const primary = recorded.one(T.pool, "edge-lb-primary").inputs;
        const dr = recorded.one(T.pool, "edge-lb-dr").inputs;
        expect(primary).toMatchObject({
            monitor: "edge-lb-monitor-id",
            notificationEmail: "sre@example.com",
            origins: [
                {
                    name: "primary",
                    address: "alb-use1.elb.amazonaws.com",
                    enabled: true,
                    header: { hosts: ["origin-use1.example.com"] },
                },
            ],
        });
        expect((dr.origins as { address: string }[])[0].address).toBe("203.0.113.10");
        expect(recorded.one(T.lb, "edge-lb-lb").inputs).toMatchObject({
            zoneId: args.zoneId,
            name: "origin.example.com",
            defaultPools: ["edge-lb-primary-id", "edge-lb-dr-id"],
            fallbackPool: "edge-lb-dr-id",
            steeringPolicy: "off",
            proxied: true,
            adaptiveRouting: { failoverAcrossPools: true },
        });
        // The Worker's primary becomes the load-balanced hostname; DR stays direct.
        const bindings = recorded.one(T.script, "edge-script").inputs.bindings as Binding[];
        expect(bindings.find((b) => b.name === "PRIMARY_ORIGIN")?.text).toBe(
            "https://origin.example.com",
        );
        expect(bindings.find((b) => b.name === "DR_ORIGIN")?.text).toBe(
            "https://origin-usw2.example.com",
        );
    });

    it("names children after the instance so two edges never collide", async () => {
        const recorded = await recordResources(() => {
            new Edge("a", { ...args, loadBalancing: { enabled: true } });
            new Edge("b", { ...args, loadBalancing: { enabled: true } });
        });
        const urns = recorded.records.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
        expect(recorded.one(T.script, "b-script").parent).toContain("mcp-platform:edge:Edge::b");
    });
});
