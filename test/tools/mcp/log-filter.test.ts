import { describe, expect, it } from "vitest";
import { eventFields, parseFilter } from "../../../tools/mcp/lib/log-filter";
import { buildQuery } from "../../../tools/mcp/verbs/logs";
import { loadStackConfig } from "../../../tools/mcp/lib/stack";
import { mcp } from "./support";

/** `mcp logs --filter`, as the manuals write it: `mcp logs -f --filter "level:error OR level:warn"`. */
const line = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe("mcp logs --filter", () => {
    it("compiles the manual's expression to a Logs Insights filter", () => {
        expect(parseFilter("level:error OR level:warn").insights).toBe(
            '(lvl = "error" or lvl = "warn")',
        );
        expect(parseFilter('service:mcp-registry timeout NOT "health check"').insights).toBe(
            '((svc = "mcp-registry" and strcontains(@message, "timeout")) and not strcontains(@message, "health check"))',
        );
        expect(parseFilter("(level:ERROR OR level:warn) AND request_id:abc-1").insights).toBe(
            '((lvl = "error" or lvl = "warn") and request_id = "abc-1")',
        );
    });

    it("matches raw events the same way for -f", () => {
        const filter = parseFilter("level:error OR level:warn");
        expect(filter.matches(eventFields(line({ level: "ERROR", msg: "x" })))).toBe(true);
        expect(filter.matches(eventFields(line({ level: "warn" })))).toBe(true);
        expect(filter.matches(eventFields(line({ level: "info" })))).toBe(false);
        expect(filter.matches(eventFields("plain text, no JSON"))).toBe(false);
        const service = parseFilter("service:mcp-registry NOT timeout");
        expect(
            service.matches(
                eventFields(line({ kubernetes: { labels: { app: "mcp-registry" } }, m: "ok" })),
            ),
        ).toBe(true);
        expect(service.matches(eventFields(line({ service: "mcp-registry", m: "timeout" })))).toBe(
            false,
        );
    });

    it.each([
        ["level:error OR", "ends too early"],
        ["colour:red", 'unknown field "colour"'],
        ['"unbalanced', "unbalanced quote"],
        ["(level:error", "missing )"],
        ["level:", "level: needs a value"],
    ])("refuses %j", (text, problem) => {
        expect(() => parseFilter(text)).toThrow(problem);
    });

    it("is part of the search query, and the command line takes it", async () => {
        const cfg = loadStackConfig("production");
        const query = buildQuery(cfg, { filter: "level:error OR level:warn", limit: 100 });
        expect(query.queryString).toContain('| filter (lvl = "error" or lvl = "warn")');
        expect(() => buildQuery(cfg, { summary: true, filter: "level:error", limit: 100 })).toThrow(
            "--summary runs a saved query; it does not take --filter",
        );
        // Parsed (the bad expression is what fails, before any AWS call).
        const run = await mcp(["logs", "-f", "--filter", "colour:red", "--stack", "production"]);
        expect(run.code).toBe(2);
        expect(run.stderr.split("\n")[0]).toBe(
            'mcp logs: --filter: unknown field "colour"; fields: level, service, request_id, message; see mcp logs --help',
        );
    });
});
