import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderFluentBitConfig, tagPrefix } from "../../../components/logging/fluent-bit-config";
import { compile, type CompiledRegex, groupNames, loadOniguruma } from "./oniguruma";

/**
 * The collector's parsing, checked against container log lines of the shape our services write
 * (structlog JSON: event, request_id, tool, duration_ms, level, plus the service name).
 *
 * Fluent Bit itself is not packaged for Debian bookworm or npm, so the two steps are run
 * with their documented semantics:
 * 1. tail's `multiline.parser: cri` — Fluent Bit's built-in CRI parser. Its regex, copied
 *    verbatim below from fluent-bit v5.1.1 `src/multiline/flb_ml_parser_cri.c`
 *    (FLB_ML_CRI_REGEX, unchanged since v1.9.2), is evaluated by Oniguruma (Onigmo's parent
 *    library, WASM build): time, stream, the partial flag `_p` and the `log` content.
 * 2. the kubernetes filter's `merge_log` with `keep_log off` — `mergeLog` below follows
 *    `pack_map_content`/`merge_log_handler` in v5.1.1 `plugins/filter_kubernetes/kubernetes.c`:
 *    a `log` string that decodes to exactly one JSON object is replaced by that object's
 *    fields; anything else keeps `log` untouched; string values lose trailing newlines and
 *    escaped `\n`/`\r` (`value_trim_size`, merge_log_trim on).
 */

/** fluent-bit v5.1.1 src/multiline/flb_ml_parser_cri.c, FLB_ML_CRI_REGEX. */
const builtInCriRegex = String.raw`^(?<time>.+?) (?<stream>stdout|stderr) (?<_p>F|P) (?<log>.*)$`;
/** fluent-bit v5.1.1 plugins/filter_kubernetes/kube_regex.h, KUBE_TAG_TO_REGEX. */
const kubeTagRegex = String.raw`(?<pod_name>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*)_(?<namespace_name>[^_]+)_(?<container_name>.+)-(?<docker_id>[a-z0-9]{64})\.log$`;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function trimValue(value: string): string {
    let size = value.length;
    for (let i = size - 1; i > 0; i--) {
        if (value[i] === "\n") {
            size -= 1;
            continue;
        }
        if (value[i - 1] === "\\" && (value[i] === "n" || value[i] === "r")) {
            size -= 2;
            i--;
        } else {
            break;
        }
    }
    return value.slice(0, size);
}

function mergeLog(record: Record<string, Json>): Record<string, Json> {
    const log = record.log;
    if (typeof log !== "string") return record;
    let decoded: Json;
    try {
        decoded = JSON.parse(log) as Json;
    } catch {
        return record;
    }
    if (decoded === null || typeof decoded !== "object" || Array.isArray(decoded)) return record;
    const merged: Record<string, Json> = {};
    for (const [key, value] of Object.entries(record)) if (key !== "log") merged[key] = value;
    for (const [key, value] of Object.entries(decoded)) {
        merged[key] = typeof value === "string" ? trimValue(value) : value;
    }
    return merged;
}

const time = "2026-08-01T12:00:00.123456789Z";
/** structlog JSONRenderer output of a service's process_request, one per outcome. */
const started = {
    event: "request_started",
    request_id: "abc-123-def",
    tool: "read_file",
    params_size: 48,
    service: "filesystem-mcp",
    level: "info",
    timestamp: "2026-08-01T12:00:00.120000Z",
};
const completed = {
    event: "request_completed",
    request_id: "abc-123-def",
    tool: "read_file",
    duration_ms: 812.4,
    result_size: 5120,
    service: "filesystem-mcp",
    level: "info",
    timestamp: "2026-08-01T12:00:00.932000Z",
};
const failed = {
    event: "request_failed",
    request_id: "abc-123-def",
    tool: "git_log",
    error: 'repository "mcp" not found: stdout F is not a flag\n',
    error_type: "FileNotFoundError",
    service: "git-mcp",
    level: "error",
    timestamp: "2026-08-01T12:00:01.000000Z",
};
const criLine = (stream: string, flag: string, content: string) =>
    `${time} ${stream} ${flag} ${content}`;

