import * as k8s from "@pulumi/kubernetes";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { type ExposedServiceExemption, exposedServiceExemptions } from "./exemptions";
import { coversInternet } from "./lib/cidr";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";

/**
 * Network exposure of Kubernetes objects: NetworkPolicies that open a namespace to
 * everything, and Services that expose pods outside the cluster's one reviewed ingress path.
 * Each object is judged on its own, so a default-deny policy beside an allow-all one does not
 * make it acceptable: NetworkPolicies are additive and the allow-all wins.
 */

type Peer = {
    podSelector?: unknown;
    namespaceSelector?: unknown;
    ipBlock?: { cidr?: string; except?: string[] };
};
type Rule = { from?: Peer[]; to?: Peer[]; ports?: unknown[] };

function isEmptyObject(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        Object.values(value as object).every((v) => v === undefined)
    );
}

/**
 * Whether a rule's peers admit every address: no peer list (the rule matches all sources or
 * destinations), a `{}` peer, or ipBlocks that together cover the internet. `except` does not
 * count: carving private ranges out of 0.0.0.0/0 still leaves the whole internet.
 */
function admitsEverything(peers: Peer[] | undefined): boolean {
    if (peers === undefined || peers.length === 0) return true;
    if (peers.some(isEmptyObject)) return true;
    const cidrs = peers.map((p) => p.ipBlock?.cidr).filter((c): c is string => !!c);
    return coversInternet(cidrs);
}

function hasNoPorts(rule: Rule): boolean {
    return rule.ports === undefined || rule.ports.length === 0;
}

export const networkPolicyNoAllowAll: ResourceValidationPolicy = {
    name: "k8s-network-policy-no-allow-all",
    description:
        "Checks whether a NetworkPolicy admits ingress from everywhere (a rule `{}`, a `{}` peer, or ipBlocks covering the internet) or egress to everywhere on every port.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.3.2"),
    tags: ["cis-eks-4.3.2", "network-exposure"],
    remediationSteps:
        "Name the peers: a podSelector/namespaceSelector for in-cluster traffic, the VPC CIDR for the load balancer, and for egress to the internet the ports (e.g. 443) it needs.",
    validateResource: [k8s.networking.v1.NetworkPolicy, k8s.networking.v1.NetworkPolicyPatch].map(
        (cls) =>
            validateResourceOfType(
                cls as typeof k8s.networking.v1.NetworkPolicy,
                (policy, args, reportViolation) => {
                    const label = `NetworkPolicy ${policy.metadata?.namespace ?? "(no namespace)"}/${policy.metadata?.name ?? args.name}`;
                    const spec = (policy.spec ?? {}) as { ingress?: Rule[]; egress?: Rule[] };
                    (spec.ingress ?? []).forEach((rule, index) => {
                        if (admitsEverything(rule.from)) {
                            reportViolation(
                                `${label} ingress[${index}] must name its sources; it admits traffic from everywhere.`,
                            );
                        }
                    });
                    (spec.egress ?? []).forEach((rule, index) => {
                        if (admitsEverything(rule.to) && hasNoPorts(rule)) {
                            reportViolation(
                                `${label} egress[${index}] must name its destinations or ports; it allows egress everywhere on every port.`,
                            );
                        }
                    });
                },
            ),
    ),
};

const serviceSchema = {
    properties: {
        exemptions: {
            type: "array" as const,
            description:
                "Services (namespace and name) that may be LoadBalancer/NodePort or set externalIPs. Default: policies/exemptions.ts (none).",
            items: {
                type: "object" as const,
                properties: {
                    namespace: { type: "string" as const, minLength: 1 },
                    name: { type: "string" as const, minLength: 1 },
                    reason: { type: "string" as const },
                },
                required: ["namespace", "name"],
                additionalProperties: false,
            },
            default: exposedServiceExemptions as unknown as object[],
        },
    },
};

export const serviceNotExposed: ResourceValidationPolicy = {
    name: "k8s-service-not-exposed",
    description:
        "Checks whether a Service exposes pods outside the reviewed ingress path: type LoadBalancer or NodePort, or externalIPs.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["network-exposure", "kube-score:service-type"],
    configSchema: serviceSchema,
    remediationSteps:
        "Keep the Service ClusterIP and publish it through an Ingress (the ALB path, target-type ip); a reviewed exception goes in policies/exemptions.ts (exposedServiceExemptions).",
    validateResource: [k8s.core.v1.Service, k8s.core.v1.ServicePatch].map((cls) =>
        validateResourceOfType(
            cls as typeof k8s.core.v1.Service,
            (service, args, reportViolation) => {
                const { exemptions } = configOf<{ exemptions: ExposedServiceExemption[] }>(
                    serviceSchema,
                    args,
                );
                const namespace = service.metadata?.namespace ?? "(no namespace)";
                const name = service.metadata?.name ?? args.name;
                if (exemptions.some((e) => e.namespace === namespace && e.name === name)) return;
                const type = service.spec?.type;
                if (type === "LoadBalancer" || type === "NodePort") {
                    reportViolation(
                        `Service ${namespace}/${name} must be of type ClusterIP (got ${type}); publish it through an Ingress.`,
                    );
                }
                if ((service.spec?.externalIPs ?? []).length > 0) {
                    reportViolation(`Service ${namespace}/${name} must not set externalIPs.`);
                }
            },
        ),
    ),
};

export const networkPolicies: ResourceValidationPolicy[] = [
    networkPolicyNoAllowAll,
    serviceNotExposed,
];
