import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { Edge, type EdgeArgs, hostOriginUrls } from "../../../components/edge/edge";
import {
    edgePublicHosts,
    publicHostPlan,
    type WorkerHosts,
} from "../../../components/edge/public-hosts";
import { recordResources } from "../../support/pulumi";

/** Who serves each public hostname (the Worker or a record), and the Edge's routes for them. */

const T = {
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    route: "cloudflare:index/workersRoute:WorkersRoute",
    script: "cloudflare:index/workersScript:WorkersScript",
    monitor: "cloudflare:index/loadBalancerMonitor:LoadBalancerMonitor",
};

const primaryRoutes = [
    { ingressName: "api-ingress", hosts: ["api.example.com", "api-use1.example.com"] },
    {
        ingressName: "semantic-ingress",
        hosts: ["semantic.example.com", "semantic-use1.example.com"],
    },
];
const standbyRoutes = [
    { ingressName: "api-ingress", hosts: ["api.example.com", "api-usw2.example.com"] },
    {
        ingressName: "semantic-ingress",
        hosts: ["semantic.example.com", "semantic-usw2.example.com"],
    },
];

const publicHosts = edgePublicHosts({
    "api.example.com": { primary: "api-use1.example.com", dr: "api-usw2.example.com" },
    "semantic.example.com": {
        primary: "semantic-use1.example.com",
        dr: "semantic-usw2.example.com",
    },
});

const worker: WorkerHosts = {
    hostname: "mcp.example.com",
    origins: { primary: "api-use1.example.com", dr: "api-usw2.example.com" },
    publicHosts,
    originRecords: ["api-use1.example.com"],
};

describe("publicHostPlan", () => {
    it("primary: the Worker routes the public names, records point the regional ones at the ALB", () => {
        const plan = publicHostPlan(primaryRoutes, {
            ownsSharedHosts: true,
            sharedHosts: [],
            worker,
        });
        expect(plan.workerRoutes.map((h) => h.hostname)).toEqual([
            "api.example.com",
            "semantic.example.com",
        ]);
        // api-use1 is the Edge's own origin record; no record of the routed names.
        expect(plan.records).toEqual([
            { hostname: "semantic-use1.example.com", ingressName: "semantic-ingress" },
        ]);
    });

    it("standby: the shared names are the primary stack's routes, the rest get records", () => {
        const plan = publicHostPlan(standbyRoutes, {
            ownsSharedHosts: false,
            sharedHosts: ["api.example.com", "semantic.example.com"],
        });
        expect(plan.workerRoutes).toEqual([]);
        expect(plan.records.map((r) => r.hostname)).toEqual([
            "api-usw2.example.com",
            "semantic-usw2.example.com",
        ]);
    });

    it("refuses a public host the Worker neither routes nor fetches", () => {
        const routes = [
            ...primaryRoutes,
            { ingressName: "www-ingress", hosts: ["www.example.com"] },
        ];
        expect(() =>
            publicHostPlan(routes, { ownsSharedHosts: true, sharedHosts: [], worker }),
        ).toThrow(
            "Ingress www-ingress serves www.example.com, which is neither a public host of the edge Worker (mcp-platform:edge.worker.publicHosts) nor an origin it fetches: the ALB forwards only requests carrying the Worker's credential",
        );
        // Today's layout: api. and semantic. only as DNS records to the primary's ALB.
        expect(() =>
            publicHostPlan(primaryRoutes, {
                ownsSharedHosts: true,
                sharedHosts: [],
                worker: { ...worker, publicHosts: [] },
            }),
        ).toThrow("Ingress api-ingress serves api.example.com");
    });

    it("refuses a Worker host whose primary origin no Ingress here serves", () => {
        expect(() =>
            publicHostPlan(primaryRoutes, {
                ownsSharedHosts: true,
                sharedHosts: [],
                worker: {
                    ...worker,
                    publicHosts: [
                        ...publicHosts,
                        {
                            hostname: "docs.example.com",
                            origins: {
                                primary: "docs-use1.example.com",
                                dr: "docs-usw2.example.com",
                            },
                        },
                    ],
                },
            }),
        ).toThrow(
            "mcp-platform:edge.worker.publicHosts.docs.example.com.primary: docs-use1.example.com is served by no Ingress of this stack, so it would have no DNS record",
        );
    });
});

const args: EdgeArgs = {
    accountId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    zoneId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    zoneName: "example.com",
    hostname: "mcp.example.com",
    scriptName: "cloudflare-workers-app-test",
    environment: "test",
    origins: {
        primary: { hostname: "api-use1.example.com", target: "alb-use1.elb.amazonaws.com" },
        dr: { hostname: "api-usw2.example.com", target: "alb-usw2.elb.amazonaws.com" },
    },
};

type Binding = { type: string; name: string; text?: string };

describe("Edge with public hosts", () => {
    it("routes each public host to the script over an originless proxied record", async () => {
        const recorded = await recordResources(
            () => new Edge("edge", { ...args, publicHosts, adoptRecordsFrom: "ingress-dns" }),
        );
        for (const host of ["api.example.com", "semantic.example.com"]) {
            expect(recorded.one(T.route, `edge-route-${host}`).inputs).toEqual({
                zoneId: args.zoneId,
                pattern: `${host}/*`,
                script: "cloudflare-workers-app-test",
            });
            const record = recorded.one(T.dns, `edge-host-${host}`);
            expect(record.inputs).toMatchObject({
                name: host,
                type: "AAAA",
                content: "100::",
                proxied: true,
                ttl: 1,
            });
            // Taken over from the IngressDns record of the same name, old record first.
            expect(record.options?.deleteBeforeReplace).toBe(true);
            expect(JSON.stringify(record.options?.aliases)).toContain(`ingress-dns-${host}`);
        }
        const bindings = recorded.one(T.script, "edge-script").inputs.bindings as Binding[];
        expect(JSON.parse(bindings.find((b) => b.name === "HOST_ORIGINS")!.text!)).toEqual({
            "api.example.com": {
                primary: "https://api-use1.example.com",
                dr: "https://api-usw2.example.com",
            },
            "semantic.example.com": {
                primary: "https://semantic-use1.example.com",
                dr: "https://semantic-usw2.example.com",
            },
        });
        expect(hostOriginUrls([])).toEqual({});
    });

    it("sends the origin credential with Load Balancing's monitor, as a secret", async () => {
        const token = pulumi.secret("monitor-token-for-tests-0123456789abcdef");
        const recorded = await recordResources(
            () =>
                new Edge("edge", {
                    ...args,
                    originToken: token,
                    loadBalancing: { enabled: true },
                }),
        );
        const monitor = recorded.one(T.monitor, "edge-lb-monitor").inputs;
        // Recorded redacted: the header holds the secret.
        expect(monitor.header).toEqual({ "x-edge-auth": ["[secret]"] });
        expect(JSON.stringify(recorded.records)).not.toContain("monitor-token-for-tests");
    });
});
