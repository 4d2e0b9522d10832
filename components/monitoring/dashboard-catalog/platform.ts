import { datastoreThresholds } from "../alert-catalog/datastores";
import { kubernetesThresholds } from "../alert-catalog/kubernetes";
import { mcpServicesThresholds } from "../alert-catalog/mcp-services";
import { mcpServicesJob } from "../alert-catalog/scope";
import { nodeThresholds } from "../alert-catalog/nodes";
import { productionThresholds } from "../alert-catalog/production";
import { recordedMetrics as m } from "../alert-catalog/recording";
import type { DashboardSpec } from "./grafana";

/**
 * The runbooks' dashboards (system-overview, service-performance, infrastructure) with the
 * "MCP Service Overview" panels: the platform-wide dashboards. Threshold lines are
 * the alert thresholds of the catalog.
 */

const ns = 'namespace=~"$namespace"';
const tags = ["mcp-platform"];

export const servicePerformance: DashboardSpec = {
    uid: "service-performance",
    title: "MCP Service Performance",
    description:
        "The 'MCP Service Overview' panels (request rate, error rate, p95) plus connections and business metrics, per service.",
    tags,
    namespaceVariable: { metric: "mcp_requests_total" },
    rows: [
        [
            {
                title: "Request Rate by Service",
                unit: "reqps",
                queries: [
                    {
                        expr: `sum(rate(mcp_requests_total{${ns}}[5m])) by (service)`,
                        legend: "{{service}}",
                    },
                ],
                warning: mcpServicesThresholds.requestRate,
            },
            {
                title: "Error Rate",
                unit: "percentunit",
                queries: [
                    {
                        expr: `sum(rate(mcp_errors_total{${ns}}[5m])) by (service) / sum(rate(mcp_requests_total{${ns}}[5m])) by (service)`,
                        legend: "{{service}}",
                    },
                ],
                critical: mcpServicesThresholds.errorRatio,
            },
        ],
        [
            {
                title: "Response Time (p95)",
                unit: "s",
                width: 24,
                queries: [
                    {
                        expr: `histogram_quantile(0.95, sum(rate(mcp_request_duration_seconds_bucket{${ns}}[5m])) by (le, service))`,
                        legend: "{{service}}",
                    },
                ],
                warning: mcpServicesThresholds.responseTimeP95,
            },
        ],
        // The key-metric table's names (recording rules), as operators query them.
        [
            {
                title: "mcp_request_rate",
                unit: "reqps",
                queries: [{ expr: `${m.requestRate}{${ns}}`, legend: "{{service}}" }],
                warning: mcpServicesThresholds.requestRate,
            },
            {
                title: "mcp_error_rate",
                unit: "percentunit",
                queries: [{ expr: `${m.errorRate}{${ns}}`, legend: "{{service}}" }],
                critical: mcpServicesThresholds.errorRatio,
            },
            {
                title: "mcp_response_time_p95",
                unit: "s",
                queries: [{ expr: `${m.responseTimeP95}{${ns}}`, legend: "{{service}}" }],
                warning: mcpServicesThresholds.responseTimeP95,
            },
        ],
        [
            {
                title: "Active Connections",
                unit: "short",
                queries: [
                    {
                        expr: `sum(mcp_active_connections{${ns}}) by (service)`,
                        legend: "{{service}}",
                    },
                ],
                warning: mcpServicesThresholds.activeConnections,
            },
            {
                title: "5xx Ratio (P1)",
                unit: "percentunit",
                queries: [
                    {
                        expr: `sum(rate(mcp_requests_total{${ns}, status=~"5.."}[5m])) by (service) / sum(rate(mcp_requests_total{${ns}}[5m])) by (service)`,
                        legend: "{{service}}",
                    },
                ],
                critical: productionThresholds.errorRatio,
            },
        ],
        [
            {
                title: "Tools Executed",
                unit: "ops",
                queries: [{ expr: `sum(rate(tools_executed_total{${ns}}[5m])) by (service)` }],
            },
            {
                title: "Resources Accessed",
                unit: "ops",
                queries: [{ expr: `sum(rate(resources_accessed_total{${ns}}[5m])) by (service)` }],
            },
        ],
        [
            {
                title: "User Sessions",
                unit: "short",
                queries: [{ expr: `sum(user_sessions_active{${ns}}) by (service)` }],
            },
            {
                title: "API Quota Remaining",
                unit: "short",
                queries: [{ expr: `min(api_quota_remaining{${ns}}) by (service)` }],
            },
        ],
        [
            {
                title: "Availability SLO: error ratio (1h) per service",
                unit: "percentunit",
                queries: [
                    {
                        expr: `slo:sli_error:ratio_rate1h{slo="availability", ${ns}}`,
                        legend: "{{service}}",
                    },
                ],
            },
            {
                title: "Firing alerts by service",
                kind: "stat",
                unit: "short",
                queries: [
                    {
                        expr: `count(ALERTS{alertstate="firing", ${ns}}) by (service) or vector(0)`,
                        legend: "{{service}}",
                    },
                ],
                warning: 1,
            },
        ],
    ],
};

