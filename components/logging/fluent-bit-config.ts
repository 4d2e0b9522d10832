import { stringify } from "yaml";
import { logGroupName, otherGroupSuffix } from "../../contracts/logging";

/**
 * The log collector's Fluent Bit configuration, rendered as Fluent Bit's YAML format (the
 * classic `.conf` format is deprecated at the end of 2026). Pure: the same inputs always give
 * the same text, so tests read it back and check the exact pipeline the DaemonSet runs.
 *
 * Pipeline: `tail` reads every container log under `/var/log/containers` with Fluent Bit's
 * built-in `cri` multiline parser (containerd's `<time> <stream> <F|P> <log>` lines, partial
 * `P` lines joined); the `kubernetes` filter adds pod metadata and, with `merge_log`, lifts the
 * JSON fields our services log (`level`, `request_id`, `service`, `tool`, `duration_ms`) to the
 * top of the record; two `cloudwatch_logs` outputs write namespaces that have a log group of
 * their own to `<prefix>/<namespace>` and everything else to `<prefix>/_other`.
 */

/** The collector's fixed Kubernetes names: operators type them, the pack's exemption names the namespace. */
export const collectorNamespace = "logging";
export const collectorName = "fluent-bit";

/** Where containerd's logs live on an EKS node: the symlinks tail reads, and their targets. */
export const containerLogDir = "/var/log/containers";
export const podLogDir = "/var/log/pods";
/** The only host paths the collector mounts (read-only). policies/exemptions.ts lists the same. */
export const collectorHostPaths = [containerLogDir, podLogDir] as const;

/** Where the collector keeps tail offsets and buffered chunks (an emptyDir). */
export const stateDir = "/var/fluent-bit/state";
/** Where the ConfigMap holding this configuration is mounted. */
export const configDir = "/fluent-bit/etc/mcp";
export const configFileName = "fluent-bit.yaml";

/** Fluent Bit's built-in HTTP server: health and Prometheus metrics. */
export const metricsPort = 2020;
export const metricsPath = "/api/v2/metrics/prometheus";
export const healthPath = "/api/v1/health";

/** Tag prefix of records read by tail: `kube.` + the file path with `/` replaced by `.`. */
export const tagPrefix = "kube.var.log.containers.";

function escapeRegex(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Tags of containers in one of `namespaces`. A tag is
 * `kube.var.log.containers.<pod>_<namespace>_<container>-<container id>.log`; pod and
 * namespace names cannot contain `_`, so the namespace is the second `_`-separated field.
 * Evaluated by Onigmo (Fluent Bit's `match_regex`, anchored at the start of the tag).
 */
export function namespaceTagRegex(namespaces: readonly string[]): string {
    const alternatives = namespaces.map(escapeRegex).join("|");
    return `^${escapeRegex(tagPrefix)}[^_]+_(?:${alternatives})_.+$`;
}

/** Tags of containers in any namespace NOT in `namespaces` (the complement of the above). */
export function otherNamespaceTagRegex(namespaces: readonly string[]): string {
    const alternatives = namespaces.map(escapeRegex).join("|");
    return `^${escapeRegex(tagPrefix)}[^_]+_(?!(?:${alternatives})_)[^_]+_.+$`;
}

export interface FluentBitConfigOptions {
    /** AWS region of the CloudWatch Logs and STS endpoints. */
    readonly region: string;
    /** Log group prefix, e.g. `/mcp-platform/production`. */
    readonly groupPrefix: string;
    /** Namespaces with a log group of their own; the rest go to `<prefix>/_other`. */
    readonly namespaces: readonly string[];
    /** Retries per chunk before it is dropped (and counted by the alert). @default 10 */
    readonly retryLimit?: number;
    /** Filesystem buffer per output; must stay well under the state emptyDir's size. @default "256M" */
    readonly outputBufferLimit?: string;
}

const streamTemplate = "$kubernetes['pod_name'].$kubernetes['container_name']";

/** The configuration as a plain object (what {@link renderFluentBitConfig} serialises). */
export function fluentBitConfig(options: FluentBitConfigOptions): Record<string, unknown> {
    if (options.namespaces.length === 0) {
        throw new Error("fluent-bit config: at least one namespace needs its own log group");
    }
    const retryLimit = options.retryLimit ?? 10;
    const outputBufferLimit = options.outputBufferLimit ?? "256M";
    const otherGroup = logGroupName(options.groupPrefix, otherGroupSuffix);
    const cloudwatch = {
        name: "cloudwatch_logs",
        region: options.region,
        auto_create_group: false,
        log_stream_template: streamTemplate,
        log_stream_prefix: "unresolved.",
        retry_limit: retryLimit,
        "storage.total_limit_size": outputBufferLimit,
    };
    return {
        service: {
            flush: 1,
            log_level: "info",
            http_server: "on",
            http_listen: "0.0.0.0",
            http_port: metricsPort,
            health_check: "on",
            hc_errors_count: 5,
            hc_retry_failure_count: 5,
            hc_period: 60,
            "storage.path": `${stateDir}/chunks`,
            "storage.sync": "normal",
            "storage.max_chunks_up": 32,
            "storage.backlog.mem_limit": "16M",
            "storage.metrics": "on",
        },
        pipeline: {
            inputs: [
                {
                    name: "tail",
                    alias: "containers",
                    tag: "kube.*",
                    path: `${containerLogDir}/*.log`,
                    "multiline.parser": "cri",
                    db: `${stateDir}/tail-containers.db`,
                    "db.locking": true,
                    read_from_head: true,
                    skip_long_lines: "on",
                    buffer_max_size: "64k",
                    refresh_interval: 10,
                    rotate_wait: 30,
                    "storage.type": "filesystem",
                    "storage.pause_on_chunks_overlimit": "on",
                },
            ],
            filters: [
                {
                    name: "kubernetes",
                    alias: "kubernetes-metadata",
                    match: "kube.*",
                    kube_tag_prefix: tagPrefix,
                    merge_log: "on",
                    keep_log: "off",
                    merge_log_trim: "on",
                    labels: "on",
                    annotations: "off",
                    "k8s-logging.exclude": "off",
                    "k8s-logging.parser": "off",
                    buffer_size: "256k",
                },
            ],
            outputs: [
                {
                    ...cloudwatch,
                    alias: "cloudwatch-namespaces",
                    match_regex: namespaceTagRegex(options.namespaces),
                    log_group_template: `${options.groupPrefix}/$kubernetes['namespace_name']`,
                    log_group_name: otherGroup,
                },
                {
                    ...cloudwatch,
                    alias: "cloudwatch-other",
                    match_regex: otherNamespaceTagRegex(options.namespaces),
                    log_group_name: otherGroup,
                },
            ],
        },
    };
}

/** The configuration file the DaemonSet mounts. */
export function renderFluentBitConfig(options: FluentBitConfigOptions): string {
    return stringify(fluentBitConfig(options), { lineWidth: 0 });
}
