import { beforeAll, describe, expect, it } from "vitest";
import { mockCloudflareRanges } from "../../../tools/lib/mocks";
import type { ResourceRecord } from "../../../tools/lib/records";
import { synth, type SynthResult } from "../../support/synth";

/**
 * DNS and the origin lock as `npm run synth` declares them for both stacks: every hostname an
 * Ingress serves has exactly one proxied CNAME (across the two stacks) to the ALB of the
 * Ingress that serves it, and every public ALB accepts only the edge's address ranges.
 */

const T = {
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
};

type Obj = Record<string, any>;

const ingressesOf = (resources: ResourceRecord[]) =>
    resources.filter((r) => r.type === T.ingress).map((r) => r.inputs as Obj);
const recordsOf = (resources: ResourceRecord[]) =>
    resources.filter((r) => r.type === T.dns).map((r) => r.inputs as Obj);
/** What the mock runtime reports as an Ingress's ALB (status.loadBalancer.ingress[0].hostname). */
const mockAlb = (ingressName: string, region: string) =>
    `k8s-${ingressName}-mock.${region}.elb.amazonaws.com`;

describe("npm run synth: DNS records and the origin lock", () => {
    const regions = { production: "us-east-1", dr: "us-west-2" } as const;
    const results: Partial<Record<keyof typeof regions, SynthResult>> = {};
    const resources: Partial<Record<keyof typeof regions, ResourceRecord[]>> = {};
    beforeAll(() => {
        for (const stack of ["production", "dr"] as const) {
            const result = synth(stack);
            expect(result.status, result.stderr).toBe(0);
            results[stack] = result;
            resources[stack] = result.resources();
        }
    });

    it("gives every Ingress host one proxied CNAME to the ALB of a stack whose Ingress serves it", () => {
        const owners = new Map<string, string>();
        for (const stack of ["production", "dr"] as const) {
            for (const record of recordsOf(resources[stack]!)) {
                expect(owners.get(record.name), `${record.name} declared twice`).toBeUndefined();
                owners.set(record.name, stack);
            }
        }
        for (const stack of ["production", "dr"] as const) {
            const records = recordsOf(resources[stack]!);
            for (const ingress of ingressesOf(resources[stack]!)) {
                for (const { host } of ingress.spec.rules as { host: string }[]) {
                    const owner = owners.get(host);
                    expect(owner, `no DNS record for ${host}`).toBeDefined();
                    const record = recordsOf(resources[owner as keyof typeof regions]!).find(
                        (r) => r.name === host,
                    )!;
                    expect(record).toMatchObject({ type: "CNAME", proxied: true, ttl: 1 });
                    if (owner === stack) {
                        expect(record.content, host).toBe(
                            mockAlb(ingress.metadata.name, regions[stack]),
                        );
                        expect(records).toContain(record);
                    }
                }
            }
        }
    });

    it("points the regional names at their own region and the shared names at production", () => {
        const contentOf = (stack: keyof typeof regions, name: string) =>
            recordsOf(resources[stack]!).find((r) => r.name === name)?.content;
        expect(contentOf("production", "api.mcp-production.com")).toBe(
            mockAlb("mcp-typescript-api-ingress", "us-east-1"),
        );
        expect(contentOf("production", "api-us-east-1.mcp-production.com")).toBe(
            mockAlb("mcp-typescript-api-ingress", "us-east-1"),
        );
        expect(contentOf("production", "semantic.mcp-production.com")).toBe(
            mockAlb("mcp-semantic-ingress", "us-east-1"),
        );
        expect(contentOf("dr", "api-us-west-2.mcp-production.com")).toBe(
            mockAlb("mcp-typescript-api-ingress", "us-west-2"),
        );
        expect(contentOf("dr", "semantic-us-west-2.mcp-production.com")).toBe(
            mockAlb("mcp-semantic-ingress", "us-west-2"),
        );
        expect(contentOf("dr", "api.mcp-production.com")).toBeUndefined();
        // The edge hostname is the Worker's: originless, on the production stack.
        expect(
            recordsOf(resources.production!).find((r) => r.name === "mcp.mcp-production.com"),
        ).toMatchObject({ type: "AAAA", content: "100::", proxied: true });
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
