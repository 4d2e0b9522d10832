import { num, oneOf } from "./promql";
import { registryServices } from "./scope";
import type { RuleGroup } from "./types";

/**
 * The Registry-Powered-MCP production guide (docs/operations.md): its alert thresholds for
 * the critical services mcp-registry, mcp-router and mcp-cache. Memory and CPU are per
 * instance (pod), from the services' own process metrics; CPU is the share of one core.
 */
export const registryThresholds = {
    /** critical: latency_p99 > 15ms for 5m. */
    latencyP99Critical: 0.015,
    /** warning: latency_p99 > 12ms for 2m. */
    latencyP99Warning: 0.012,
    /** critical: error_rate > 1% for 2m. */
    errorRatio: 0.01,
    /** critical: memory_usage > 40MB for 10m (MiB, as `ps`/`top` report it). */
    memoryBytes: 40 * 1024 * 1024,
    /** warning: cpu_usage > 15% for 5m. */
    cpuCores: 0.15,
    /** warning: threat_detections > 10/minute. */
    threatsPerMinute: 10,
} as const;

const t = registryThresholds;
const services = `service=~"${oneOf(registryServices)}"`;
const p99 = `histogram_quantile(0.99, sum by (namespace, service, le) (rate(mcp_request_duration_seconds_bucket{${services}}[5m])))`;

export const registryGroup: RuleGroup = {
    name: "mcp-registry",
    rules: [
        {
            alert: "RegistryHighLatencyP99",
            expr: `${p99} > ${t.latencyP99Critical}`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
                summary: "Registry service p99 latency is above 15ms.",
                description:
                    "p99 latency of {{ $labels.service }} is {{ $value | humanizeDuration }} (critical above 15ms for 5m; target 10.8ms).",
            },
            symptom: true,
        },
        {
            alert: "RegistryHighLatencyP99",
            expr: `${p99} > ${t.latencyP99Warning}`,
            for: "2m",
            labels: { severity: "warning" },
            annotations: {
                summary: "Registry service p99 latency is above 12ms.",
                description:
                    "p99 latency of {{ $labels.service }} is {{ $value | humanizeDuration }} (warning above 12ms for 2m; target 10.8ms).",
            },
            symptom: true,
        },
        {
            alert: "RegistryHighErrorRate",
            expr: `sum by (namespace, service) (rate(mcp_errors_total{${services}}[5m])) / sum by (namespace, service) (rate(mcp_requests_total{${services}}[5m])) > ${t.errorRatio}`,
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "A registry service answers more than 1% of requests with an error.",
                description:
                    "Error rate of {{ $labels.service }} is {{ $value | humanizePercentage }} (critical above 1% for 2m; target below 0.01%).",
            },
            symptom: true,
        },
        {
            alert: "RegistryHighMemoryUsage",
            expr: `process_resident_memory_bytes{${services}} > ${num(t.memoryBytes)}`,
            for: "10m",
            labels: { severity: "critical" },
            annotations: {
                summary: "A registry service instance uses more than 40MB of memory.",
                description:
                    "{{ $labels.pod }} ({{ $labels.service }}) uses {{ $value | humanize1024 }}B resident memory (critical above 40MiB for 10m; expected at most 28MB).",
            },
        },
        {
            alert: "RegistryHighCpuUsage",
            expr: `rate(process_cpu_seconds_total{${services}}[5m]) > ${t.cpuCores}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "A registry service instance uses more than 15% CPU.",
                description:
                    "{{ $labels.pod }} ({{ $labels.service }}) uses {{ $value | humanizePercentage }} of a CPU core (warning above 15% for 5m; below 5% when idle).",
            },
        },
        {
            alert: "RegistryThreatDetections",
            expr: `sum by (namespace, service) (rate(mcp_threat_detections_total{${services}}[5m])) * 60 > ${t.threatsPerMinute}`,
            for: "1m",
            labels: { severity: "warning" },
            annotations: {
                summary: "More than 10 threat detections per minute.",
                description:
                    "{{ $labels.service }} reports {{ $value | humanize }} threat detections per minute (warning above 10/minute).",
            },
        },
    ],
};
