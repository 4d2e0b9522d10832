import type { RuleGroup } from "./types";
import { collectorName, collectorNamespace } from "../../../contracts/logging";

/**
 * The log collector's own health (docs/logging.md): a node whose logs are not being
 * collected, and records lost or stuck on the way to CloudWatch. Metrics:
 * kube-state-metrics `kube_daemonset_status_*`, and Fluent Bit's
 * `/api/v2/metrics/prometheus` (`fluentbit_output_*`, label `name` = the output's alias:
 * `cloudwatch-namespaces` or `cloudwatch-other`), scraped through the collector's
 * ServiceMonitor, which adds `namespace` and `pod`.
 */

const daemonSet = `namespace="${collectorNamespace}",daemonset="${collectorName}"`;
const perOutput = (metric: string) =>
    `sum by (namespace, pod, name) (rate(${metric}{namespace="${collectorNamespace}"}[5m])) > 0`;

export const logCollectorGroup: RuleGroup = {
    name: "log-collector",
    rules: [
        {
            alert: "LogCollectorNotOnAllNodes",
            expr: `kube_daemonset_status_desired_number_scheduled{${daemonSet}} - kube_daemonset_status_number_ready{${daemonSet}} > 0`,
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The log collector is not running on every node.",
                description: `{{ $value }} node(s) have no ready ${collectorName} pod in namespace ${collectorNamespace}: their containers' logs are not reaching CloudWatch and are lost when the node or its pods go away.`,
            },
        },
        {
            alert: "LogCollectorDroppingRecords",
            expr: [
                perOutput("fluentbit_output_dropped_records_total"),
                perOutput("fluentbit_output_retries_failed_total"),
                perOutput("fluentbit_output_errors_total"),
            ].join(" or "),
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The log collector is dropping log records.",
                description:
                    "Fluent Bit {{ $labels.pod }} output {{ $labels.name }} drops records (unrecoverable errors or retries exhausted): those log lines never reach CloudWatch.",
            },
        },
        {
            alert: "LogCollectorOutputRetrying",
            expr: perOutput("fluentbit_output_retries_total"),
            for: "30m",
            labels: { severity: "warning" },
            annotations: {
                summary:
                    "The log collector has been retrying deliveries to CloudWatch for 30 minutes.",
                description:
                    "Fluent Bit {{ $labels.pod }} output {{ $labels.name }} keeps retrying (CloudWatch unreachable, throttling or access denied); records wait in its buffer and are dropped once their retries run out.",
            },
        },
    ],
};
