import { beforeAll, describe, expect, it } from "vitest";
import { mockCloudflareRanges } from "../../../tools/lib/mocks";
import type { ResourceRecord } from "../../../tools/lib/records";
import { engineInputs, runStackProgram } from "../../support/program";
import { synth, type SynthResult } from "../../support/synth";

/**
 * DNS and the origin lock as `npm run synth` declares them for both stacks: every hostname an
 * Ingress serves, in each stack, is served by an edge route (the public names, which fail over
 * with the Worker's switch) or by exactly one proxied CNAME to the ALB of its own region (the
 * regional names the Worker fetches), and every public ALB accepts only the edge's ranges.
 */

const T = {
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    route: "cloudflare:index/workersRoute:WorkersRoute",
    script: "cloudflare:index/workersScript:WorkersScript",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
};

type Obj = Record<string, any>;
type Stack = "production" | "dr";

const ingressesOf = (resources: ResourceRecord[]) =>
    resources.filter((r) => r.type === T.ingress).map((r) => r.inputs as Obj);
const recordsOf = (resources: ResourceRecord[]) =>
    resources.filter((r) => r.type === T.dns).map((r) => r.inputs as Obj);
const routesOf = (resources: ResourceRecord[]) =>
    resources.filter((r) => r.type === T.route).map((r) => r.inputs as Obj);
/** What the mock runtime reports as an Ingress's ALB (status.loadBalancer.ingress[0].hostname). */
const mockAlb = (ingressName: string, region: string) =>
    `k8s-${ingressName}-mock.${region}.elb.amazonaws.com`;
const hostsOf = (ingress: Obj) => (ingress.spec.rules as { host: string }[]).map((r) => r.host);

describe("npm run synth: DNS records and the origin lock", () => {
    const regions = { production: "us-east-1", dr: "us-west-2" } as const;
    const results: Partial<Record<Stack, SynthResult>> = {};
    const resources: Partial<Record<Stack, ResourceRecord[]>> = {};
    /** The Worker's HOST_ORIGINS and default pair, as the program binds them. */
    let workerOrigins: Record<string, { primary: string; dr: string }>;
    beforeAll(async () => {
        for (const stack of ["production", "dr"] as const) {
            const result = synth(stack);
            expect(result.status, result.stderr).toBe(0);
            results[stack] = result;
            resources[stack] = result.resources();
        }
        // resources.json shows the bindings redacted (one is the credential).
        const script = (await runStackProgram("production")).find((r) => r.type === T.script)!;
        const bindings = engineInputs(script).bindings as { name: string; text?: string }[];
        const text = (name: string) => bindings.find((b) => b.name === name)?.text;
        // Absent, the Worker has no hostname with origins of its own.
        workerOrigins = JSON.parse(text("HOST_ORIGINS") ?? "{}");
        workerOrigins["mcp.mcp-production.com"] = {
            primary: text("PRIMARY_ORIGIN")!,
            dr: text("DR_ORIGIN")!,
        };
    });
    const ingressServing = (stack: Stack, host: string) =>
        ingressesOf(resources[stack]!).find((i) => hostsOf(i).includes(host));

    it("serves every Ingress host of each stack by an edge route or a record to its own region", () => {
        const all = [...recordsOf(resources.production!), ...recordsOf(resources.dr!)];
        const routed = new Set(
            routesOf(resources.production!).map((r) => String(r.pattern).replace(/\/\*$/, "")),
        );
        expect(routesOf(resources.dr!)).toEqual([]);
        const fetched = new Set(
            Object.values(workerOrigins).flatMap((o) =>
                [o.primary, o.dr].map((u) => new URL(u).host),
            ),
        );
        for (const stack of ["production", "dr"] as const) {
            const ingresses = ingressesOf(resources[stack]!);
            expect(ingresses.length).toBeGreaterThan(0);
            for (const ingress of ingresses) {
                for (const host of hostsOf(ingress)) {
                    const records = all.filter((r) => r.name === host);
                    if (routed.has(host)) {
                        // A public name: the Worker answers it (originless), never one ALB.
                        expect(records, host).toEqual([
                            expect.objectContaining({
                                type: "AAAA",
                                content: "100::",
                                proxied: true,
                            }),
                        ]);
                        expect(workerOrigins[host], `${host} has its own origins`).toBeDefined();
                        continue;
                    }
                    // A regional name: one record, to the ALB of the stack that serves it.
                    expect(records, `one record for ${host}`).toHaveLength(1);
                    expect(records[0]).toMatchObject({ type: "CNAME", proxied: true, ttl: 1 });
                    expect(recordsOf(resources[stack]!)).toContain(records[0]);
                    expect(records[0].content, host).toBe(
                        mockAlb(ingress.metadata.name, regions[stack]),
                    );
                    // ...which the Worker fetches (the ALB refuses requests without it).
                    expect(fetched.has(host), `${host} is an origin of the Worker`).toBe(true);
                }
            }
        }
    });

    it("gives each public name its own service in each region, so it fails over by the switch", () => {
        expect(Object.keys(workerOrigins).sort()).toEqual([
            "api.mcp-production.com",
            "mcp.mcp-production.com",
            "semantic.mcp-production.com",
        ]);
        for (const [host, origins] of Object.entries(workerOrigins)) {
            const service = (stack: Stack, url: string) => {
                const ingress = ingressServing(stack, new URL(url).host);
                expect(ingress, `${url} served in ${stack}`).toBeDefined();
                return ingress!.metadata.name as string;
            };
            const primary = service("production", origins.primary);
            expect(service("dr", origins.dr), host).toBe(primary);
            // Where the public name is an Ingress host, the origins are that Ingress's service.
            for (const stack of ["production", "dr"] as const) {
                const own = ingressServing(stack, host);
                if (own) expect(own.metadata.name, `${host} in ${stack}`).toBe(primary);
            }
        }
        // The shared names every stack's Ingress serves are all routed by the Worker.
        for (const host of ["api.mcp-production.com", "semantic.mcp-production.com"]) {
            expect(ingressServing("production", host)).toBeDefined();
            expect(ingressServing("dr", host)).toBeDefined();
        }
        for (const stack of ["production", "dr"] as const) {
            expect(JSON.parse(results[stack]!.read("outputs.json")).albHostname).toBe(
                mockAlb("mcp-typescript-api-ingress", regions[stack]),
            );
        }
        expect(JSON.stringify(resources.production)).not.toContain("0000000000");
    });

    it("locks every public ALB to the edge's ranges (the mock's documentation ranges)", () => {
        for (const stack of ["production", "dr"] as const) {
            const ingresses = ingressesOf(resources[stack]!);
            expect(ingresses.length).toBeGreaterThan(0);
            for (const ingress of ingresses) {
                expect(
                    ingress.metadata.annotations["alb.ingress.kubernetes.io/inbound-cidrs"],
                ).toBe(mockCloudflareRanges.ipv4.join(","));
            }
        }
    });

    it("reports no mandatory policy violation on either stack", () => {
        for (const stack of ["production", "dr"] as const) {
            const report = results[stack]!.policyReport();
            const mandatory = report.ran.filter(
                (p: { level: string; violations: number }) =>
                    p.level === "mandatory" && p.violations > 0,
            );
            expect(mandatory, stack).toEqual([]);
            expect(report.ran.length).toBeGreaterThan(0);
        }
    });
});
