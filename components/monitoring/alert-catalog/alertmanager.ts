import type { MaintenanceWindow, Severity } from "../../../contracts/monitoring";
import { oneOf } from "./promql";

/**
 * The Alertmanager configuration, rendered from typed settings. It holds no credential:
 * every receiver reads its key, URL or password from a file of the `alertmanager-receivers`
 * Secret, which kube-prometheus-stack mounts into the Alertmanager pod. Only fields that both
 * Debian's amtool 0.25 (CI) and the chart's Alertmanager (0.28+) accept are used; classic
 * quoted matchers (`severity="critical"`) parse the same in both.
 */

/** Receiver names, as `amtool config routes test` prints them. */
export const receiverNames = {
    critical: "pagerduty-critical",
    warning: "slack-warning",
    default: "email-default",
    deadMansSwitch: "deadmans-switch",
    discard: "null",
} as const;

/** File names (Secret keys) of the credentials in the `alertmanager-receivers` Secret. */
export const receiverSecretKeys = {
    pagerdutyRoutingKey: "pagerduty-routing-key",
    slackWebhookUrl: "slack-webhook-url",
    smtpPassword: "smtp-password",
    deadMansSwitchToken: "deadmans-switch-token",
} as const;

/** The routing timings of the operations procedures. */
export const routeTimings = {
    groupBy: ["alertname", "cluster", "service"],
    groupWait: "10s",
    groupInterval: "10s",
    repeatInterval: "12h",
    resolveTimeout: "5m",
} as const;

/**
 * Labels that must be equal for a critical alert to mute a warning or info alert of the same
 * name: the same alert about the same thing (service, instance, volume, CronJob).
 */
export const sameAlertLabels = [
    "alertname",
    "cluster",
    "namespace",
    "service",
    "instance",
    "persistentvolumeclaim",
    "cronjob",
];

/** Where alerts go: the Slack channel, e-mail, and the dead man's switch Watchdog pings. */
export interface AlertReceivers {
    readonly slackChannel: string;
    readonly email: {
        readonly to: string;
        readonly from: string;
        /** `host:port` of the SMTP server. */
        readonly smarthost: string;
        readonly username: string;
        readonly requireTls: boolean;
    };
    readonly deadMansSwitch: {
        readonly url: string;
        readonly authorizationType: string;
        readonly repeatInterval: string;
    };
}

export interface AlertmanagerSettings {
    readonly receivers: AlertReceivers;
    readonly maintenanceWindows: readonly MaintenanceWindow[];
    /** Alert names ServiceDown mutes for the same service (catalog `symptom` alerts). */
    readonly symptomAlerts: readonly string[];
    /** Where the `alertmanager-receivers` Secret is mounted in the Alertmanager pod. */
    readonly secretsDir: string;
}

interface Route {
    receiver: string;
    matchers?: string[];
    group_wait?: string;
    group_interval?: string;
    repeat_interval?: string;
    mute_time_intervals?: string[];
    routes?: Route[];
}

/**
 * Child routes that mute a severity's alerts in the maintenance windows of their namespace.
 * One child per namespace carries every window that applies to it (the first matching child
 * wins, so two children for one namespace would leave the second window unapplied).
 */
function maintenanceRoutes(
    windows: readonly MaintenanceWindow[],
    severity: Severity,
    receiver: string,
): Route[] {
    const byNamespace = new Map<string, string[]>();
    for (const window of windows) {
        if (!window.severities.includes(severity)) continue;
        for (const namespace of window.namespaces) {
            byNamespace.set(namespace, [...(byNamespace.get(namespace) ?? []), window.name]);
        }
    }
    return [...byNamespace].map(([namespace, names]) => ({
        receiver,
        matchers: [`namespace="${namespace}"`],
        mute_time_intervals: names,
    }));
}

function severityRoute(
    severity: Severity,
    receiver: string,
    windows: readonly MaintenanceWindow[],
): Route {
    const route: Route = { receiver, matchers: [`severity="${severity}"`] };
    const children = maintenanceRoutes(windows, severity, receiver);
    if (children.length > 0) route.routes = children;
    return route;
}

