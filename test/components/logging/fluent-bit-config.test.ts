import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultLoggedNamespaces } from "../../../config/logging";
import {
    collectorHostPaths,
    fluentBitConfig,
    namespaceTagRegex,
    otherNamespaceTagRegex,
    renderFluentBitConfig,
    stateDir,
} from "../../../components/logging/fluent-bit-config";
import { compile, loadOniguruma } from "./oniguruma";
import { logGroupName } from "../../../contracts/logging";

/**
 * The rendered Fluent Bit configuration: what the pipeline reads, where it writes, and the
 * routing that sends each container's records to exactly one CloudWatch output. The
 * `match_regex` patterns run through Oniguruma with Fluent Bit's router semantics
 * (`onig_match` at the start of the tag, fluent-bit v5.1.1 src/flb_router.c).
 */

const options = {
    region: "us-east-1",
    groupPrefix: "/mcp-platform/production",
    namespaces: [...defaultLoggedNamespaces],
};

/**
 * The tag tail gives a file with `tag: kube.*`: the path replaces `*`, then `/` becomes `.`
 * and doubled dots collapse (fluent-bit v5.1.1 plugins/in_tail/tail_file.c, tag_compose).
 */
function tagFor(path: string): string {
    return `kube.${path}`.replace(/[/\\:]/g, ".").replace(/\.{2,}/g, ".");
}

/**
 * Property names Fluent Bit v5.1.1 declares, copied from its source (config maps and
 * `prop_key_check` calls): src/flb_config.c + include/fluent-bit/flb_config.h (service),
 * src/flb_input.c, src/flb_filter.c, src/flb_output.c (every plugin), and the config maps of
 * plugins/in_tail/tail.c, plugins/filter_kubernetes/kubernetes.c and
 * plugins/out_cloudwatch_logs/cloudwatch_logs.c. A misspelt key fails here instead of at
 * start-up on the nodes (Fluent Bit refuses unknown properties).
 */
const declared = {
    service:
        "flush grace daemon log_file log_level parsers_file plugins_file streams_file http_server http_listen http_port health_check hc_errors_count hc_retry_failure_count hc_period enable_chunk_trace hot_reload coro_stack_size multiline_buffer_limit scheduler.cap scheduler.base json.escape_unicode dns.mode dns.resolver storage.path storage.sync storage.metrics storage.checksum storage.backlog.mem_limit storage.max_chunks_up storage.trim_files storage.type storage.inherit",
    input: "name tag alias log_level log_suppress_interval routable mem_buf_limit storage.type threaded storage.pause_on_chunks_overlimit",
    tail: "buffer_chunk_size buffer_max_size db db.compare_filename db.journal_mode db.locking db.sync docker_mode docker_mode_flush docker_mode_parser exclude_path exit_on_eof ignore_older inotify_watcher key multiline.parser offset_key parser path path_key read_from_head read_newly_discovered_files_from_head refresh_interval rotate_wait skip_empty_lines skip_long_lines tag_regex",
    filter: "name match match_regex alias log_level log_suppress_interval",
    kubernetes:
        "annotations buffer_size cache_use_docker_id dns_retries dns_wait_time dummy_meta k8s-logging.exclude k8s-logging.parser keep_log kube_ca_file kube_ca_path kube_meta_cache_ttl kube_meta_preload_cache_dir kube_namespace_file kube_tag_prefix kube_token_command kube_token_file kube_token_ttl kube_url kubelet_host kubelet_port labels merge_log merge_log_key merge_log_trim merge_parser namespace_annotations namespace_labels namespace_metadata_only owner_references regex_parser tls.debug tls.verify tls.verify_hostname tls.vhost use_journal use_kubelet use_tag_for_meta",
    output: "name match match_regex alias log_level log_suppress_interval retry_limit storage.total_limit_size workers",
    cloudwatch_logs:
        "add_entity auto_create_group auto_retry_requests endpoint external_id extra_user_agent log_format log_group_class log_group_name log_group_template log_key log_retention_days log_stream_name log_stream_prefix log_stream_template metric_dimensions metric_namespace profile region role_arn sts_endpoint",
};
const known = (...lists: (keyof typeof declared)[]) =>
    new Set(lists.flatMap((list) => declared[list].split(" ")));

const id = "a1".repeat(32);
const file = (pod: string, namespace: string, container: string) =>
    `/var/log/containers/${pod}_${namespace}_${container}-${id}.log`;

