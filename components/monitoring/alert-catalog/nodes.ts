import type { RuleGroup } from "./types";

/**
 * The MCP Platform manual's node-level alerts: HighMemoryUsage exactly as written there,
 * and the CPU and disk rows of its key-metric table, from node-exporter.
 */
export const nodeThresholds = {
    /** HighMemoryUsage: used share of node memory, for 10m. */
    memoryUsed: 0.85,
    /** Key-metric table: CPU utilization. */
    cpuUsed: 0.8,
    /** Key-metric table: disk space used. */
    diskUsed: 0.9,
} as const;

const t = nodeThresholds;

/** Real filesystems only (no tmpfs, overlay or squashfs mounts). */
const realFilesystems = `fstype!~"tmpfs|overlay|squashfs|ramfs|nsfs", mountpoint!~"/run.*|/var/lib/kubelet/.*"`;

export const nodesGroup: RuleGroup = {
    name: "nodes",
    rules: [
        {
            alert: "HighMemoryUsage",
            expr: `(1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)) > ${t.memoryUsed}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A node has used more than 85% of its memory for 10 minutes.",
                description:
                    "Memory usage on {{ $labels.instance }} is {{ $value | humanizePercentage }} (threshold 85% for 10m).",
            },
        },
        {
            alert: "HighCpuUsage",
            expr: `1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) > ${t.cpuUsed}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A node's CPUs are more than 80% busy.",
                description:
                    "CPU utilization on {{ $labels.instance }} is {{ $value | humanizePercentage }} (threshold 80% for 5m).",
            },
        },
        {
            alert: "HighDiskUsage",
            expr: `1 - node_filesystem_avail_bytes{${realFilesystems}} / node_filesystem_size_bytes{${realFilesystems}} > ${t.diskUsed}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A node filesystem is more than 90% full.",
                description:
                    "Filesystem {{ $labels.mountpoint }} on {{ $labels.instance }} is {{ $value | humanizePercentage }} full (threshold 90% for 10m).",
            },
        },
    ],
};
