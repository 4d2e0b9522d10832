import { semanticThresholds as t } from "../alert-catalog/semantic";
import type { DashboardSpec } from "./grafana";

/**
 * The Level 3 manual's dashboards of the semantic control plane (mcp-system), with the URLs it
 * gives (`/d/mcp-overview`, `/d/mcp-validation`, `/d/mcp-promotion`, `/d/mcp-artifacts`)
 * and its alert thresholds as threshold lines.
 */

const ns = 'namespace="mcp-system"';
const tags = ["mcp-platform", "semantic-control-plane"];
const by = "by (service)";

function p(quantile: number, metric: string, window = "5m"): string {
    return `histogram_quantile(${quantile}, sum by (le) (rate(${metric}{${ns}}[${window}])))`;
}

export const overview: DashboardSpec = {
    uid: "mcp-overview",
    title: "MCP Overview",
    description:
        "Overview: request rate, error rate, latency (p50, p95, p99), resource usage and active alerts. Review every 15 minutes during business hours.",
    tags,
    rows: [
        [
            {
                title: "Request rate",
                unit: "reqps",
                queries: [
                    { expr: `sum(rate(mcp_requests_total{${ns}}[5m]))`, legend: "requests/s" },
                ],
            },
            {
                title: "Error rate (5xx)",
                unit: "percentunit",
                queries: [
                    {
                        expr: `sum(rate(mcp_requests_total{${ns}, status=~"5.."}[5m])) / sum(rate(mcp_requests_total{${ns}}[5m]))`,
                        legend: "5xx",
                    },
                ],
                warning: t.errorRatioWarning,
                critical: t.errorRatioCritical,
            },
        ],
        [
            {
                title: "Latency",
                unit: "s",
                queries: [
                    { expr: p(0.5, "mcp_request_duration_seconds_bucket"), legend: "p50" },
                    { expr: p(0.95, "mcp_request_duration_seconds_bucket"), legend: "p95" },
                    { expr: p(0.99, "mcp_request_duration_seconds_bucket"), legend: "p99" },
                ],
                warning: t.latencyP95Warning,
                critical: t.latencyP95Critical,
            },
            {
                title: "Latency SLO: requests slower than 100ms (1h)",
                unit: "percentunit",
                queries: [
                    {
                        expr: `slo:sli_error:ratio_rate1h{slo="latency", ${ns}}`,
                        legend: "{{service}}",
                    },
                ],
            },
        ],
        [
            {
                title: "CPU (cores)",
                unit: "short",
                queries: [
                    {
                        expr: `sum(rate(process_cpu_seconds_total{${ns}}[5m])) by (pod)`,
                        legend: "{{pod}}",
                    },
                ],
            },
            {
                title: "Memory (resident)",
                unit: "bytes",
                queries: [
                    {
                        expr: `sum(process_resident_memory_bytes{${ns}}) by (pod)`,
                        legend: "{{pod}}",
                    },
                ],
            },
            {
                title: "Active alerts",
                kind: "stat",
                unit: "short",
                queries: [
                    {
                        expr: `count(ALERTS{alertstate="firing", ${ns}}) by (severity) or vector(0)`,
                        legend: "{{severity}}",
                    },
                ],
                warning: 1,
            },
        ],
    ],
};

export const validation: DashboardSpec = {
    uid: "mcp-validation",
    title: "MCP Validation Engine",
    description:
        "Validation engine: validations, errors (warning > 5%, critical > 10%), latency (p95 > 100ms) and cache hit rate (< 70% info).",
    tags,
    rows: [
        [
            {
                title: "Validations",
                unit: "ops",
                queries: [{ expr: `sum(rate(validation_total{${ns}}[5m])) ${by}` }],
            },
            {
                title: "Validation error rate",
                unit: "percentunit",
                queries: [
                    {
                        expr: `sum(rate(validation_errors_total{${ns}}[5m])) ${by} / sum(rate(validation_total{${ns}}[5m])) ${by}`,
                    },
                ],
                warning: t.validationErrorRatioWarning,
                critical: t.validationErrorRatioCritical,
            },
        ],
        [
            {
                title: "Validation latency (p95)",
                unit: "s",
                queries: [{ expr: p(0.95, "validation_duration_seconds_bucket"), legend: "p95" }],
                warning: t.validationLatencyP95,
            },
            {
                title: "Validation cache hit rate",
                unit: "percentunit",
                queries: [{ expr: `avg(validation_cache_hit_rate{${ns}}) ${by}` }],
                warning: t.validationCacheHitRate,
                lowerIsWorse: true,
            },
        ],
    ],
};

