import { beforeAll, describe, expect, it } from "vitest";
import { McpNamespaces, namespacePolicyNames } from "../../../components/workloads/namespaces";
import type { ResourceRecord } from "../../../tools/lib/records";
import { type Recorded, recordResources } from "../../support/pulumi";

const settings = {
    quota: {
        requestsCpu: "8",
        requestsMemory: "16Gi",
        limitsCpu: "16",
        limitsMemory: "32Gi",
        pods: 20,
    },
    limitRange: {
        max: { cpu: "4", memory: "8Gi" },
        defaultRequest: { cpu: "100m", memory: "128Mi" },
        defaultLimit: { cpu: "500m", memory: "512Mi" },
    },
};
const names = ["mcp-production", "mcp-system", "mcp-platform"];

const NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const meta = (r: ResourceRecord) => r.inputs.metadata as Record<string, any>;
const spec = (r: ResourceRecord) => r.inputs.spec as Record<string, any>;

describe("McpNamespaces", () => {
    let recorded: Recorded;
    let namespaces!: McpNamespaces;
    beforeAll(async () => {
        recorded = await recordResources(() => {
            namespaces = new McpNamespaces("ns", {
                namespaces: Object.fromEntries(names.map((n) => [n, settings])),
            });
        });
    });

    const policies = (namespace: string) =>
        recorded.ofType(NP).filter((r) => meta(r).namespace === namespace);
    const policy = (namespace: string, name: string) => {
        const found = policies(namespace).filter((r) => meta(r).name === name);
        expect(found, `${namespace}/${name}`).toHaveLength(1);
        return spec(found[0]);
    };

    it("creates each namespace under its exact name and exposes it by name", () => {
        const created = recorded.ofType("kubernetes:core/v1:Namespace").map((r) => meta(r).name);
        expect(created).toEqual(names);
        expect(namespaces.names).toEqual(names);
        expect(Object.keys(namespaces.byName)).toEqual(names);
    });

    it("enforces, audits and warns on the restricted Pod Security Standard", () => {
        for (const ns of recorded.ofType("kubernetes:core/v1:Namespace")) {
            expect(meta(ns).labels).toMatchObject({
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            });
        }
    });

    it("denies all ingress and egress by default in every namespace", () => {
        for (const namespace of names) {
            expect(policy(namespace, namespacePolicyNames.defaultDeny)).toEqual({
                podSelector: {},
                policyTypes: ["Ingress", "Egress"],
            });
        }
    });

    it("allows DNS to CoreDNS and Prometheus scraping on 9090, never for quarantined pods", () => {
        const excluded = { key: "quarantine", operator: "NotIn", values: ["true"] };
        const dns = policy("mcp-system", namespacePolicyNames.dns);
        expect(dns).toEqual({
            podSelector: { matchExpressions: [excluded] },
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [
                        {
                            namespaceSelector: {
                                matchLabels: { "kubernetes.io/metadata.name": "kube-system" },
                            },
                            podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                        },
                    ],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        });
        const scrape = policy("mcp-platform", namespacePolicyNames.prometheus);
        expect(scrape.podSelector).toEqual({ matchExpressions: [excluded] });
        expect(scrape.ingress).toEqual([
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "monitoring" },
                        },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                    },
                ],
                ports: [{ protocol: "TCP", port: 9090 }],
            },
        ]);
    });

    it("has the quarantine policy (same name and spec as the operators' kubectl apply)", () => {
        for (const namespace of names) {
            expect(policy(namespace, "deny-all")).toEqual({
                podSelector: { matchLabels: { quarantine: "true" } },
                policyTypes: ["Ingress", "Egress"],
            });
        }
        expect(policies("mcp-production")).toHaveLength(4);
    });

    it("sets a quota (no LoadBalancer or NodePort Services) and container limits", () => {
        const quotas = recorded.ofType("kubernetes:core/v1:ResourceQuota");
        expect(quotas.map((q) => meta(q).namespace)).toEqual(names);
        expect(spec(quotas[0]).hard).toEqual({
            "requests.cpu": "8",
            "requests.memory": "16Gi",
            "limits.cpu": "16",
            "limits.memory": "32Gi",
            pods: "20",
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        });
        const limits = recorded.ofType("kubernetes:core/v1:LimitRange");
        expect(spec(limits[1]).limits).toEqual([
            {
                type: "Container",
                max: { cpu: "4", memory: "8Gi" },
                default: { cpu: "500m", memory: "512Mi" },
                defaultRequest: { cpu: "100m", memory: "128Mi" },
            },
        ]);
    });

    it("names every child after the component and its namespace (unique per instance)", () => {
        const children = recorded.records.filter(
            (r) => r.type !== "kubernetes:core/v1:Namespace" && r.type.startsWith("kubernetes:"),
        );
        expect(children.length).toBe(3 * 6);
        for (const child of children) expect(child.name).toMatch(/^ns-mcp-/);
    });
});
