import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { partOf } from "../kit/labels";
import { allowSelector, clusterDns, prometheusPods, quarantineLabel } from "../kit/network-policy";

interface Amounts {
    readonly cpu: string;
    readonly memory: string;
}

/** Quota and per-container limits of one namespace. */
export interface NamespaceSettings {
    readonly quota: {
        readonly requestsCpu: string;
        readonly requestsMemory: string;
        readonly limitsCpu: string;
        readonly limitsMemory: string;
        readonly pods: number;
    };
    readonly limitRange: {
        readonly max: Amounts;
        readonly defaultRequest: Amounts;
        readonly defaultLimit: Amounts;
    };
}

export interface McpNamespacesArgs {
    /** Namespace name → its quota and limits. */
    readonly namespaces: Readonly<Record<string, NamespaceSettings>>;
    /** Port Prometheus scrapes (the metrics contract). @default 9090 */
    readonly metricsPort?: number;
    /** Pod Security Standard version the labels pin. @default "latest" */
    readonly podSecurityVersion?: string;
}

/** Names of the namespace-wide NetworkPolicies, in every application namespace. */
export const namespacePolicyNames = {
    defaultDeny: "default-deny",
    dns: "allow-dns",
    prometheus: "allow-prometheus-scrape",
    /** Same name and spec as the policy operators apply by hand, so that command is a no-op. */
    quarantine: "deny-all",
} as const;

/**
 * The application namespaces (mcp-production, mcp-system, mcp-platform), each:
 * - restricted Pod Security admission (enforce, audit and warn);
 * - default-deny ingress and egress, then explicit allows: DNS to CoreDNS, Prometheus
 *   scraping from `monitoring`; each service adds its own flows (McpService);
 * - the quarantine policy (`quarantine=true` pods get no traffic in or out);
 * - a ResourceQuota (no LoadBalancer or NodePort Services: traffic enters through the ALB)
 *   and a LimitRange giving containers defaults and an upper bound.
 */
export class McpNamespaces extends pulumi.ComponentResource {
    /** The Namespace objects, by name; create namespaced objects with `dependsOn` on them. */
    public readonly byName: Readonly<Record<string, k8s.core.v1.Namespace>>;
    public readonly names: readonly string[];

    constructor(name: string, args: McpNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:workloads:McpNamespaces", name, {}, opts);

        const metricsPort = args.metricsPort ?? 9090;
        const pssVersion = args.podSecurityVersion ?? "latest";
        const byName: Record<string, k8s.core.v1.Namespace> = {};

        for (const [namespace, settings] of Object.entries(args.namespaces)) {
            const labels = {
                "app.kubernetes.io/part-of": partOf,
                "app.kubernetes.io/managed-by": "pulumi",
            };
            const ns = new k8s.core.v1.Namespace(
                `${name}-${namespace}`,
                {
                    metadata: {
                        name: namespace,
                        labels: {
                            ...labels,
                            "pod-security.kubernetes.io/enforce": "restricted",
                            "pod-security.kubernetes.io/enforce-version": pssVersion,
                            "pod-security.kubernetes.io/audit": "restricted",
                            "pod-security.kubernetes.io/audit-version": pssVersion,
                            "pod-security.kubernetes.io/warn": "restricted",
                            "pod-security.kubernetes.io/warn-version": pssVersion,
                            // The ALB controller holds a rollout until new pods are healthy
                            // targets (pod readiness gates).
                            "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled",
                        },
                    },
                },
                { parent: this },
            );
            byName[namespace] = ns;
            const child = { parent: this, dependsOn: [ns] };
            const meta = (objectName: string, description: string) => ({
                name: objectName,
                namespace,
                labels,
                annotations: { "mcp-platform.io/description": description },
            });

            new k8s.networking.v1.NetworkPolicy(
                `${name}-${namespace}-default-deny`,
                {
                    metadata: meta(
                        namespacePolicyNames.defaultDeny,
                        "Denies all ingress and egress; other policies allow specific flows.",
                    ),
                    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
                },
                child,
            );
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${namespace}-allow-dns`,
                {
                    metadata: meta(namespacePolicyNames.dns, "DNS lookups to CoreDNS."),
                    spec: {
                        podSelector: allowSelector(),
                        policyTypes: ["Egress"],
                        egress: [{ to: [clusterDns.peer], ports: clusterDns.ports }],
                    },
                },
                child,
            );
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${namespace}-allow-prometheus`,
                {
                    metadata: meta(
                        namespacePolicyNames.prometheus,
                        `Prometheus in monitoring scrapes :${metricsPort}/metrics.`,
                    ),
                    spec: {
                        podSelector: allowSelector(),
                        policyTypes: ["Ingress"],
                        ingress: [
                            {
                                from: [prometheusPods],
                                ports: [{ protocol: "TCP", port: metricsPort }],
                            },
                        ],
                    },
                },
                child,
            );
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${namespace}-quarantine`,
                {
                    metadata: meta(
                        namespacePolicyNames.quarantine,
                        `Pods labelled ${quarantineLabel}=true get no traffic in or out (every allow policy excludes them).`,
                    ),
                    spec: {
                        podSelector: { matchLabels: { [quarantineLabel]: "true" } },
                        policyTypes: ["Ingress", "Egress"],
                    },
                },
                child,
            );

            new k8s.core.v1.ResourceQuota(
                `${name}-${namespace}-quota`,
                {
                    metadata: meta(
                        "compute-quota",
                        "Holds every service at its maximum size plus the rolling-update surge.",
                    ),
                    spec: {
                        hard: {
                            "requests.cpu": settings.quota.requestsCpu,
                            "requests.memory": settings.quota.requestsMemory,
                            "limits.cpu": settings.quota.limitsCpu,
                            "limits.memory": settings.quota.limitsMemory,
                            pods: String(settings.quota.pods),
                            "services.loadbalancers": "0",
                            "services.nodeports": "0",
                        },
                    },
                },
                child,
            );
            new k8s.core.v1.LimitRange(
                `${name}-${namespace}-limits`,
                {
                    metadata: meta(
                        "container-limits",
                        "Defaults for containers that state no resources, and an upper bound.",
                    ),
                    spec: {
                        limits: [
                            {
                                type: "Container",
                                max: { ...settings.limitRange.max },
                                default: { ...settings.limitRange.defaultLimit },
                                defaultRequest: { ...settings.limitRange.defaultRequest },
                            },
                        ],
                    },
                },
                child,
            );
        }

        this.byName = byName;
        this.names = Object.keys(byName);
        this.registerOutputs({ names: this.names });
    }
}
