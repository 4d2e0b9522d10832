import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { MaintenanceWindow, MonitoringConfig } from "../../../config/monitoring";
import { AlertmanagerConfig } from "../../../components/monitoring/alertmanager-config";
import { alertmanagerConfig } from "../../../components/monitoring/alert-catalog/alertmanager";
import { recordResources } from "../../support/pulumi";

const receivers: MonitoringConfig["receivers"] = {
    slackChannel: "#mcp-alerts",
    email: {
        to: "ops@example.com",
        from: "alerts@mcp-platform.io",
        smarthost: "smtp.example.com:587",
        username: "alerts@mcp-platform.io",
        requireTls: true,
    },
    deadMansSwitch: {
        url: "https://api.opsgenie.com/v2/heartbeats/mcp-platform-test/ping",
        authorizationType: "GenieKey",
        repeatInterval: "1m",
    },
};
const windows: MaintenanceWindow[] = [
    {
        name: "database-maintenance",
        weekdays: ["sunday"],
        start: "02:00",
        end: "04:00",
        namespaces: ["mcp-production"],
        severities: ["warning", "info"],
    },
    {
        name: "semantic-maintenance",
        weekdays: ["saturday"],
        daysOfMonth: "1:7",
        start: "02:00",
        end: "06:00",
        namespaces: ["mcp-system", "mcp-production"],
        severities: ["critical", "warning"],
    },
];
const settings = {
    receivers,
    maintenanceWindows: windows,
    symptomAlerts: ["HighErrorRate", "HighResponseTimeP95"],
};

type Route = {
    receiver: string;
    matchers?: string[];
    mute_time_intervals?: string[];
    routes?: Route[];
    [key: string]: unknown;
};

const config = alertmanagerConfig({ ...settings, secretsDir: "/etc/alertmanager/secrets/r/" });
const route = config.route as Route;
const childFor = (matcher: string) => route.routes!.find((r) => r.matchers?.includes(matcher))!;

describe("alertmanager.yaml", () => {
    it("groups and times notifications as the operations procedures do", () => {
        expect(route).toMatchObject({
            receiver: "email-default",
            group_by: ["alertname", "cluster", "service"],
            group_wait: "10s",
            group_interval: "10s",
            repeat_interval: "12h",
        });
        expect((config.global as Record<string, unknown>).resolve_timeout).toBe("5m");
    });

    it("routes by severity, Watchdog first to the dead man's switch, InfoInhibitor nowhere", () => {
        expect(route.routes!.map((r) => [r.matchers, r.receiver])).toEqual([
            [['alertname="Watchdog"'], "deadmans-switch"],
            [['alertname="InfoInhibitor"'], "null"],
            [['severity="critical"'], "pagerduty-critical"],
            [['severity="warning"'], "slack-warning"],
            [['severity="info"'], "email-default"],
        ]);
        expect(childFor('alertname="Watchdog"')).toMatchObject({
            group_wait: "0s",
            repeat_interval: "1m",
        });
    });

    it("mutes each severity in its maintenance windows, one child route per namespace", () => {
        expect(childFor('severity="critical"').routes).toEqual([
            {
                receiver: "pagerduty-critical",
                matchers: ['namespace="mcp-system"'],
                mute_time_intervals: ["semantic-maintenance"],
            },
            {
                receiver: "pagerduty-critical",
                matchers: ['namespace="mcp-production"'],
                mute_time_intervals: ["semantic-maintenance"],
            },
        ]);
        // Both windows apply to warnings of mcp-production: one route carries both.
        expect(
            childFor('severity="warning"').routes!.find((r) =>
                r.matchers!.includes('namespace="mcp-production"'),
            )!.mute_time_intervals,
        ).toEqual(["database-maintenance", "semantic-maintenance"]);
        expect(config.time_intervals).toEqual([
            {
                name: "database-maintenance",
                time_intervals: [
                    {
                        weekdays: ["sunday"],
                        times: [{ start_time: "02:00", end_time: "04:00" }],
                        location: "UTC",
                    },
                ],
            },
            {
                name: "semantic-maintenance",
                time_intervals: [
                    {
                        weekdays: ["saturday"],
                        days_of_month: ["1:7"],
                        times: [{ start_time: "02:00", end_time: "06:00" }],
                        location: "UTC",
                    },
                ],
            },
        ]);
    });

    it("inhibits warning/info by critical of the same alert, info by InfoInhibitor, symptoms by ServiceDown", () => {
        const rules = config.inhibit_rules as Record<string, string[]>[];
        expect(rules[0]).toMatchObject({
            source_matchers: ['severity="critical"'],
            target_matchers: ['severity=~"warning|info"'],
        });
        expect(rules[0].equal).toEqual(expect.arrayContaining(["alertname", "service"]));
        expect(rules[1].source_matchers).toEqual(['alertname="InfoInhibitor"']);
        expect(rules[2]).toEqual({
            source_matchers: ['alertname="ServiceDown"'],
            target_matchers: ['alertname=~"HighErrorRate|HighResponseTimeP95"'],
            equal: ["cluster", "namespace", "service"],
        });
    });

    it("reads every credential from a file of the receivers Secret", () => {
        const text = JSON.stringify(config);
        expect(text).toContain(
            '"routing_key_file":"/etc/alertmanager/secrets/r/pagerduty-routing-key"',
        );
        expect(text).toContain('"api_url_file":"/etc/alertmanager/secrets/r/slack-webhook-url"');
        expect(text).toContain(
            '"smtp_auth_password_file":"/etc/alertmanager/secrets/r/smtp-password"',
        );
        expect(text).toContain(
            '"credentials_file":"/etc/alertmanager/secrets/r/deadmans-switch-token"',
        );
        expect(text).toContain('"channel":"#mcp-alerts"');
    });

    it("has no maintenance routes or time intervals without windows", () => {
        const plain = alertmanagerConfig({ ...settings, maintenanceWindows: [], secretsDir: "/s" });
        expect(plain.time_intervals).toBeUndefined();
        expect((plain.route as Route).routes!.every((r) => r.routes === undefined)).toBe(true);
    });
});

