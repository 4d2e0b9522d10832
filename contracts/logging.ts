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

/** The collector's fixed Kubernetes names: operators type them, the pack's exemption names the namespace. */
export const collectorNamespace = "logging";
export const collectorName = "fluent-bit";

/**
 * Principals whose Secret reads are the platform's own: the control plane, the kubelets, and
 * the service accounts of kube-system (EKS add-ons, Karpenter, the load balancer controller)
 * and of monitoring (the Prometheus operator reads its configuration Secrets).
 */
export const expectedSecretReaders =
    "^system:(node:|kube-controller-manager$|kube-scheduler$|apiserver$|serviceaccount:kube-system:|serviceaccount:monitoring:)";

/** 401/403 answers from one principal and address within five minutes that count as a burst. */
export const authFailureBurst = 20;

/**
 * The saved queries of `mcp security access-log --suspicious` (docs/logging.md), over the EKS
 * control plane's log group (`/aws/eks/<cluster>/cluster`, its kube-apiserver-audit streams):
 * bursts of 401/403, exec/attach/port-forward into pods, and Secret reads by principals
 * other than {@link expectedSecretReaders}. The edge's request logs stay in Cloudflare
 * (Workers observability, docs/edge.md) and are not in CloudWatch.
 */
export function suspiciousAccessQueries(): SavedQuery[] {
    const audit = "@logStream like /^kube-apiserver-audit/";
    const who = "user.username as principal, sourceIPs.0 as source_ip";
    return [
        {
            key: "suspicious-auth-failures",
            description: `At least ${authFailureBurst} answers 401/403 to one principal from one address within 5 minutes.`,
            since: "24h",
            queryString: [
                `fields @timestamp, ${who}, responseStatus.code as code`,
                `| filter ${audit} and stage = "ResponseComplete" and (code = 401 or code = 403)`,
                `| stats count(*) as events, latest(@timestamp) as last_seen by principal, source_ip, bin(5m) as window`,
                `| filter events >= ${authFailureBurst}`,
                `| sort events desc`,
                `| limit 100`,
            ].join("\n"),
        },
        {
            key: "suspicious-pod-exec",
            description: "Every exec, attach and port-forward into a pod, newest first.",
            since: "24h",
            queryString: [
                `fields @timestamp, ${who}, objectRef.namespace as namespace, objectRef.name as pod, objectRef.subresource as action, responseStatus.code as code`,
                `| filter ${audit} and stage = "ResponseComplete" and objectRef.resource = "pods" and (action = "exec" or action = "attach" or action = "portforward")`,
                `| sort @timestamp desc`,
                `| limit 100`,
            ].join("\n"),
        },
        {
            key: "suspicious-secret-reads",
            description:
                "Secret reads (get, list, watch) by principals other than the control plane, the nodes and the kube-system and monitoring service accounts.",
            since: "24h",
            queryString: [
                `fields @timestamp, ${who}, objectRef.namespace as namespace, objectRef.name as secret, verb`,
                `| filter ${audit} and stage = "ResponseComplete" and objectRef.resource = "secrets" and (verb = "get" or verb = "list" or verb = "watch") and responseStatus.code < 300`,
                `| filter principal not like /${expectedSecretReaders}/`,
                `| stats count(*) as events, latest(@timestamp) as last_seen by principal, source_ip, namespace, secret, verb`,
                `| sort events desc`,
                `| limit 100`,
            ].join("\n"),
        },
    ];
}
