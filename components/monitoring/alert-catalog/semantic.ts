import { num } from "./promql";
import { semanticNamespace } from "./scope";
import type { AlertRule, RuleGroup } from "./types";

/**
 * The MCP Level 3 manual (docs/operations.md), the semantic control plane in mcp-system:
 * every threshold of its Validation, Promotion and Artifact Registry dashboards, and the
 * triggers of its runbooks (High Error Rate, High Latency, Storage Full; Pod Crash Loop is
 * PodCrashLooping in the kubernetes group). P1/P2 figures of its incident levels give the
 * critical latency threshold (slow responses > 1s).
 *
 * Assumed metric shapes (the manual names the metrics): `*_duration_seconds` are histograms,
 * `validation_cache_hit_rate` is a 0–1 gauge, `artifact_upload_failures_total` counts the
 * failed share of `artifact_uploads_total`.
 */
export const semanticThresholds = {
    /** Runbook 1 / P2: error rate > 5% for 5 minutes. */
    errorRatioWarning: 0.05,
    /** P1: high error rate (> 10%). */
    errorRatioCritical: 0.1,
    /** Runbook 2: p95 latency > 200ms for 5 minutes. */
    latencyP95Warning: 0.2,
    /** P1: slow response times (> 1s). */
    latencyP95Critical: 1,
    /** Validation dashboard: error rate > 5% warning, > 10% critical. */
    validationErrorRatioWarning: 0.05,
    validationErrorRatioCritical: 0.1,
    /** Validation dashboard: latency p95 > 100ms warning. */
    validationLatencyP95: 0.1,
    /** Validation dashboard: cache hit rate < 70% info. */
    validationCacheHitRate: 0.7,
    /** Promotion dashboard: failure rate > 5% warning, > 10% critical. */
    promotionFailureRatioWarning: 0.05,
    promotionFailureRatioCritical: 0.1,
    /** Promotion dashboard: promotion time > 5min warning. */
    promotionDurationSeconds: 300,
    /** Artifact dashboard / runbook 4: storage > 90% critical. */
    artifactStorageUsed: 0.9,
    /** Artifact dashboard: lookup latency > 200ms warning. */
    artifactLookupP95: 0.2,
    /** Artifact dashboard: upload failures > 1% warning. */
    artifactUploadFailureRatio: 0.01,
} as const;

export interface SemanticOptions {
    /** Quota of the artifact registry in bytes (`monitoring.artifactStorageQuotaGiB`). */
    readonly artifactStorageQuotaBytes: number;
}

const t = semanticThresholds;
const ns = `namespace="${semanticNamespace}"`;
const by = "by (namespace, service)";
const errorRatio = `sum ${by} (rate(mcp_requests_total{${ns}, status=~"5.."}[5m])) / sum ${by} (rate(mcp_requests_total{${ns}}[5m]))`;
const latencyP95 = `histogram_quantile(0.95, sum by (namespace, service, le) (rate(mcp_request_duration_seconds_bucket{${ns}}[5m])))`;
const validationErrorRatio = `sum ${by} (rate(validation_errors_total{${ns}}[5m])) / sum ${by} (rate(validation_total{${ns}}[5m]))`;
const promotionFailureRatio = `sum ${by} (increase(promotion_failures_total{${ns}}[1h])) / sum ${by} (increase(promotion_total{${ns}}[1h]))`;

function twoLevels(
    base: Omit<AlertRule, "expr" | "labels" | "annotations">,
    expr: string,
    levels: { warning: number; critical: number },
    summary: string,
    description: (level: string, threshold: string) => string,
    format: (value: number) => string,
): AlertRule[] {
    return (["critical", "warning"] as const).map((severity) => ({
        ...base,
        expr: `${expr} > ${levels[severity]}`,
        labels: { severity },
        annotations: { summary, description: description(severity, format(levels[severity])) },
    }));
}

const percent = (ratio: number) => `${num(ratio * 100)}%`;
const ms = (seconds: number) => (seconds >= 1 ? `${num(seconds)}s` : `${num(seconds * 1000)}ms`);

