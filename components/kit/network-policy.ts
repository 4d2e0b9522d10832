import type * as k8s from "@pulumi/kubernetes";

type LabelSelector = k8s.types.input.meta.v1.LabelSelector;
type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;
type NetworkPolicyPort = k8s.types.input.networking.v1.NetworkPolicyPort;

/**
 * NetworkPolicy building blocks shared by the namespaces, the MCP services and the data layer.
 *
 * Policies are additive: a pod selected by any allow policy gets that traffic even when a
 * "deny" policy also selects it. So quarantine (operators run `kubectl label pod X
 * quarantine=true`) works by every allow policy excluding quarantined pods from its
 * `podSelector`; the quarantine policy itself then leaves them with no allowed traffic at all.
 */

/** The label operators put on a pod to cut it off (`quarantine=true`). */
export const quarantineLabel = "quarantine";

/** The requirement every allow policy's `podSelector` carries. */
export const notQuarantined = {
    key: quarantineLabel,
    operator: "NotIn",
    values: ["true"],
};

/** A `podSelector` for `labels` that never matches a quarantined pod. */
export function allowSelector(labels: Record<string, string> = {}): LabelSelector {
    return {
        ...(Object.keys(labels).length > 0 ? { matchLabels: labels } : {}),
        matchExpressions: [notQuarantined],
    };
}

/** Pods with `podLabels` in `namespace` (matched on `kubernetes.io/metadata.name`). */
export function podsIn(namespace: string, podLabels: Record<string, string>): NetworkPolicyPeer {
    return {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
        podSelector: { matchLabels: podLabels },
    };
}

/** Every pod of each namespace in `names` (matched on `kubernetes.io/metadata.name`). */
export function allPodsIn(names: readonly string[]): NetworkPolicyPeer[] {
    return names.map((name) => ({
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
    }));
}

/** TCP ports. */
export function tcp(...ports: number[]): NetworkPolicyPort[] {
    return ports.map((port) => ({ protocol: "TCP", port }));
}

/**
 * The private IPv4 ranges (RFC 1918): the VPC and its peer, the EKS API's private endpoint,
 * Service cluster IPs, pods and any interface endpoint live here; the public AWS endpoints
 * (S3, KMS, STS, reached through the NAT gateways) do not.
 */
export const privateIpv4Ranges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** An egress rule to public addresses only, on TCP `ports`. */
export function publicEgress(...ports: number[]): {
    to: NetworkPolicyPeer[];
    ports: NetworkPolicyPort[];
} {
    return {
        to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...privateIpv4Ranges] } }],
        ports: tcp(...ports),
    };
}

/** CoreDNS on EKS: pods `k8s-app=kube-dns` in kube-system, UDP and TCP 53. */
export const clusterDns = {
    peer: podsIn("kube-system", { "k8s-app": "kube-dns" }),
    ports: [
        { protocol: "UDP", port: 53 },
        { protocol: "TCP", port: 53 },
    ] as NetworkPolicyPort[],
};

/** Prometheus of kube-prometheus-stack (namespace `monitoring`). */
export const prometheusPods = podsIn("monitoring", { "app.kubernetes.io/name": "prometheus" });

/**
 * The data layer's pods and ports (they run in mcp-production; components/data writes the
 * database side of these flows).
 */
export const dataStores = {
    postgres: {
        podLabels: [{ app: "postgres-primary" }, { app: "postgres-replica" }],
        ports: [5432],
    },
    // Redis clients ask a Sentinel (26379) for the primary, then connect to it (6379).
    redis: { podLabels: [{ app: "redis" }], ports: [6379, 26379] },
} as const;