describe("Fluent Bit configuration", () => {
    const config = parse(renderFluentBitConfig(options));
    const outputs = config.pipeline.outputs as Record<string, any>[];

    beforeAll(loadOniguruma);

    it("reads every container log and keeps offsets and buffers in the state volume", () => {
        const [tail] = config.pipeline.inputs;
        expect(tail.path).toBe("/var/log/containers/*.log");
        expect(collectorHostPaths).toEqual(["/var/log/containers", "/var/log/pods"]);
        expect(tail.db).toBe(`${stateDir}/tail-containers.db`);
        expect(tail["storage.type"]).toBe("filesystem");
        expect(config.service["storage.path"]).toBe(`${stateDir}/chunks`);
        expect(tail.read_from_head).toBe(true);
    });

    it("serves health and metrics on 2020 for probes and Prometheus", () => {
        expect(config.service).toMatchObject({
            http_server: "on",
            http_port: 2020,
            health_check: "on",
        });
    });

    it("uses only properties Fluent Bit v5.1.1 declares for each section and plugin", () => {
        const unknown = (section: Record<string, unknown>, allowed: Set<string>) =>
            Object.keys(section).filter((key) => !allowed.has(key.toLowerCase()));
        expect(unknown(config.service, known("service"))).toEqual([]);
        for (const input of config.pipeline.inputs) {
            expect(input.name).toBe("tail");
            expect(unknown(input, known("input", "tail"))).toEqual([]);
        }
        for (const filter of config.pipeline.filters) {
            expect(filter.name).toBe("kubernetes");
            expect(unknown(filter, known("filter", "kubernetes"))).toEqual([]);
        }
        for (const output of outputs) {
            expect(output.name).toBe("cloudwatch_logs");
            expect(unknown(output, known("output", "cloudwatch_logs"))).toEqual([]);
        }
        expect(Object.keys(config).sort()).toEqual(["pipeline", "service"]);
    });

    it("writes to CloudWatch without creating groups, with a bounded buffer and retries", () => {
        expect(outputs.map((o) => o.alias)).toEqual(["cloudwatch-namespaces", "cloudwatch-other"]);
        for (const output of outputs) {
            expect(output).toMatchObject({
                name: "cloudwatch_logs",
                region: "us-east-1",
                auto_create_group: false,
                retry_limit: 10,
                "storage.total_limit_size": "256M",
                log_stream_template: "$kubernetes['pod_name'].$kubernetes['container_name']",
            });
            expect(output.log_retention_days).toBeUndefined();
            expect(output.match).toBeUndefined();
        }
        expect(outputs[0].log_group_template).toBe(
            "/mcp-platform/production/$kubernetes['namespace_name']",
        );
        expect(outputs[0].log_group_name).toBe("/mcp-platform/production/_other");
        expect(outputs[1].log_group_template).toBeUndefined();
        expect(outputs[1].log_group_name).toBe(logGroupName("/mcp-platform/production", "_other"));
    });

    it("routes each listed namespace to its own group and every other one to _other", () => {
        const namespaced = compile(outputs[0].match_regex);
        const other = compile(outputs[1].match_regex);
        const listed = [...defaultLoggedNamespaces];
        const unlisted = [
            "default",
            "velero",
            "mcp-production-canary",
            "kube-system2",
            "xmcp-system",
            "cert-manager",
        ];
        for (const namespace of listed) {
            const tag = tagFor(file("mcp-typescript-api-7d9f8b6c5-x2x9z", namespace, "app"));
            expect(namespaced.matchesTag(tag), tag).toBe(true);
            expect(other.matchesTag(tag), tag).toBe(false);
        }
        for (const namespace of unlisted) {
            const tag = tagFor(file("web-0", namespace, "mcp-system"));
            expect(namespaced.matchesTag(tag), tag).toBe(false);
            expect(other.matchesTag(tag), tag).toBe(true);
        }
    });

    it("routes pods whose names contain dots or look like a namespace by their namespace field", () => {
        const namespaced = compile(namespaceTagRegex(["mcp-production"]));
        const other = compile(otherNamespaceTagRegex(["mcp-production"]));
        const dotted = tagFor(file("api.v2-0", "default", "app"));
        expect(dotted).toBe(`kube.var.log.containers.api.v2-0_default_app-${id}.log`);
        expect(other.matchesTag(dotted)).toBe(true);
        expect(namespaced.matchesTag(dotted)).toBe(false);
        const lookalike = tagFor(file("mcp-production", "default", "mcp-production"));
        expect(namespaced.matchesTag(lookalike)).toBe(false);
        expect(other.matchesTag(lookalike)).toBe(true);
    });

    it("escapes regex metacharacters and refuses an empty namespace list", () => {
        expect(namespaceTagRegex(["a.b"])).toContain("a\\.b");
        expect(() => fluentBitConfig({ ...options, namespaces: [] })).toThrow(/at least one/);
    });
});
