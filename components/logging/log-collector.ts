import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    configFileName,
    metricsPath,
    metricsPort,
    renderFluentBitConfig,
} from "./fluent-bit-config";
import { collectorPodSpec } from "./fluent-bit-pod";
import { selectorLabels, standardLabels } from "../kit/labels";
import { serviceMonitor } from "../kit/service-monitor";
import { collectorName, collectorNamespace } from "../../contracts/logging";

type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

export { collectorName, collectorNamespace };

export interface LogCollectorArgs {
    /** Fluent Bit image, pinned by tag or digest. */
    readonly image: string;
    /** AWS region of the log groups. */
    readonly region: string;
    /** Log group prefix shared with LogStorage, e.g. `/mcp-platform/production`. */
    readonly groupPrefix: string;
    /** Namespaces with a log group of their own (the same list LogStorage got). */
    readonly namespaces: readonly string[];
    /** The IRSA role that may write to those log groups (LogStorage.writerRoleArn). */
    readonly roleArn: pulumi.Input<string>;
    /** Namespace whose pods (Prometheus) may scrape the collector's metrics. @default "monitoring" */
    readonly monitoringNamespace?: string;
    /** What installs the ServiceMonitor CRD (kube-prometheus-stack's release). @default [] */
    readonly monitoringDependsOn?: pulumi.Resource[];
    /** Labels kube-prometheus-stack selects ServiceMonitors by. @default {} */
    readonly monitoringSelectorLabels?: Readonly<Record<string, string>>;
    /** Destinations of HTTPS egress (CloudWatch Logs, STS, the API server). @default ["0.0.0.0/0"] */
    readonly egressCidrs?: readonly string[];
    /** @default requests 100m / 128Mi, limits 500m / 256Mi */
    readonly resources?: ResourceRequirements;
    /** Size cap of the emptyDir holding tail offsets and buffered chunks. @default "1Gi" */
    readonly stateSizeLimit?: string;
}

/**
 * Fluent Bit on every node, declared directly as Kubernetes objects (not a Helm release) so
 * the policy pack sees the DaemonSet it exempts. It reads `/var/log/containers` (and the
 * `/var/log/pods` files those symlink to) read-only, adds pod metadata, parses our services'
 * JSON lines, and ships them to CloudWatch Logs through an IRSA role.
 *
 * The one exemption from the restricted Pod Security Standard is the two read-only hostPath
 * volumes (docs/logging.md): the pod runs as a non-root UID with the root *group* as a
 * supplemental group (files are 0640 root:root), no privilege, all capabilities dropped,
 * a read-only root filesystem and RuntimeDefault seccomp.
 */
