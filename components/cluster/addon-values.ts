/**
 * Helm values of the in-cluster add-ons, as pure functions so tests can pin them. Every
 * add-on runs on the system node group (nodeSelector + toleration) with restricted-compatible
 * security contexts; value paths are those of the pinned chart versions (docs/cluster.md).
 */

import type * as pulumi from "@pulumi/pulumi";

export interface Placement {
    /** Node labels the add-on pods select (the system node group). */
    readonly nodeSelector: Record<string, string>;
    /** Tolerations for the system node group's taints. */
    readonly tolerations: Record<string, string>[];
}

const restrictedPod = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
};
const restrictedContainer = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/** kubernetes-sigs/metrics-server: resource metrics for HPAs and `kubectl top`. */
export function metricsServerValues(placement: Placement): Record<string, unknown> {
    return {
        replicas: 2,
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        ...placement,
        podSecurityContext: restrictedPod,
        securityContext: { ...restrictedContainer, runAsUser: 1000 },
    };
}

/** FairwindsOps `vpa`: recommender, updater and admission controller. */
export function verticalPodAutoscalerValues(placement: Placement): Record<string, unknown> {
    const component = {
        ...placement,
        podSecurityContext: { ...restrictedPod, runAsUser: 65534 },
        securityContext: restrictedContainer,
    };
    return {
        recommender: { enabled: true, ...component },
        updater: { enabled: true, ...component },
        admissionController: {
            enabled: true,
            ...component,
            certGen: { ...placement },
        },
        // Resource metrics come from the metrics-server release.
        "metrics-server": { enabled: false },
    };
}

export interface MonitoringStackSettings {
    /** StorageClass of Prometheus' volume. */
    readonly storageClassName: string;
    readonly retention: string;
    readonly storageGiB: number;
    /** Namespace node-exporter runs in (it needs host access; see docs/cluster.md). */
    readonly nodeExporterNamespace: string;
    /** Secret holding the Grafana admin user and password. */
    readonly grafanaAdminSecret: string;
    /**
     * The release's namespace. Grafana's sidecars load dashboards and datasources from
     * ConfigMaps of this namespace only.
     */
    readonly namespace: string;
    /**
     * The `cluster` label Prometheus adds to every alert (external label): Alertmanager groups
     * by it and on-call sees which region paged.
     */
    readonly clusterLabel: pulumi.Input<string>;
}

/** The Secret the monitoring work creates with the whole Alertmanager config. */
export const alertmanagerConfigSecret = "alertmanager-mcp-platform";
/** Receiver credentials, mounted at /etc/alertmanager/secrets/alertmanager-receivers/. */
export const alertmanagerReceiversSecret = "alertmanager-receivers";
/** The Grafana admin user and password (ClusterAddons creates it in `monitoring`). */
export const grafanaAdminSecret = "grafana-admin";
/** The label (and value) Grafana's sidecar loads dashboard ConfigMaps by. */
export const grafanaDashboardLabel = { grafana_dashboard: "1" } as const;
/** Grafana's ServiceAccount, named here so that the Role binding below can name it. */
export const grafanaServiceAccount = "kube-prometheus-stack-grafana";
/**
 * The Role Grafana's sidecars read with, declared beside the release (ClusterAddons) instead of
 * by the chart: the chart's own Role also reads every Secret of the namespace.
 */
export const grafanaSidecarRole = "grafana-sidecar";
/**
 * What the dashboard and datasource sidecars (k8s-sidecar, `METHOD` WATCH) do: list and watch
 * the ConfigMaps of their namespace.
 */
export const grafanaSidecarRules = [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] },
];

/**
 * prometheus-community/kube-prometheus-stack. Prometheus selects every PrometheusRule,
 * ServiceMonitor, PodMonitor and Probe in every namespace (no `release` label needed);
 * Alertmanager reads its config from an existing Secret.
 */
