import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { loadBalancerControllerPolicy } from "./aws-load-balancer-controller-policy";
import { IrsaRole } from "../kit/irsa-role";
import {
    monitoringPolicies,
    type NamedPolicy,
    nodeExporterPolicies,
    verticalPodAutoscalerPolicies,
} from "./addon-network-policies";
import {
    albIngressClass,
    grafanaAdminSecret,
    grafanaServiceAccount,
    grafanaSidecarRole,
    grafanaSidecarRules,
    kubePrometheusStackValues,
    loadBalancerControllerValues,
    metricsServerValues,
    verticalPodAutoscalerValues,
} from "./addon-values";
import type { OidcIdentity } from "../kit/irsa";
import { standardLabels } from "../kit/labels";
import { storageClassName } from "../../contracts/names";
import { helmCharts } from "../../contracts/pinned-sources";
import { nodeGroupLabel } from "../../contracts/names";
import { type Placement } from "../kit/pod-spec";

export interface ChartVersions {
    readonly metricsServer: string;
    readonly verticalPodAutoscaler: string;
    readonly kubePrometheusStack: string;
    readonly awsLoadBalancerController: string;
}

export interface ClusterAddonsArgs {
    readonly clusterName: pulumi.Input<string>;
    /** The stack's region, passed to the load balancer controller (pods cannot read IMDS). */
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** Admits API-server webhook calls and ALB traffic in the add-on namespaces' policies. */
    readonly vpcCidr: pulumi.Input<string>;
    readonly oidc: OidcIdentity;
    /** Pinned chart versions. */
    readonly charts: ChartVersions;
    /** Prometheus retention and volume size. */
    readonly prometheus: { readonly retention: string; readonly storageGiB: number };
    /** StorageClass for Prometheus and Alertmanager volumes. @default "gp3" */
    readonly storageClassName?: string;
    /**
     * Where add-on pods run. @default the system node group
     * (`mcp-platform.io/node-group: system`, tolerating `CriticalAddonsOnly`)
     */
    readonly placement?: Placement;
}

/** Namespaces the add-ons run in. kube-system is EKS's own and is not declared here. */
export const addonNamespaces = {
    monitoring: "monitoring",
    nodeExporter: "node-exporter",
    verticalPodAutoscaler: "vpa",
} as const;

/**
 * An add-on namespace with Pod Security admission labels. `enforce` is `restricted` unless
 * the namespace's pods need host access; audit and warn always report against `restricted`.
 */
export function addonNamespaceArgs(
    namespace: string,
    enforce: "restricted" | "privileged",
): k8s.core.v1.NamespaceArgs {
    return {
        metadata: {
            name: namespace,
            labels: {
                ...standardLabels({ name: namespace, component: "cluster-addons" }),
                "pod-security.kubernetes.io/enforce": enforce,
                "pod-security.kubernetes.io/enforce-version": "latest",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/audit-version": "latest",
                "pod-security.kubernetes.io/warn": "restricted",
                "pod-security.kubernetes.io/warn-version": "latest",
            },
        },
    };
}

const albServiceAccount = { namespace: "kube-system", name: "aws-load-balancer-controller" };

/**
 * The in-cluster add-ons as pinned Helm releases (`helm.v3.Release`, so chart hooks run):
 * metrics-server, the Vertical Pod Autoscaler, kube-prometheus-stack (Prometheus,
 * Alertmanager, Grafana, kube-state-metrics, node-exporter) and the AWS Load Balancer
 * Controller (IngressClass `alb`, IRSA role). Each add-on namespace is declared with Pod
 * Security labels and default-deny NetworkPolicies. See docs/cluster.md.
 */
export class ClusterAddons extends pulumi.ComponentResource {
    /** kube-prometheus-stack: depend on it before creating PrometheusRules/ServiceMonitors. */
    public readonly monitoringStack: k8s.helm.v3.Release;
    /** The VPA: depend on it before creating VerticalPodAutoscalers (it installs the CRD). */
    public readonly verticalPodAutoscaler: k8s.helm.v3.Release;
    /** Depend on it before creating Ingresses of class `alb` (its webhook validates them). */
    public readonly loadBalancerController: k8s.helm.v3.Release;
    public readonly loadBalancerControllerRoleArn: pulumi.Output<string>;
    public readonly ingressClassName: string;
    public readonly monitoringNamespace: pulumi.Output<string>;

