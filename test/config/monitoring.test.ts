import { describe, expect, it } from "vitest";
import { type PlatformConfig } from "../../config";
import { configProblems, parseStack } from "../support/config";

/** `mcp-platform:monitoring` and the receiver credentials (config/monitoring.ts). */

const stack = (name: string, edit?: (ns: Record<string, any>) => void, plain = false) =>
    parseStack(name, edit, { plaintext: plain });
const problems = (edit: (ns: Record<string, any>) => void, plain = false) =>
    configProblems("production", edit, { plaintext: plain });

describe("monitoring config", () => {
    it.each(["production", "dr"])("accepts the committed %s stack with its defaults", (name) => {
        const cfg: PlatformConfig = stack(name);
        expect(cfg.monitoring.slos.map((s) => [s.name, s.objective])).toEqual([
            ["availability", 99.9],
            ["latency", 95],
        ]);
        expect(cfg.monitoring.slos[0].periodDays).toBe(30);
        expect(cfg.monitoring.receivers.slackChannel).toBe("#mcp-alerts");
        expect(cfg.monitoring.receivers.deadMansSwitch.repeatInterval).toBe("1m");
        expect(cfg.monitoring.receivers.deadMansSwitch.url).toContain(`mcp-platform-${name}`);
        expect(
            cfg.monitoring.maintenanceWindows.map((w) => [w.name, w.weekdays, w.start, w.end]),
        ).toEqual([
            ["database-maintenance", ["sunday"], "02:00", "04:00"], // database maintenance
            ["semantic-maintenance", ["saturday"], "02:00", "06:00"], // first Saturday of the month
        ]);
        expect(Object.keys(cfg.credentials)).toEqual(
            expect.arrayContaining([
                "mcp-platform:pagerdutyRoutingKey",
                "mcp-platform:slackWebhookUrl",
                "mcp-platform:smtpPassword",
                "mcp-platform:deadMansSwitchToken",
            ]),
        );
        // The schema never keeps a credential in the plain settings.
        expect((cfg as unknown as Record<string, unknown>).pagerdutyRoutingKey).toBeUndefined();
    });

    it("requires the latency threshold of a latency SLO", () => {
        expect(
            problems((ns) => delete ns["mcp-platform"].monitoring.slos[1].latencyThresholdSeconds),
        ).toEqual([
            "Pulumi.production.yaml: mcp-platform:monitoring.slos[1].latencyThresholdSeconds: expected seconds such as 0.1 (a latency SLO needs its threshold) (got nothing)",
        ]);
    });

    it("rejects an objective of 100 % and a window that ends before it starts", () => {
        expect(
            problems((ns) => {
                ns["mcp-platform"].monitoring.slos[0].objective = 100;
                ns["mcp-platform"].monitoring.maintenanceWindows[0].end = "01:00";
            }),
        ).toEqual([
            "Pulumi.production.yaml: mcp-platform:monitoring.slos[0].objective: expected a number < 100 (got 100)",
            'Pulumi.production.yaml: mcp-platform:monitoring.maintenanceWindows[0].end: expected a time after start 02:00 (a window cannot cross midnight; split it in two) (got "01:00")',
        ]);
    });

    it("refuses a receiver credential in plaintext without echoing it", () => {
        const found = problems(
            (ns) => (ns["mcp-platform"].slackWebhookUrl = "https://hooks.example/T0/B0/xyz"),
            true,
        );
        expect(found).toContain(
            "Pulumi.production.yaml: mcp-platform:slackWebhookUrl: a credential must be a secret: run `pulumi config set --secret mcp-platform:slackWebhookUrl <value>` (got a plaintext value, not shown)",
        );
        expect(found.join("\n")).not.toContain("hooks.example");
    });

    it("requires every receiver credential", () => {
        expect(problems((ns) => delete ns["mcp-platform"].pagerdutyRoutingKey)).toEqual([
            "Pulumi.production.yaml: mcp-platform:pagerdutyRoutingKey: a required credential is not set: run `pulumi config set --secret mcp-platform:pagerdutyRoutingKey <value>` (got nothing)",
        ]);
    });
});