export const systemOverview: DashboardSpec = {
    uid: "system-overview",
    title: "MCP System Overview",
    description:
        "System overview: service health, pods, deployments and firing alerts across the platform's namespaces.",
    tags,
    namespaceVariable: { metric: "kube_deployment_spec_replicas" },
    rows: [
        [
            {
                title: "Services up",
                kind: "stat",
                unit: "short",
                queries: [
                    {
                        expr: `sum(up{job="${mcpServicesJob}", ${ns}}) by (service)`,
                        legend: "{{service}}",
                    },
                ],
            },
            {
                title: "Firing alerts by severity",
                kind: "stat",
                unit: "short",
                queries: [
                    {
                        expr: 'count(ALERTS{alertstate="firing", alertname!="Watchdog"}) by (severity) or vector(0)',
                        legend: "{{severity}}",
                    },
                ],
                warning: 1,
            },
        ],
        [
            {
                title: "Available replicas / desired",
                unit: "percentunit",
                queries: [
                    {
                        expr: `sum(kube_deployment_status_replicas_available{${ns}}) by (deployment) / sum(kube_deployment_spec_replicas{${ns}}) by (deployment)`,
                        legend: "{{deployment}}",
                    },
                ],
                critical: 0.0001,
                lowerIsWorse: true,
            },
            {
                title: "Container restarts (1h)",
                unit: "short",
                queries: [
                    {
                        expr: `sum(increase(kube_pod_container_status_restarts_total{${ns}}[1h])) by (pod)`,
                        legend: "{{pod}}",
                    },
                ],
            },
        ],
        [
            {
                title: "Pods not ready",
                unit: "short",
                queries: [
                    {
                        expr: `sum(kube_pod_status_ready{condition="false", ${ns}}) by (namespace)`,
                        legend: "{{namespace}}",
                    },
                ],
            },
            {
                title: "HPA replicas / max",
                unit: "percentunit",
                queries: [
                    {
                        expr: `kube_horizontalpodautoscaler_status_current_replicas{${ns}} / kube_horizontalpodautoscaler_spec_max_replicas{${ns}}`,
                        legend: "{{horizontalpodautoscaler}}",
                    },
                ],
                warning: 1,
            },
        ],
    ],
};

export const infrastructure: DashboardSpec = {
    uid: "infrastructure",
    title: "MCP Infrastructure",
    description:
        "Infrastructure: nodes (memory/CPU/disk alert thresholds), PostgreSQL, Redis, volumes and backups.",
    tags,
    rows: [
        [
            {
                title: "Node memory used (mcp_memory_usage)",
                unit: "percentunit",
                queries: [
                    {
                        expr: m.memoryUsage,
                        legend: "{{instance}}",
                    },
                ],
                warning: nodeThresholds.memoryUsed,
            },
            {
                title: "Node CPU busy (mcp_cpu_usage)",
                unit: "percentunit",
                queries: [
                    {
                        expr: m.cpuUsage,
                        legend: "{{instance}}",
                    },
                ],
                warning: nodeThresholds.cpuUsed,
            },
            {
                title: "Node disk used (mcp_disk_usage)",
                unit: "percentunit",
                queries: [
                    {
                        expr: m.diskUsage,
                        legend: "{{instance}} {{mountpoint}}",
                    },
                ],
                warning: nodeThresholds.diskUsed,
            },
        ],
        // The Level 3 manual's system metrics (recording rules of the same names).
        [
            {
                title: "CPU utilization % (cpu_utilization_percent)",
                unit: "percent",
                queries: [{ expr: m.cpuUtilizationPercent, legend: "{{instance}}" }],
                warning: nodeThresholds.cpuUsed * 100,
            },
            {
                title: "Memory used (memory_usage_bytes)",
                unit: "bytes",
                queries: [{ expr: m.memoryUsageBytes, legend: "{{instance}}" }],
            },
            {
                title: "Disk I/O (disk_io_operations)",
                unit: "iops",
                queries: [{ expr: m.diskIoOperations, legend: "{{instance}}" }],
            },
            {
                title: "Network (network_throughput_bytes)",
                unit: "Bps",
                queries: [{ expr: m.networkThroughputBytes, legend: "{{instance}}" }],
            },
        ],
        [
            {
                title: "PostgreSQL up",
                kind: "stat",
                unit: "short",
                queries: [{ expr: "pg_up", legend: "{{pod}}" }],
                critical: 0.5,
                lowerIsWorse: true,
            },
            {
                title: "PostgreSQL connections / max_connections",
                unit: "percentunit",
                queries: [
                    {
                        expr: "sum by (instance) (pg_stat_activity_count) / max by (instance) (pg_settings_max_connections)",
                        legend: "{{instance}}",
                    },
                ],
                warning: datastoreThresholds.connectionsWarning,
                critical: datastoreThresholds.connectionsCritical,
            },
            {
                title: "Replication lag",
                unit: "s",
                queries: [{ expr: "pg_replication_lag_seconds", legend: "{{pod}}" }],
                critical: datastoreThresholds.replicationLagSeconds,
            },
        ],
        [
            {
                title: "Redis memory / maxmemory",
                unit: "percentunit",
                queries: [
                    {
                        expr: "redis_memory_used_bytes / (redis_memory_max_bytes > 0)",
                        legend: "{{instance}}",
                    },
                ],
                warning: datastoreThresholds.redisMemory,
            },
            {
                title: "Redis rejected connections (5m)",
                unit: "short",
                queries: [
                    {
                        expr: "increase(redis_rejected_connections_total[5m])",
                        legend: "{{instance}}",
                    },
                ],
                warning: 1,
            },
            {
                title: "Volume free space",
                unit: "percentunit",
                queries: [
                    {
                        expr: "kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes",
                        legend: "{{namespace}}/{{persistentvolumeclaim}}",
                    },
                ],
                warning: kubernetesThresholds.volumeFreeWarning,
                critical: kubernetesThresholds.volumeFreeCritical,
                lowerIsWorse: true,
            },
        ],
        [
            {
                title: "Time since last successful backup",
                unit: "dtdurations",
                width: 24,
                queries: [
                    {
                        expr: 'time() - kube_cronjob_status_last_successful_time{namespace="mcp-production"}',
                        legend: "{{cronjob}}",
                    },
                ],
            },
        ],
    ],
};