describe("AlertmanagerConfig", () => {
    it("writes the config and the credentials to the two Secrets the chart reads", async () => {
        let yamlText = "";
        const recorded = await recordResources(() => {
            const component = new AlertmanagerConfig("alertmanager", {
                settings,
                credentials: {
                    pagerdutyRoutingKey: pulumi.secret("s3cr3t-pagerduty"),
                    slackWebhookUrl: pulumi.secret("https://hooks.slack.com/services/T/B/X"),
                    smtpPassword: pulumi.secret("s3cr3t-smtp"),
                    deadMansSwitchToken: pulumi.secret("s3cr3t-dms"),
                },
            });
            yamlText = component.configYaml;
        });
        const secrets = recorded.ofType("kubernetes:core/v1:Secret");
        const byName = (name: string) =>
            secrets.find((s) => (s.inputs.metadata as { name: string }).name === name)!;
        const receiversSecret = byName("alertmanager-receivers");
        expect((receiversSecret.inputs.metadata as { namespace: string }).namespace).toBe(
            "monitoring",
        );
        expect(receiversSecret.inputs.stringData).toEqual({
            "pagerduty-routing-key": "[secret]",
            "slack-webhook-url": "[secret]",
            "smtp-password": "[secret]",
            "deadmans-switch-token": "[secret]",
        });
        expect(byName("alertmanager-mcp-platform")).toBeDefined();

        // The rendered text: credential-free, YAML 1.1-safe times, the mount path of the chart.
        expect(yamlText).not.toMatch(/s3cr3t|hooks\.slack\.com/);
        expect(yamlText).toContain('start_time: "02:00"');
        expect(yamlText).toContain('- "1:7"');
        expect(parse(yamlText).global.smtp_auth_password_file).toBe(
            "/etc/alertmanager/secrets/alertmanager-receivers/smtp-password",
        );
        const component = recorded.one(
            "mcp-platform:monitoring:AlertmanagerConfig",
            "alertmanager",
        );
        expect(component.inputs.alertmanagerYaml).toBe(yamlText);
    });
});
