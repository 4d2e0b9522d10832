import { mcpServicesJob } from "./scope";
import type { RuleGroup } from "./types";

/**
 * The MCP Platform manual (docs/operations.md): its three alerts with their exact semantics,
 * and one alert per row of its key-metric table. Error rate, memory, CPU and disk rows are
 * covered by HighErrorRate and the `nodes` group.
 *
 * The manual aggregates `by (service)`; we keep `namespace` as well (service names are unique
 * across namespaces, so the result is the same) so that maintenance windows and inhibitions,
 * which match on namespace, apply.
 */
export const mcpServicesThresholds = {
    /** HighErrorRate: errors / requests, for 5m. */
    errorRatio: 0.01,
    /** Key-metric table: requests per second per service. */
    requestRate: 1000,
    /** Key-metric table: p95 response time, seconds. */
    responseTimeP95: 0.5,
    /** Key-metric table: open connections per service. */
    activeConnections: 5000,
} as const;

const t = mcpServicesThresholds;

export const mcpServicesGroup: RuleGroup = {
    name: "mcp-services",
    rules: [
        {
            alert: "HighErrorRate",
            expr: `sum by (namespace, service) (rate(mcp_errors_total[5m])) / sum by (namespace, service) (rate(mcp_requests_total[5m])) > ${t.errorRatio}`,
            for: "5m",
            labels: { severity: "critical" },
            annotations: {
                summary: "An MCP service answers more than 1% of requests with an error.",
                description:
                    "Error rate is {{ $value | humanizePercentage }} for {{ $labels.service }} in {{ $labels.namespace }} (threshold 1% for 5m).",
            },
            symptom: true,
        },
        {
            alert: "ServiceDown",
            expr: `up{job="${mcpServicesJob}"} == 0`,
            for: "2m",
            labels: { severity: "critical" },
            annotations: {
                summary: "An MCP service instance cannot be scraped.",
                description:
                    "Service {{ $labels.instance }} ({{ $labels.service }} in {{ $labels.namespace }}) has been down for Prometheus for 2 minutes.",
            },
        },
        {
            alert: "HighRequestRate",
            expr: `sum by (namespace, service) (rate(mcp_requests_total[5m])) > ${t.requestRate}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "An MCP service receives more than 1000 requests per second.",
                description:
                    "{{ $labels.service }} in {{ $labels.namespace }} receives {{ $value | humanize }} requests/s (threshold 1000 for 5m).",
            },
        },
        {
            alert: "HighResponseTimeP95",
            expr: `histogram_quantile(0.95, sum by (namespace, service, le) (rate(mcp_request_duration_seconds_bucket[5m]))) > ${t.responseTimeP95}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "MCP service p95 response time is above 500ms.",
                description:
                    "p95 response time of {{ $labels.service }} in {{ $labels.namespace }} is {{ $value | humanizeDuration }} (threshold 500ms for 5m).",
            },
            symptom: true,
        },
        {
            alert: "HighActiveConnections",
            expr: `sum by (namespace, service) (mcp_active_connections) > ${t.activeConnections}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "An MCP service holds more than 5000 open connections.",
                description:
                    "{{ $labels.service }} in {{ $labels.namespace }} holds {{ $value }} open connections (threshold 5000 for 5m).",
            },
        },
    ],
};
