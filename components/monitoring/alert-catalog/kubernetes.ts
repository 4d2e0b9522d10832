import { inPlatformNamespaces } from "./scope";
import type { RuleGroup } from "./types";

/**
 * Platform essentials in the spirit of kubernetes-mixin (apps_alerts, storage_alerts), for
 * the platform's namespaces only. The names differ from the mixin's `Kube*` alerts so they
 * never merge with the chart's default rules; the runbooks use this platform's names.
 */
export const kubernetesThresholds = {
    /** PersistentVolumeFillingUp critical: less than 3% free. */
    volumeFreeCritical: 0.03,
    /** PersistentVolumeFillingUp warning: less than 15% free and full within 4 days. */
    volumeFreeWarning: 0.15,
} as const;

const t = kubernetesThresholds;
const ns = inPlatformNamespaces;
const volumeFree = `kubelet_volume_stats_available_bytes{${ns}} / kubelet_volume_stats_capacity_bytes{${ns}}`;

export const kubernetesGroup: RuleGroup = {
    name: "kubernetes-apps",
    rules: [
        {
            alert: "PodCrashLooping",
            expr: `max_over_time(kube_pod_container_status_waiting_reason{${ns}, reason="CrashLoopBackOff"}[5m]) >= 1`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A pod is crash looping.",
                description:
                    "Pod {{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) has been in CrashLoopBackOff for 15 minutes.",
            },
        },
        {
            alert: "DeploymentReplicasMismatch",
            expr: `(kube_deployment_spec_replicas{${ns}} > kube_deployment_status_replicas_available{${ns}}) and (changes(kube_deployment_status_replicas_updated{${ns}}[10m]) == 0)`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A deployment has fewer available replicas than it asks for.",
                description:
                    "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has not matched its expected number of replicas for 15 minutes.",
            },
        },
        {
            alert: "DeploymentUnavailable",
            expr: `kube_deployment_status_replicas_available{${ns}} == 0 and on (namespace, deployment) kube_deployment_spec_replicas{${ns}} > 0`,
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "A deployment has no available pod (P0 for that service).",
                description:
                    "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has had no available replica for 2 minutes.",
            },
        },
        {
            alert: "HpaMaxedOut",
            expr: `kube_horizontalpodautoscaler_status_current_replicas{${ns}} == kube_horizontalpodautoscaler_spec_max_replicas{${ns}} and on (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{${ns}} != kube_horizontalpodautoscaler_spec_min_replicas{${ns}})`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "An HPA has been running at its maximum replicas.",
                description:
                    "HPA {{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }} has run at its maximum of {{ $value }} replicas for 15 minutes.",
            },
        },
        {
            alert: "PersistentVolumeFillingUp",
            expr: `${volumeFree} < ${t.volumeFreeCritical} and kubelet_volume_stats_used_bytes{${ns}} > 0`,
            for: "1m",
            labels: { severity: "critical" },
            annotations: {
                summary: "A persistent volume is almost full.",
                description:
                    "Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has {{ $value | humanizePercentage }} free space left (critical below 3%).",
            },
        },
        {
            alert: "PersistentVolumeFillingUp",
            expr: `${volumeFree} < ${t.volumeFreeWarning} and kubelet_volume_stats_used_bytes{${ns}} > 0 and predict_linear(kubelet_volume_stats_available_bytes{${ns}}[6h], 4 * 24 * 3600) < 0`,
            for: "1h",
            labels: { severity: "warning" },
            annotations: {
                summary: "A persistent volume will be full within four days.",
                description:
                    "Volume {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has {{ $value | humanizePercentage }} free space left and is filling up (warning below 15% and full within 4 days).",
            },
        },
        {
            alert: "JobFailed",
            expr: `kube_job_failed{${ns}} > 0`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A job failed.",
                description:
                    "Job {{ $labels.namespace }}/{{ $labels.job_name }} failed to complete; remove it to clear this alert.",
            },
        },
    ],
};
