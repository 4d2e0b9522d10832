import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { defaultLoggedNamespaces } from "../../config/logging";
import {
    collectorHostPaths,
    fluentBitConfig,
    logGroupName,
    namespaceTagRegex,
    otherNamespaceTagRegex,
    renderFluentBitConfig,
    stateDir,
} from "../../components/lib/fluent-bit-config";
import { compile, loadOniguruma } from "./oniguruma";

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
