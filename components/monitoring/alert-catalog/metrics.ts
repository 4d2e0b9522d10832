/**
 * The metrics contract as data: the only series alert rules
 * and dashboards may read, besides the recording rules the catalog defines. Tests parse every
 * rule and dashboard query and check each metric name against it.
 */
export interface MetricsContract {
    /** Exact metric names. */
    readonly names: readonly string[];
    /** Metric families by prefix, with where they come from. */
    readonly prefixes: Readonly<Record<string, string>>;
}

export const metricsContract: MetricsContract = {
    names: [
        // What every MCP service exposes on :9090/metrics.
        "mcp_requests_total",
        "mcp_errors_total",
        "mcp_request_duration_seconds_bucket",
        "mcp_active_connections",
        "tools_executed_total",
        "resources_accessed_total",
        "user_sessions_active",
        "api_quota_remaining",
        // Prometheus itself.
        "up",
        "ALERTS",
    ],
    prefixes: {
        validation_: "semantic control plane",
        promotion_: "semantic control plane",
        artifact_: "semantic control plane",
        process_: "every service's client library",
        kube_: "kube-state-metrics",
        node_: "node-exporter",
        pg_: "postgres_exporter",
        redis_: "redis_exporter",
    },
};

/**
 * Series the catalog reads beyond the contract; each needs its exporter in the cluster
 * (docs/monitoring.md, "Metrics the rules read").
 */
export const contractExtensions: MetricsContract = {
    names: [
        // The registry's "threat_detections > 10/minute": the registry services' own counter.
        "mcp_threat_detections_total",
        // blackbox-exporter probes of the public endpoints (certificate expiry).
        "probe_ssl_earliest_cert_expiry",
    ],
    prefixes: {
        // kubelet volume stats, scraped by kube-prometheus-stack's kubelet ServiceMonitor.
        kubelet_volume_stats_: "kubelet (kube-prometheus-stack)",
        // Fluent Bit's own metrics (docs/logging.md).
        fluentbit_: "Fluent Bit log collector",
    },
};

/** Whether a metric name belongs to the contract or its documented extensions. */
export function inContract(metric: string, recordingRules: ReadonlySet<string>): boolean {
    if (recordingRules.has(metric)) return true;
    return [metricsContract, contractExtensions].some(
        (contract) =>
            contract.names.includes(metric) ||
            Object.keys(contract.prefixes).some((prefix) => metric.startsWith(prefix)),
    );
}