function timeInterval(window: MaintenanceWindow) {
    const interval: Record<string, unknown> = {
        weekdays: [...window.weekdays],
        times: [{ start_time: window.start, end_time: window.end }],
        location: "UTC",
    };
    if (window.daysOfMonth !== undefined) interval.days_of_month = [window.daysOfMonth];
    return { name: window.name, time_intervals: [interval] };
}

/** The whole `alertmanager.yaml`, as a plain object (stringify it with `yaml`). */
export function alertmanagerConfig(settings: AlertmanagerSettings): Record<string, unknown> {
    const { receivers, maintenanceWindows: windows } = settings;
    const file = (key: string) => `${settings.secretsDir.replace(/\/+$/, "")}/${key}`;
    const runbook = "{{ (index .Alerts 0).Annotations.runbook_url }}";

    const config: Record<string, unknown> = {
        global: {
            resolve_timeout: routeTimings.resolveTimeout,
            smtp_smarthost: receivers.email.smarthost,
            smtp_from: receivers.email.from,
            smtp_auth_username: receivers.email.username,
            smtp_auth_password_file: file(receiverSecretKeys.smtpPassword),
            smtp_require_tls: receivers.email.requireTls,
        },
        route: {
            receiver: receiverNames.default,
            group_by: [...routeTimings.groupBy],
            group_wait: routeTimings.groupWait,
            group_interval: routeTimings.groupInterval,
            repeat_interval: routeTimings.repeatInterval,
            routes: [
                {
                    receiver: receiverNames.deadMansSwitch,
                    matchers: ['alertname="Watchdog"'],
                    group_wait: "0s",
                    group_interval: receivers.deadMansSwitch.repeatInterval,
                    repeat_interval: receivers.deadMansSwitch.repeatInterval,
                },
                { receiver: receiverNames.discard, matchers: ['alertname="InfoInhibitor"'] },
                severityRoute("critical", receiverNames.critical, windows),
                severityRoute("warning", receiverNames.warning, windows),
                severityRoute("info", receiverNames.default, windows),
            ],
        },
        inhibit_rules: [
            {
                source_matchers: ['severity="critical"'],
                target_matchers: ['severity=~"warning|info"'],
                equal: [...sameAlertLabels],
            },
            {
                source_matchers: ['alertname="InfoInhibitor"'],
                target_matchers: ['severity="info"', 'alertname!~"Watchdog|InfoInhibitor"'],
                equal: ["cluster", "namespace"],
            },
            ...(settings.symptomAlerts.length > 0
                ? [
                      {
                          source_matchers: ['alertname="ServiceDown"'],
                          target_matchers: [`alertname=~"${oneOf(settings.symptomAlerts)}"`],
                          equal: ["cluster", "namespace", "service"],
                      },
                  ]
                : []),
        ],
        receivers: [
            {
                name: receiverNames.critical,
                pagerduty_configs: [
                    {
                        routing_key_file: file(receiverSecretKeys.pagerdutyRoutingKey),
                        send_resolved: true,
                        severity: "critical",
                        links: [{ href: runbook, text: "Runbook" }],
                    },
                ],
            },
            {
                name: receiverNames.warning,
                slack_configs: [
                    {
                        api_url_file: file(receiverSecretKeys.slackWebhookUrl),
                        channel: receivers.slackChannel,
                        send_resolved: true,
                        title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
                        title_link: runbook,
                        text: "{{ range .Alerts }}{{ .Annotations.description }}\n{{ end }}",
                    },
                ],
            },
            {
                name: receiverNames.default,
                email_configs: [{ to: receivers.email.to, send_resolved: true }],
            },
            {
                name: receiverNames.deadMansSwitch,
                webhook_configs: [
                    {
                        url: receivers.deadMansSwitch.url,
                        send_resolved: false,
                        http_config: {
                            authorization: {
                                type: receivers.deadMansSwitch.authorizationType,
                                credentials_file: file(receiverSecretKeys.deadMansSwitchToken),
                            },
                        },
                    },
                ],
            },
            { name: receiverNames.discard },
        ],
    };
    if (windows.length > 0) config.time_intervals = windows.map(timeInterval);
    return config;
}
