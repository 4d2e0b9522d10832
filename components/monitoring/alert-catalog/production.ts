import { productionNamespace } from "./scope";
import type { RuleGroup } from "./types";

/**
 * The MCP servers runbook (docs/operations.md), namespace mcp-production: the P1 and P2
 * symptoms (P1 pages through PagerDuty) and the
 * emergency-rollback criteria. Errors are 5xx responses, as in the runbook's PromQL.
 */
export const productionThresholds = {
    /** P1 High Error Rate: error rate > 5% for > 5 minutes. */
    errorRatio: 0.05,
    /** P2 High Response Times: p95 response time > 2 seconds. */
    responseTimeP95: 2,
    /** Emergency rollback: error rate > 10%. */
    rollbackErrorRatio: 0.1,
    /** Emergency rollback: response time > 5 seconds. */
    rollbackResponseTimeP95: 5,
} as const;

const t = productionThresholds;
const ns = `namespace="${productionNamespace}"`;
const errorRatio = `sum by (namespace, service) (rate(mcp_requests_total{${ns}, status=~"5.."}[5m])) / sum by (namespace, service) (rate(mcp_requests_total{${ns}}[5m]))`;
const p95 = `histogram_quantile(0.95, sum by (namespace, service, le) (rate(mcp_request_duration_seconds_bucket{${ns}}[5m])))`;

export const productionGroup: RuleGroup = {
    name: "mcp-production",
    rules: [
        {
            alert: "ProductionHighErrorRate",
            expr: `${errorRatio} > ${t.errorRatio}`,
            for: "5m",
            labels: { severity: "critical", priority: "P1" },
            annotations: {
                summary: "A production service answers more than 5% of requests with 5xx (P1).",
                description:
                    "{{ $labels.service }} in mcp-production answers {{ $value | humanizePercentage }} of requests with 5xx (P1 above 5% for 5m).",
            },
            symptom: true,
        },
        {
            alert: "ProductionHighResponseTime",
            expr: `${p95} > ${t.responseTimeP95}`,
            for: "5m",
            labels: { severity: "warning", priority: "P2" },
            annotations: {
                summary: "A production service's p95 response time is above 2 seconds (P2).",
                description:
                    "p95 response time of {{ $labels.service }} in mcp-production is {{ $value | humanizeDuration }} (P2 above 2s for 5m).",
            },
            symptom: true,
        },
        {
            alert: "ProductionRollbackRecommended",
            expr: `${errorRatio} > ${t.rollbackErrorRatio}`,
            for: "2m",
            labels: { severity: "critical", reason: "error-rate" },
            annotations: {
                summary: "A production service meets the emergency-rollback criteria.",
                description:
                    "{{ $labels.service }} in mcp-production answers {{ $value | humanizePercentage }} of requests with 5xx (rollback above 10%).",
            },
            symptom: true,
        },
        {
            alert: "ProductionRollbackRecommended",
            expr: `${p95} > ${t.rollbackResponseTimeP95}`,
            for: "2m",
            labels: { severity: "critical", reason: "latency" },
            annotations: {
                summary: "A production service meets the emergency-rollback criteria.",
                description:
                    "p95 response time of {{ $labels.service }} in mcp-production is {{ $value | humanizeDuration }} (rollback above 5s).",
            },
            symptom: true,
        },
    ],
};
