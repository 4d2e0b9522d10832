import { num } from "./promql";
import type { AlertRule, RuleGroup } from "./types";

/**
 * The performance baseline of the general operations guide (docs/operations.md): alert when
 * a metric is more than 50 % worse than its baseline (`current > baseline * 1.5`), per
 * service. One alert name, one rule per metric (label `metric`).
 */
export const performanceBaseline = {
    p50LatencySeconds: 0.1,
    p95LatencySeconds: 0.5,
    p99LatencySeconds: 1,
    errorRatio: 0.001,
    requestsPerSecond: 1000,
} as const;

/** "50% degradation". */
export const degradationFactor = 1.5;

const by = "by (namespace, service)";
const quantile = (q: number) =>
    `histogram_quantile(${q}, sum by (namespace, service, le) (rate(mcp_request_duration_seconds_bucket[5m])))`;

function degradation(
    metric: string,
    expr: string,
    baseline: number,
    shown: (value: number) => string,
    valueTemplate: string,
): AlertRule {
    const threshold = baseline * degradationFactor;
    return {
        alert: "PerformanceDegradation",
        expr: `${expr} > ${num(threshold)}`,
        for: "10m",
        labels: { severity: "warning", metric },
        annotations: {
            summary: "A service performs more than 50% worse than its baseline.",
            description: `${metric} of {{ $labels.service }} in {{ $labels.namespace }} is ${valueTemplate}, more than 1.5x its baseline of ${shown(baseline)} (threshold ${shown(threshold)}).`,
        },
        symptom: true,
    };
}

const ms = (seconds: number) => `${num(seconds * 1000)}ms`;
const b = performanceBaseline;

export const baselineGroup: RuleGroup = {
    name: "mcp-baseline",
    rules: [
        degradation(
            "p50",
            quantile(0.5),
            b.p50LatencySeconds,
            ms,
            "{{ $value | humanizeDuration }}",
        ),
        degradation(
            "p95",
            quantile(0.95),
            b.p95LatencySeconds,
            ms,
            "{{ $value | humanizeDuration }}",
        ),
        degradation(
            "p99",
            quantile(0.99),
            b.p99LatencySeconds,
            ms,
            "{{ $value | humanizeDuration }}",
        ),
        degradation(
            "error_rate",
            `sum ${by} (rate(mcp_errors_total[5m])) / sum ${by} (rate(mcp_requests_total[5m]))`,
            b.errorRatio,
            (ratio) => `${num(ratio * 100)}%`,
            "{{ $value | humanizePercentage }}",
        ),
        degradation(
            "request_rate",
            `sum ${by} (rate(mcp_requests_total[5m]))`,
            b.requestsPerSecond,
            (rps) => `${num(rps)} requests/s`,
            "{{ $value | humanize }} requests/s",
        ),
    ],
};
