import type { RuleGroup } from "./types";

/**
 * The metric names the operations manuals query, as recording rules: the MCP Platform
 * manual's key-metric table (`mcp_request_rate` … `mcp_disk_usage`) and the Level 3 manual's
 * system metrics (`cpu_utilization_percent` … `network_throughput_bytes`). Each is computed
 * exactly as the alert on the same figure computes it, so a dashboard panel, a query typed
 * from the manual and the alert agree.
 *
 * Units: the `mcp_*` shares are ratios (0.01 = 1 %), as the alerts' thresholds are;
 * `cpu_utilization_percent` is 0–100 as its name says; bytes and operations per second.
 *
 * `mcp_active_connections` is not recorded: it is the services' own gauge (the metrics
 * contract, metrics.ts), and a rule of the same name would add a second series per service
 * to every query of it; `sum by (namespace, service) (mcp_active_connections)` is what
 * HighActiveConnections reads.
 */
export const recordingGroupName = "mcp-recording";

/** The recorded names, for the dashboards and the docs (test/prometheus/recording.yaml tests each). */
export const recordedMetrics = {
    requestRate: "mcp_request_rate",
    errorRate: "mcp_error_rate",
    responseTimeP95: "mcp_response_time_p95",
    cpuUsage: "mcp_cpu_usage",
    memoryUsage: "mcp_memory_usage",
    diskUsage: "mcp_disk_usage",
    cpuUtilizationPercent: "cpu_utilization_percent",
    memoryUsageBytes: "memory_usage_bytes",
    diskIoOperations: "disk_io_operations",
    networkThroughputBytes: "network_throughput_bytes",
} as const;

const byService = "by (namespace, service)";
/** Real filesystems only, as HighDiskUsage reads them (nodes.ts). */
const realFilesystems = `fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs", mountpoint!~"/run.*|/var/lib/kubelet/.*"`;
/** Physical interfaces: not loopback, not the pods' veth/CNI interfaces. */
const physicalInterfaces = `device!~"lo|veth.*|eni.*|cali.*|docker.*|cni.*|flannel.*"`;

const m = recordedMetrics;

export const recordingGroup: RuleGroup = {
    name: recordingGroupName,
    rules: [
        // Per service (job mcp-services), as HighRequestRate, HighErrorRate, HighResponseTimeP95.
        { record: m.requestRate, expr: `sum ${byService} (rate(mcp_requests_total[5m]))` },
        {
            record: m.errorRate,
            expr: `sum ${byService} (rate(mcp_errors_total[5m])) / sum ${byService} (rate(mcp_requests_total[5m]))`,
        },
        {
            record: m.responseTimeP95,
            expr: `histogram_quantile(0.95, sum by (namespace, service, le) (rate(mcp_request_duration_seconds_bucket[5m])))`,
        },
        // Per node (node-exporter), as HighCpuUsage, HighMemoryUsage, HighDiskUsage.
        {
            record: m.cpuUsage,
            expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))`,
        },
        {
            record: m.memoryUsage,
            expr: `1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)`,
        },
        {
            record: m.diskUsage,
            expr: `1 - node_filesystem_avail_bytes{${realFilesystems}} / node_filesystem_size_bytes{${realFilesystems}}`,
        },
        // The Level 3 manual's system metrics, per node.
        {
            record: m.cpuUtilizationPercent,
            expr: `100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))`,
        },
        {
            record: m.memoryUsageBytes,
            expr: `node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes`,
        },
        {
            record: m.diskIoOperations,
            expr: `sum by (instance) (rate(node_disk_reads_completed_total[5m]) + rate(node_disk_writes_completed_total[5m]))`,
        },
        {
            record: m.networkThroughputBytes,
            expr: `sum by (instance) (rate(node_network_receive_bytes_total{${physicalInterfaces}}[5m]) + rate(node_network_transmit_bytes_total{${physicalInterfaces}}[5m]))`,
        },
    ],
};