    constructor(name: string, args: ClusterAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:ClusterAddons", name, {}, opts);

        const placement: Placement = args.placement ?? {
            nodeSelector: { [nodeGroupLabel]: "system" },
            tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        };
        const storageClass = args.storageClassName ?? storageClassName;

        const monitoring = this.namespace(name, addonNamespaces.monitoring, "restricted");
        const nodeExporter = this.namespace(name, addonNamespaces.nodeExporter, "privileged");
        const vpa = this.namespace(name, addonNamespaces.verticalPodAutoscaler, "restricted");
        this.policies(name, "monitoring", monitoring, monitoringPolicies(args.vpcCidr));
        this.policies(name, "node-exporter", nodeExporter, nodeExporterPolicies());
        this.policies(name, "vpa", vpa, verticalPodAutoscalerPolicies(args.vpcCidr));

        const metricsServer = this.release(name, "metrics-server", {
            chart: helmCharts.metricsServer.chart,
            version: args.charts.metricsServer,
            repo: helmCharts.metricsServer.repository,
            namespace: pulumi.output("kube-system"),
            values: metricsServerValues(placement),
        });
        this.verticalPodAutoscaler = this.release(name, "vpa", {
            chart: helmCharts.verticalPodAutoscaler.chart,
            version: args.charts.verticalPodAutoscaler,
            repo: helmCharts.verticalPodAutoscaler.repository,
            namespace: vpa.metadata.name,
            values: verticalPodAutoscalerValues(placement),
            dependsOn: [metricsServer],
        });

        const grafanaPassword = new random.RandomPassword(
            `${name}-grafana-admin`,
            { length: 32, special: false },
            { parent: this },
        );
        const grafanaAdmin = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: {
                    name: grafanaAdminSecret,
                    namespace: monitoring.metadata.name,
                    labels: standardLabels({ name: "grafana", component: "monitoring" }),
                },
                type: "Opaque",
                stringData: {
                    "admin-user": "admin",
                    "admin-password": pulumi.secret(grafanaPassword.result),
                },
            },
            { parent: this },
        );
        const grafanaAccess = this.grafanaSidecarAccess(name, monitoring);
        this.monitoringStack = this.release(name, "kube-prometheus-stack", {
            chart: helmCharts.kubePrometheusStack.chart,
            version: args.charts.kubePrometheusStack,
            repo: helmCharts.kubePrometheusStack.repository,
            namespace: monitoring.metadata.name,
            values: kubePrometheusStackValues(placement, {
                storageClassName: storageClass,
                retention: args.prometheus.retention,
                storageGiB: args.prometheus.storageGiB,
                nodeExporterNamespace: addonNamespaces.nodeExporter,
                grafanaAdminSecret,
                namespace: addonNamespaces.monitoring,
                clusterLabel: args.clusterName,
            }),
            dependsOn: [grafanaAdmin, grafanaAccess, nodeExporter],
        });

        const albRole = new IrsaRole(
            `${name}-alb-controller`,
            {
                oidc: args.oidc,
                serviceAccount: albServiceAccount,
                policy: pulumi
                    .all([
                        aws.getPartitionOutput({}, { parent: this }).partition,
                        aws.getCallerIdentityOutput({}, { parent: this }).accountId,
                        args.vpcId,
                    ])
                    .apply(([partition, accountId, vpcId]) =>
                        loadBalancerControllerPolicy({
                            partition,
                            accountId,
                            region: args.region,
                            vpcId,
                        }),
                    ),
            },
            { parent: this },
        );
        this.loadBalancerController = this.release(name, "aws-load-balancer-controller", {
            chart: helmCharts.awsLoadBalancerController.chart,
            version: args.charts.awsLoadBalancerController,
            repo: helmCharts.awsLoadBalancerController.repository,
            namespace: pulumi.output(albServiceAccount.namespace),
            values: pulumi
                .all([args.clusterName, args.vpcId, albRole.roleArn])
                .apply(([clusterName, vpcId, roleArn]) =>
                    loadBalancerControllerValues(placement, {
                        clusterName,
                        region: args.region,
                        vpcId,
                        serviceAccountName: albServiceAccount.name,
                        roleArn,
                    }),
                ),
            dependsOn: [albRole],
        });

        this.loadBalancerControllerRoleArn = albRole.roleArn;
        this.ingressClassName = albIngressClass;
        this.monitoringNamespace = monitoring.metadata.name;
        this.registerOutputs({
            loadBalancerControllerRoleArn: this.loadBalancerControllerRoleArn,
            monitoringNamespace: this.monitoringNamespace,
        });
    }

    private namespace(
        name: string,
        namespace: string,
        enforce: "restricted" | "privileged",
    ): k8s.core.v1.Namespace {
        return new k8s.core.v1.Namespace(
            `${name}-${namespace}`,
            addonNamespaceArgs(namespace, enforce),
            { parent: this },
        );
    }

    /**
     * Grafana's sidecars read ConfigMaps of `monitoring` and nothing else: a Role and its
     * binding to the chart's ServiceAccount (the chart creates no RBAC of its own).
     */
    private grafanaSidecarAccess(name: string, namespace: k8s.core.v1.Namespace) {
        const metadata = {
            name: grafanaSidecarRole,
            namespace: namespace.metadata.name,
            labels: standardLabels({ name: "grafana", component: "monitoring" }),
        };
        const role = new k8s.rbac.v1.Role(
            `${name}-grafana-sidecar`,
            { metadata, rules: grafanaSidecarRules },
            { parent: this },
        );
        return new k8s.rbac.v1.RoleBinding(
            `${name}-grafana-sidecar`,
            {
                metadata,
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "Role",
                    name: role.metadata.name,
                },
                subjects: [
                    {
                        kind: "ServiceAccount",
                        name: grafanaServiceAccount,
                        namespace: namespace.metadata.name,
                    },
                ],
            },
            { parent: this },
        );
    }

    /** The namespace's NetworkPolicies, created once the namespace exists. */
    private policies(
        name: string,
        key: string,
        namespace: k8s.core.v1.Namespace,
        policies: NamedPolicy[],
    ) {
        const namespaceName = namespace.metadata.name;
        for (const policy of policies) {
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${key}-${policy.name}`,
                { metadata: { name: policy.name, namespace: namespaceName }, spec: policy.spec },
                { parent: this },
            );
        }
    }

    private release(
        name: string,
        release: string,
        spec: {
            chart: string;
            version: string;
            repo: string;
            namespace: pulumi.Input<string>;
            values: pulumi.Input<Record<string, unknown>>;
            dependsOn?: pulumi.Resource[];
        },
    ): k8s.helm.v3.Release {
        return new k8s.helm.v3.Release(
            `${name}-${release}`,
            {
                name: release,
                chart: spec.chart,
                version: spec.version,
                repositoryOpts: { repo: spec.repo },
                namespace: spec.namespace,
                createNamespace: false,
                values: spec.values,
                atomic: true,
                cleanupOnFail: true,
                timeout: 900,
            },
            { parent: this, dependsOn: spec.dependsOn },
        );
    }
}