export function semanticGroup(options: SemanticOptions): RuleGroup {
    return {
        name: "mcp-semantic",
        rules: [
            ...twoLevels(
                { alert: "SemanticHighErrorRate", for: "5m", symptom: true },
                errorRatio,
                { warning: t.errorRatioWarning, critical: t.errorRatioCritical },
                "The semantic control plane answers too many requests with 5xx.",
                (level, threshold) =>
                    `{{ $labels.service }} in mcp-system answers {{ $value | humanizePercentage }} of requests with 5xx (${level} above ${threshold} for 5m).`,
                percent,
            ),
            ...twoLevels(
                { alert: "SemanticHighLatency", for: "5m", symptom: true },
                latencyP95,
                { warning: t.latencyP95Warning, critical: t.latencyP95Critical },
                "The semantic control plane's p95 latency is high.",
                (level, threshold) =>
                    `p95 latency of {{ $labels.service }} in mcp-system is {{ $value | humanizeDuration }} (${level} above ${threshold} for 5m).`,
                ms,
            ),
            ...twoLevels(
                { alert: "ValidationHighErrorRate", for: "5m", symptom: true },
                validationErrorRatio,
                {
                    warning: t.validationErrorRatioWarning,
                    critical: t.validationErrorRatioCritical,
                },
                "Too many validations fail.",
                (level, threshold) =>
                    `{{ $value | humanizePercentage }} of validations of {{ $labels.service }} fail (${level} above ${threshold} for 5m).`,
                percent,
            ),
            {
                alert: "ValidationHighLatency",
                expr: `histogram_quantile(0.95, sum by (namespace, service, le) (rate(validation_duration_seconds_bucket{${ns}}[5m]))) > ${t.validationLatencyP95}`,
                for: "5m",
                labels: { severity: "warning" },
                annotations: {
                    summary: "Validation p95 latency is above 100ms.",
                    description:
                        "p95 validation latency of {{ $labels.service }} is {{ $value | humanizeDuration }} (warning above 100ms for 5m).",
                },
                symptom: true,
            },
            {
                alert: "ValidationCacheHitRateLow",
                expr: `avg by (namespace, service) (validation_cache_hit_rate{${ns}}) < ${t.validationCacheHitRate}`,
                for: "15m",
                labels: { severity: "info" },
                annotations: {
                    summary: "The validation cache hit rate is below 70%.",
                    description:
                        "Validation cache hit rate of {{ $labels.service }} is {{ $value | humanizePercentage }} (info below 70% for 15m).",
                },
            },
            ...twoLevels(
                { alert: "PromotionHighFailureRate", for: "5m" },
                promotionFailureRatio,
                {
                    warning: t.promotionFailureRatioWarning,
                    critical: t.promotionFailureRatioCritical,
                },
                "Too many promotions fail.",
                (level, threshold) =>
                    `{{ $value | humanizePercentage }} of the promotions of {{ $labels.service }} in the last hour failed (${level} above ${threshold}).`,
                percent,
            ),
            {
                alert: "PromotionSlow",
                expr: `histogram_quantile(0.95, sum by (namespace, service, le) (rate(promotion_duration_seconds_bucket{${ns}}[1h]))) > ${t.promotionDurationSeconds}`,
                for: "5m",
                labels: { severity: "warning" },
                annotations: {
                    summary: "Promotions take longer than 5 minutes.",
                    description:
                        "p95 promotion time of {{ $labels.service }} over the last hour is {{ $value | humanizeDuration }} (warning above 5m).",
                },
            },
            {
                alert: "PromotionRollback",
                expr: `sum ${by} (increase(promotion_rollbacks_total{${ns}}[15m])) > 0`,
                for: "1m",
                labels: { severity: "warning" },
                annotations: {
                    summary: "A promotion was rolled back.",
                    description:
                        "{{ $labels.service }} in {{ $labels.namespace }} rolled back a promotion in the last 15 minutes.",
                },
            },
            {
                alert: "ArtifactStorageFull",
                expr: `sum ${by} (artifact_storage_used_bytes{${ns}}) / ${num(options.artifactStorageQuotaBytes)} > ${t.artifactStorageUsed}`,
                for: "5m",
                labels: { severity: "critical" },
                annotations: {
                    summary: "Artifact storage is more than 90% of its quota.",
                    description: `Artifact storage of {{ $labels.service }} is at {{ $value | humanizePercentage }} of its ${num(options.artifactStorageQuotaBytes / 2 ** 30)}GiB quota (critical above 90%).`,
                },
            },
            {
                alert: "ArtifactLookupSlow",
                expr: `histogram_quantile(0.95, sum by (namespace, service, le) (rate(artifact_lookup_duration_seconds_bucket{${ns}}[5m]))) > ${t.artifactLookupP95}`,
                for: "5m",
                labels: { severity: "warning" },
                annotations: {
                    summary: "Artifact lookups are slower than 200ms.",
                    description:
                        "p95 artifact lookup latency of {{ $labels.service }} is {{ $value | humanizeDuration }} (warning above 200ms for 5m).",
                },
            },
            {
                alert: "ArtifactUploadFailures",
                expr: `sum ${by} (rate(artifact_upload_failures_total{${ns}}[5m])) / sum ${by} (rate(artifact_uploads_total{${ns}}[5m])) > ${t.artifactUploadFailureRatio}`,
                for: "5m",
                labels: { severity: "warning" },
                annotations: {
                    summary: "More than 1% of artifact uploads fail.",
                    description:
                        "{{ $value | humanizePercentage }} of the artifact uploads of {{ $labels.service }} fail (warning above 1% for 5m).",
                },
            },
        ],
    };
}