export const promotion: DashboardSpec = {
    uid: "mcp-promotion",
    title: "MCP Promotion Engine",
    description:
        "Promotion engine: promotions, successes, failures (warning > 5%, critical > 10%), rollbacks and promotion time (> 5min warning).",
    tags,
    rows: [
        [
            {
                title: "Promotions per hour",
                unit: "short",
                queries: [
                    { expr: `sum(increase(promotion_total{${ns}}[1h]))`, legend: "total" },
                    {
                        expr: `sum(increase(promotion_success_total{${ns}}[1h]))`,
                        legend: "success",
                    },
                    {
                        expr: `sum(increase(promotion_failures_total{${ns}}[1h]))`,
                        legend: "failed",
                    },
                ],
            },
            {
                title: "Promotion failure rate (1h)",
                unit: "percentunit",
                queries: [
                    {
                        expr: `sum(increase(promotion_failures_total{${ns}}[1h])) ${by} / sum(increase(promotion_total{${ns}}[1h])) ${by}`,
                    },
                ],
                warning: t.promotionFailureRatioWarning,
                critical: t.promotionFailureRatioCritical,
            },
        ],
        [
            {
                title: "Rollbacks (15m)",
                unit: "short",
                queries: [{ expr: `sum(increase(promotion_rollbacks_total{${ns}}[15m]))` }],
                warning: 1,
            },
            {
                title: "Promotion time (p95, 1h)",
                unit: "s",
                queries: [
                    { expr: p(0.95, "promotion_duration_seconds_bucket", "1h"), legend: "p95" },
                ],
                warning: t.promotionDurationSeconds,
            },
        ],
    ],
};

/** The artifact dashboard; storage is shown against the configured quota. */
export function artifacts(quotaBytes: number): DashboardSpec {
    return {
        uid: "mcp-artifacts",
        title: "MCP Artifact Registry",
        description:
            "Artifact registry: uploads, downloads, storage (> 90% of quota critical), lookup latency (> 200ms warning) and upload failures (> 1% warning).",
        tags,
        rows: [
            [
                {
                    title: "Uploads and downloads",
                    unit: "ops",
                    queries: [
                        {
                            expr: `sum(rate(artifact_uploads_total{${ns}}[5m]))`,
                            legend: "uploads",
                        },
                        {
                            expr: `sum(rate(artifact_downloads_total{${ns}}[5m]))`,
                            legend: "downloads",
                        },
                    ],
                },
                {
                    title: "Storage used / quota",
                    unit: "percentunit",
                    queries: [
                        {
                            expr: `sum(artifact_storage_used_bytes{${ns}}) / ${quotaBytes}`,
                            legend: "used",
                        },
                    ],
                    critical: t.artifactStorageUsed,
                },
            ],
            [
                {
                    title: "Lookup latency (p95)",
                    unit: "s",
                    queries: [
                        { expr: p(0.95, "artifact_lookup_duration_seconds_bucket"), legend: "p95" },
                    ],
                    warning: t.artifactLookupP95,
                },
                {
                    title: "Upload failure rate",
                    unit: "percentunit",
                    queries: [
                        {
                            expr: `sum(rate(artifact_upload_failures_total{${ns}}[5m])) / sum(rate(artifact_uploads_total{${ns}}[5m]))`,
                            legend: "failed",
                        },
                    ],
                    warning: t.artifactUploadFailureRatio,
                },
            ],
        ],
    };
}
