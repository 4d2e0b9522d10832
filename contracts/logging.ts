/**
 * The log store's naming rules and saved Logs Insights queries, shared by the log storage,
 * the collector and `mcp logs` (docs/logging.md).
 */

/** The prefix of every log group of a stack: `/mcp-platform/<stack>`. */
export function logGroupPrefix(stack: string): string {
    return `/mcp-platform/${stack}`;
}

/** `/mcp-platform/<stack>/<namespace>`: the one naming rule storage and collector share. */
export function logGroupName(prefix: string, namespace: string): string {
    return `${prefix}/${namespace}`;
}

/** The catch-all log group's last segment; `_` cannot start a namespace name, so no clash. */
export const otherGroupSuffix = "_other";

/** A saved Logs Insights query (name, what it answers, the query text). */
export interface SavedQuery {
    /** Last segment of the query definition's name (`mcp-platform/<stack>/<key>`). */
    readonly key: string;
    readonly description: string;
    /** Time range to run it over, as `mcp logs --since` would take it. */
    readonly since: string;
    readonly queryString: string;
}

/** The value operators replace in the request-id query before running it. */
export const requestIdPlaceholder = "REPLACE_WITH_REQUEST_ID";

/**
 * The service a record belongs to: the `service` field our services log, else the pod's
 * `app` label (every platform workload carries one), else the container name.
 */
const serviceField = "coalesce(service, kubernetes.labels.app, kubernetes.container_name)";

/** The three log searches of the operations procedures (docs/operations.md, "Logs"). */
export function savedQueries(slowRequestThresholdMs: number): SavedQuery[] {
    if (!Number.isInteger(slowRequestThresholdMs) || slowRequestThresholdMs < 1) {
        throw new Error(`slow request threshold must be a positive number of ms`);
    }
    return [
        {
            key: "errors-by-service",
            description:
                "Error-level events per service in the last 24 h (`mcp logs --level error --since 24h`).",
            since: "24h",
            queryString: [
                `fields @timestamp, ${serviceField} as svc, tolower(level) as lvl`,
                `| filter lvl = "error" or lvl = "critical" or lvl = "fatal"`,
                `| filter toMillis(@timestamp) >= now() * 1000 - ${24 * 3600 * 1000}`,
                `| stats count(*) as errors, latest(@timestamp) as last_seen by svc`,
                `| sort errors desc`,
            ].join("\n"),
        },
        {
            key: "request-trace",
            description: `Every event of one request across services (\`mcp logs --request-id …\`); replace ${requestIdPlaceholder}.`,
            since: "24h",
            queryString: [
                `fields @timestamp, ${serviceField} as svc, level, event, tool, duration_ms, kubernetes.pod_name as pod`,
                `| filter request_id = "${requestIdPlaceholder}"`,
                `| sort @timestamp asc`,
                `| limit 1000`,
            ].join("\n"),
        },
        {
            key: "slow-requests",
            description: `Requests slower than ${slowRequestThresholdMs} ms (duration_ms), slowest first.`,
            since: "1h",
            queryString: [
                `fields @timestamp, ${serviceField} as svc, request_id, tool, duration_ms`,
                `| filter ispresent(duration_ms) and duration_ms > ${slowRequestThresholdMs}`,
                `| sort duration_ms desc`,
                `| limit 100`,
            ].join("\n"),
        },
    ];
}