export function kubePrometheusStackValues(
    placement: Placement,
    settings: MonitoringStackSettings,
): Record<string, unknown> {
    return {
        crds: { enabled: true },
        // EKS runs these control-plane parts out of reach; scraping them only yields TargetDown.
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        kubeProxy: { enabled: false },
        defaultRules: {
            rules: {
                etcd: false,
                kubeControllerManager: false,
                kubeSchedulerAlerting: false,
                kubeSchedulerRecording: false,
                kubeProxy: false,
                windows: false,
            },
        },
        prometheus: {
            prometheusSpec: {
                ruleSelectorNilUsesHelmValues: false,
                serviceMonitorSelectorNilUsesHelmValues: false,
                podMonitorSelectorNilUsesHelmValues: false,
                probeSelectorNilUsesHelmValues: false,
                externalLabels: { cluster: settings.clusterLabel },
                ruleSelector: {},
                ruleNamespaceSelector: {},
                serviceMonitorSelector: {},
                serviceMonitorNamespaceSelector: {},
                podMonitorSelector: {},
                podMonitorNamespaceSelector: {},
                retention: settings.retention,
                storageSpec: {
                    volumeClaimTemplate: {
                        spec: {
                            storageClassName: settings.storageClassName,
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: `${settings.storageGiB}Gi` } },
                        },
                    },
                },
                ...placement,
            },
        },
        alertmanager: {
            alertmanagerSpec: {
                useExistingSecret: true,
                configSecret: alertmanagerConfigSecret,
                secrets: [alertmanagerReceiversSecret],
                replicas: 2,
                storage: {
                    volumeClaimTemplate: {
                        spec: {
                            storageClassName: settings.storageClassName,
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: "10Gi" } },
                        },
                    },
                },
                ...placement,
            },
        },
        prometheusOperator: {
            ...placement,
            admissionWebhooks: { patch: { ...placement } },
        },
        grafana: {
            enabled: true,
            admin: {
                existingSecret: settings.grafanaAdminSecret,
                userKey: "admin-user",
                passwordKey: "admin-password",
            },
            // No persistence, so no root init container that chowns a volume.
            initChownData: { enabled: false },
            testFramework: { enabled: false },
            // No ClusterRole, no chart Role (it would read the namespace's Secrets too): the
            // ServiceAccount is bound to `grafanaSidecarRole`, declared by ClusterAddons.
            rbac: { create: false, namespaced: true },
            serviceAccount: { create: true, name: grafanaServiceAccount },
            sidecar: {
                dashboards: {
                    enabled: true,
                    label: Object.keys(grafanaDashboardLabel)[0],
                    labelValue: Object.values(grafanaDashboardLabel)[0],
                    searchNamespace: settings.namespace,
                    resource: "configmap",
                },
                datasources: { searchNamespace: settings.namespace, resource: "configmap" },
            },
            securityContext: {
                ...restrictedPod,
                runAsUser: 472,
                runAsGroup: 472,
                fsGroup: 472,
            },
            ...placement,
        },
        kubeStateMetrics: { enabled: true },
        "kube-state-metrics": { ...placement },
        nodeExporter: { enabled: true },
        "prometheus-node-exporter": {
            namespaceOverride: settings.nodeExporterNamespace,
            // A DaemonSet on every node, whatever its taints.
            tolerations: [{ operator: "Exists" }],
        },
    };
}

export interface LoadBalancerControllerSettings {
    readonly clusterName: string;
    /** Given explicitly: with an IMDS hop limit of 1 the pods cannot look them up. */
    readonly region: string;
    readonly vpcId: string;
    readonly serviceAccountName: string;
    readonly roleArn: string;
}

/** The IngressClass the controller serves. */
export const albIngressClass = "alb";

/** aws/eks-charts aws-load-balancer-controller: Ingresses of class `alb`, IP targets. */
export function loadBalancerControllerValues(
    placement: Placement,
    settings: LoadBalancerControllerSettings,
): Record<string, unknown> {
    return {
        clusterName: settings.clusterName,
        region: settings.region,
        vpcId: settings.vpcId,
        replicaCount: 2,
        serviceAccount: {
            create: true,
            name: settings.serviceAccountName,
            annotations: { "eks.amazonaws.com/role-arn": settings.roleArn },
        },
        ingressClass: albIngressClass,
        createIngressClassResource: true,
        ingressClassConfig: { default: false },
        // Pods are ALB targets directly (no node hop); NetworkPolicies admit the VPC CIDR.
        defaultTargetType: "ip",
        // WAF Classic is end of support; its permissions are not granted. WAFv2 stays on.
        enableWaf: false,
        enableWafv2: true,
        // We use no Service of type LoadBalancer; without this webhook a controller outage
        // cannot block Service creation cluster-wide.
        enableServiceMutatorWebhook: false,
        podSecurityContext: { ...restrictedPod, fsGroup: 65534 },
        securityContext: restrictedContainer,
        ...placement,
    };
}
