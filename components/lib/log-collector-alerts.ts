/**
 * Alerts on the log collector itself: logs of a node are not being collected, or collected
 * records are being lost on the way to CloudWatch. Metric names: kube-state-metrics
 * (`kube_daemonset_status_*`) and Fluent Bit's own `/api/v2/metrics/prometheus`
 * (`fluentbit_output_*`, labelled `name` = the output's alias).
 */

export interface CollectorIdentity {
    readonly namespace: string;
    readonly daemonSet: string;
}

export interface CollectorAlert {
    readonly alert: string;
    readonly expr: string;
    readonly for: string;
    readonly labels: { readonly severity: "critical" | "warning" | "info" };
    readonly annotations: { readonly summary: string; readonly description: string };
}

/** The alert rules, without runbook links (the catalog adds `runbook_url`). */
export function logCollectorAlerts(collector: CollectorIdentity): CollectorAlert[] {
    const ds = `namespace="${collector.namespace}",daemonset="${collector.daemonSet}"`;
    const pods = `namespace="${collector.namespace}"`;
    const rate = (metric: string) =>
        `sum by (namespace, pod, name) (rate(${metric}{${pods}}[5m])) > 0`;
    return [
        {
            alert: "LogCollectorNotOnAllNodes",
            expr: [
                `kube_daemonset_status_desired_number_scheduled{${ds}}`,
                `  - kube_daemonset_status_number_ready{${ds}}`,
                `> 0`,
            ].join("\n"),
            for: "15m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The log collector is not running on every node.",
                description: `{{ $value }} node(s) have no ready ${collector.daemonSet} pod in ${collector.namespace}: the logs of their containers are not reaching CloudWatch and are lost once the node or pod goes away.`,
            },
        },
        {
            alert: "LogCollectorDroppingRecords",
            expr: [
                rate("fluentbit_output_dropped_records_total"),
                `or`,
                rate("fluentbit_output_retries_failed_total"),
                `or`,
                rate("fluentbit_output_errors_total"),
            ].join("\n"),
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The log collector is dropping log records.",
                description:
                    "Fluent Bit {{ $labels.pod }} output {{ $labels.name }} is dropping records (unrecoverable errors or retries exhausted): those log lines never reach CloudWatch.",
            },
        },
        {
            alert: "LogCollectorOutputRetrying",
            expr: rate("fluentbit_output_retries_total"),
            for: "15m",
            labels: { severity: "info" },
            annotations: {
                summary: "The log collector keeps retrying deliveries to CloudWatch.",
                description:
                    "Fluent Bit {{ $labels.pod }} output {{ $labels.name }} has retried chunks for 15 minutes (CloudWatch unreachable, throttled or access denied); records are buffered and will be dropped when retries run out.",
            },
        },
    ];
}

/** The rule group as a PrometheusRule holds it, each alert linked to its runbook. */
export function logCollectorRuleGroup(
    collector: CollectorIdentity,
    runbookBaseUrl: string,
): { name: string; rules: Record<string, unknown>[] } {
    const base = runbookBaseUrl.replace(/\/+$/, "");
    return {
        name: "log-collector",
        rules: logCollectorAlerts(collector).map((rule) => ({
            ...rule,
            annotations: { ...rule.annotations, runbook_url: `${base}/${rule.alert}.md` },
        })),
    };
}
