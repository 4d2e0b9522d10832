import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type LabelSelector = k8s.types.input.meta.v1.LabelSelector;

/**
 * NetworkPolicies of the add-on namespaces: deny everything, then allow the flows each
 * add-on needs. Allow rules never select a pod operators labelled `quarantine=true`, so a
 * quarantined add-on pod keeps no traffic at all.
 *
 * On EKS the API server and webhook callers are the control plane's ENIs inside the VPC, and
 * ALB targets in IP mode are reached from the load balancers' ENIs in the VPC: both are
 * admitted by the VPC CIDR.
 */
export interface NamedPolicy {
    readonly name: string;
    readonly spec: NetworkPolicySpec;
}

const notQuarantined = { key: "quarantine", operator: "NotIn", values: ["true"] };

function pods(labels: Record<string, string> = {}): LabelSelector {
    return {
        ...(Object.keys(labels).length > 0 ? { matchLabels: labels } : {}),
        matchExpressions: [notQuarantined],
    };
}

const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));

/** Deny all ingress and egress for every pod of the namespace. */
export const defaultDeny: NamedPolicy = {
    name: "default-deny",
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
};

/** Cluster DNS (CoreDNS, `k8s-app=kube-dns` in kube-system). */
export const allowDns: NamedPolicy = {
    name: "allow-dns",
    spec: {
        podSelector: pods(),
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
    },
};

/** The Kubernetes API (the private endpoint's ENIs are in the VPC). */
export function allowKubeApi(vpcCidr: pulumi.Input<string>): NamedPolicy {
    return {
        name: "allow-kube-api",
        spec: {
            podSelector: pods(),
            policyTypes: ["Egress"],
            egress: [{ to: [{ ipBlock: { cidr: vpcCidr } }], ports: tcp(443) }],
        },
    };
}

/** Pods of the namespace talk to each other (components of one chart). */
export const allowSameNamespace: NamedPolicy = {
    name: "allow-same-namespace",
    spec: {
        podSelector: pods(),
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: pods() }] }],
        egress: [{ to: [{ podSelector: pods() }] }],
    },
};

/** Prometheus (in `monitoring`) may scrape pods of this namespace, on any port. */
export const allowPrometheusScrape: NamedPolicy = {
    name: "allow-prometheus-scrape",
    spec: {
        podSelector: pods(),
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "monitoring" },
                        },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                    },
                ],
            },
        ],
    },
};

/**
 * The `monitoring` namespace (kube-prometheus-stack). Grafana (port 3000) has no rule of its
 * own: Prometheus scrapes it from this namespace, and operators reach it with
 * `kubectl port-forward`, which the kubelet carries into the pod outside the pod network.
 */
export function monitoringPolicies(vpcCidr: pulumi.Input<string>): NamedPolicy[] {
    return [
        defaultDeny,
        allowDns,
        allowKubeApi(vpcCidr),
        allowSameNamespace,
        {
            // Every pod in every namespace, plus nodes (kubelet, cAdvisor, node-exporter).
            name: "prometheus-scrape",
            spec: {
                podSelector: pods({ "app.kubernetes.io/name": "prometheus" }),
                policyTypes: ["Egress"],
                egress: [{ to: [{ namespaceSelector: {} }, { ipBlock: { cidr: vpcCidr } }] }],
            },
        },
        {
            // PagerDuty, Slack, webhooks (HTTPS) and SMTP submission.
            name: "alertmanager-notify",
            spec: {
                podSelector: pods({ "app.kubernetes.io/name": "alertmanager" }),
                policyTypes: ["Egress"],
                egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: tcp(443, 465, 587) }],
            },
        },
        {
            // The API server calls the operator's admission webhook.
            name: "operator-webhook",
            spec: {
                podSelector: pods({ app: "kube-prometheus-stack-operator" }),
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ ipBlock: { cidr: vpcCidr } }], ports: tcp(10250) }],
            },
        },
    ];
}

/** The `vpa` namespace (recommender, updater, admission controller). */
export function verticalPodAutoscalerPolicies(vpcCidr: pulumi.Input<string>): NamedPolicy[] {
    return [
        defaultDeny,
        allowDns,
        allowKubeApi(vpcCidr),
        allowPrometheusScrape,
        {
            // The API server calls the admission controller's webhook.
            name: "admission-webhook",
            spec: {
                podSelector: pods({ "app.kubernetes.io/component": "admission-controller" }),
                policyTypes: ["Ingress"],
                ingress: [{ from: [{ ipBlock: { cidr: vpcCidr } }], ports: tcp(8000) }],
            },
        },
    ];
}

/**
 * The node-exporter namespace: its only pods run on the host network, where NetworkPolicies
 * do not apply; the default deny covers anything else started there.
 */
export function nodeExporterPolicies(): NamedPolicy[] {
    return [defaultDeny];
}