describe("collector parsing of the services' JSON log lines", () => {
    let cri: CompiledRegex;
    const parseLine = (line: string) => {
        const captures = cri.search(line);
        if (!captures) throw new Error(`CRI parser did not match: ${line}`);
        return captures as Record<string, Json>;
    };

    beforeAll(async () => {
        await loadOniguruma();
        cri = compile(builtInCriRegex);
    });

    it("configures tail with the built-in cri parser and the kubernetes filter with merge_log", () => {
        const config = parse(
            renderFluentBitConfig({
                region: "us-east-1",
                groupPrefix: "/mcp-platform/test",
                namespaces: ["mcp-production"],
            }),
        );
        const [tail] = config.pipeline.inputs;
        const [kubernetes] = config.pipeline.filters;
        expect(tail).toMatchObject({ name: "tail", "multiline.parser": "cri", tag: "kube.*" });
        expect(tail.parser).toBeUndefined();
        expect(kubernetes).toMatchObject({
            name: "kubernetes",
            merge_log: "on",
            keep_log: "off",
            merge_log_trim: "on",
            kube_tag_prefix: tagPrefix,
        });
        expect(kubernetes.merge_parser).toBeUndefined();
        expect(kubernetes.merge_log_key).toBeUndefined();
    });

    it("lifts level, request_id, service, tool and duration_ms of a completed request to top-level fields", () => {
        const record = mergeLog(parseLine(criLine("stdout", "F", JSON.stringify(completed))));
        expect(record).toEqual({
            time,
            stream: "stdout",
            _p: "F",
            ...completed,
        });
        expect(record.duration_ms).toBe(812.4);
        expect(record.log).toBeUndefined();
    });

    it("keeps the time split at the first stream token even when the JSON mentions one", () => {
        const record = mergeLog(parseLine(criLine("stderr", "F", JSON.stringify(failed))));
        expect(record.time).toBe(time);
        expect(record.stream).toBe("stderr");
        expect(record.level).toBe("error");
        expect(record.error_type).toBe("FileNotFoundError");
        // merge_log_trim drops the trailing newline of a string value.
        expect(record.error).toBe('repository "mcp" not found: stdout F is not a flag');
    });

    it("parses a JSON line with spaces, unicode and escapes after the CRI prefix", () => {
        const event = {
            ...started,
            event: "request_started",
            tool: "résumé lookup ✓",
            note: "a\tb",
        };
        const record = mergeLog(parseLine(criLine("stdout", "F", JSON.stringify(event))));
        expect(record.tool).toBe("résumé lookup ✓");
        expect(record.note).toBe("a\tb");
        expect(record.request_id).toBe("abc-123-def");
    });

    it("keeps a plain-text line as `log` (not merged)", () => {
        const record = mergeLog(parseLine(criLine("stdout", "F", "Listening on :8080")));
        expect(record).toEqual({ time, stream: "stdout", _p: "F", log: "Listening on :8080" });
    });

    it("keeps a JSON array or two concatenated objects as `log` (merge needs exactly one object)", () => {
        for (const content of ['["a","b"]', '{"level":"info"} {"level":"error"}', '{"level":']) {
            const record = mergeLog(parseLine(criLine("stdout", "F", content)));
            expect(record.log).toBe(content);
            expect(record.level).toBeUndefined();
        }
    });

    it("recognises partial (P) lines and empty lines", () => {
        const head = JSON.stringify(completed).slice(0, 20);
        expect(parseLine(criLine("stdout", "P", head))).toEqual({
            time,
            stream: "stdout",
            _p: "P",
            log: head,
        });
        expect(parseLine(`${time} stdout F `)).toEqual({
            time,
            stream: "stdout",
            _p: "F",
            log: "",
        });
    });

    it("rejects lines that are not CRI formatted (docker json-file)", () => {
        expect(cri.search(JSON.stringify({ log: "x\n", stream: "stdout", time }))).toBeNull();
        expect(cri.search(`${time} stdin F x`)).toBeNull();
    });

    it("names captures the way Onigmo does, including unnamed groups in the numbering", () => {
        expect(groupNames(builtInCriRegex)).toEqual(["time", "stream", "_p", "log"]);
        expect(groupNames(String.raw`(a)(?:b)(?<x>[(]c)`)).toEqual([undefined, "x"]);
    });

    it("derives the namespace the log group template uses from the file name", () => {
        const kube = compile(kubeTagRegex);
        const id = "0f".repeat(32);
        const file = `mcp-typescript-api-7d9f8b6c5-x2x9z_mcp-production_mcp-typescript-api-${id}.log`;
        expect(kube.search(file)).toEqual({
            pod_name: "mcp-typescript-api-7d9f8b6c5-x2x9z",
            namespace_name: "mcp-production",
            container_name: "mcp-typescript-api",
            docker_id: id,
        });
        expect(kube.search(`postgres-primary-0_mcp-production_postgres-${id}.log`)).toMatchObject({
            pod_name: "postgres-primary-0",
            namespace_name: "mcp-production",
            container_name: "postgres",
        });
    });
});