export class LogCollector extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly daemonSetName: pulumi.Output<string>;

    constructor(name: string, args: LogCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:logging:LogCollector", name, {}, opts);

        const monitoringNamespace = args.monitoringNamespace ?? "monitoring";
        const monitoringSelectorLabels = args.monitoringSelectorLabels ?? {};
        const egressCidrs = args.egressCidrs ?? ["0.0.0.0/0"];
        const resources = args.resources ?? {
            requests: { cpu: "100m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "256Mi" },
        };
        const stateSizeLimit = args.stateSizeLimit ?? "1Gi";
        const version = args.image.split("@")[0].split(":").pop();
        const labelSource = { name: collectorName, component: "log-collector", version };
        const labels = standardLabels(labelSource);
        const selector = selectorLabels(labelSource);
        const namespace = collectorNamespace;

        const ns = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: namespace,
                    labels: {
                        ...standardLabels({ name: namespace, component: "log-collector" }),
                        // hostPath is refused even by `baseline`: admission must allow
                        // `privileged` here; audit and warn keep reporting against restricted.
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "pod-security.kubernetes.io/audit": "restricted",
                        "pod-security.kubernetes.io/warn": "restricted",
                    },
                },
            },
            { parent: this },
        );
        const inNamespace = { parent: this, dependsOn: [ns] };

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: {
                    name: collectorName,
                    namespace,
                    labels,
                    annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
                },
                automountServiceAccountToken: false,
            },
            inNamespace,
        );

        // The kubernetes filter reads pod metadata (labels) by name: GET pods, nothing else.
        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-role`,
            {
                metadata: { name: `${namespace}-${collectorName}`, labels },
                rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }],
            },
            { parent: this },
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-role-binding`,
            {
                metadata: { name: `${namespace}-${collectorName}`, labels },
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: clusterRole.metadata.name,
                },
                subjects: [{ kind: "ServiceAccount", name: collectorName, namespace }],
            },
            { parent: this, dependsOn: [serviceAccount] },
        );

        const configText = renderFluentBitConfig({
            region: args.region,
            groupPrefix: args.groupPrefix,
            namespaces: args.namespaces,
        });
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: `${collectorName}-config`, namespace, labels },
                data: { [configFileName]: configText },
            },
            inNamespace,
        );

        const daemonSet = new k8s.apps.v1.DaemonSet(
            `${name}-daemon-set`,
            {
                metadata: { name: collectorName, namespace, labels },
                spec: {
                    selector: { matchLabels: selector },
                    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                    template: {
                        metadata: {
                            labels,
                            annotations: {
                                "checksum/config": createHash("sha256")
                                    .update(configText)
                                    .digest("hex"),
                            },
                        },
                        spec: collectorPodSpec({
                            name: collectorName,
                            image: args.image,
                            serviceAccountName: collectorName,
                            configMapName: config.metadata.name,
                            resources,
                            stateSizeLimit,
                        }),
                    },
                },
            },
            { ...inNamespace, dependsOn: [ns, serviceAccount, config] },
        );

        const service = new k8s.core.v1.Service(
            `${name}-metrics-service`,
            {
                metadata: { name: `${collectorName}-metrics`, namespace, labels },
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [
                        {
                            name: "http-metrics",
                            port: metricsPort,
                            targetPort: "http-metrics",
                            protocol: "TCP",
                        },
                    ],
                },
            },
            inNamespace,
        );

        this.declareNetworkPolicies(
            name,
            namespace,
            selector,
            monitoringNamespace,
            egressCidrs,
            inNamespace,
        );

        serviceMonitor(
            `${name}-service-monitor`,
            {
                metadata: {
                    name: collectorName,
                    namespace,
                    labels: { ...labels, ...monitoringSelectorLabels },
                },
                matchLabels: selector,
                namespaces: [namespace],
                port: "http-metrics",
                path: metricsPath,
            },
            { ...inNamespace, dependsOn: [ns, service, ...(args.monitoringDependsOn ?? [])] },
        );

        this.namespace = ns.metadata.name;
        this.daemonSetName = daemonSet.metadata.name;
        this.registerOutputs({ namespace: this.namespace, daemonSetName: this.daemonSetName });
    }

    private declareNetworkPolicies(
        name: string,
        namespace: string,
        selector: Record<string, string>,
        monitoringNamespace: string,
        egressCidrs: readonly string[],
        opts: pulumi.CustomResourceOptions,
    ): void {
        new k8s.networking.v1.NetworkPolicy(
            `${name}-default-deny`,
            {
                metadata: { name: "default-deny", namespace },
                spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
            },
            opts,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-egress`,
            {
                metadata: { name: `${collectorName}-egress`, namespace },
                spec: {
                    podSelector: { matchLabels: selector },
                    policyTypes: ["Egress"],
                    egress: [
                        {
                            // CloudWatch Logs, regional STS (IRSA) and the API server.
                            to: egressCidrs.map((cidr) => ({ ipBlock: { cidr } })),
                            ports: [{ protocol: "TCP", port: 443 }],
                        },
                        {
                            to: [
                                {
                                    namespaceSelector: {
                                        matchLabels: {
                                            "kubernetes.io/metadata.name": "kube-system",
                                        },
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
            },
            opts,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-metrics-ingress`,
            {
                metadata: { name: `${collectorName}-metrics-ingress`, namespace },
                spec: {
                    podSelector: { matchLabels: selector },
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                {
                                    namespaceSelector: {
                                        matchLabels: {
                                            "kubernetes.io/metadata.name": monitoringNamespace,
                                        },
                                    },
                                },
                            ],
                            ports: [{ protocol: "TCP", port: metricsPort }],
                        },
                    ],
                },
            },
            opts,
        );
    }
}
