import { z } from "zod";
import {
    type MaintenanceWindow,
    severities,
    type Severity,
    weekdays,
} from "../contracts/monitoring";
import { pinnedImage } from "./lib/validators";

/**
 * `mcp-platform:monitoring` — what the alerting of a stack is made of besides the manuals'
 * fixed thresholds (those live in the typed rule catalog, components/monitoring/alert-catalog/): the SLOs
 * the burn-rate alerts are generated from, where alerts are delivered, the maintenance
 * windows that mute them, and the few values that depend on the environment.
 *
 * Credentials of the receivers are separate top-level keys, accepted only as secrets
 * (see {@link alertingCredentialKeys}).
 */

const kebabName = z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, {
    message: "expected a lowercase kebab-case name such as availability",
});

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, {
    message: "expected a Prometheus label name such as namespace",
});

/** A Prometheus duration such as `30m`, `1h` or `1h30m`. */
export const promDuration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, {
    message: "expected a Prometheus duration such as 30m or 1h",
});

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, {
    message: 'expected a UTC time of day such as "02:00"',
});

const emailAddress = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, {
    message: "expected an email address such as ops@example.com",
});

const httpsUrl = z.string().regex(/^https:\/\/[^\s/]+(\/\S*)?$/, {
    message: "expected an https:// URL",
});

/** prometheus/blackbox_exporter v0.28.0 (2025-12-04), the image the exporter runs by default. */
export const defaultBlackboxExporterImage = "quay.io/prometheus/blackbox-exporter:v0.28.0";

export { severities, type Severity };

/**
 * One service level objective. Burn-rate alerts (multi-window, multi-burn-rate, Google SRE
 * workbook) and their recording rules are generated from it, per `namespace`/`service`.
 */
export const sloSchema = z
    .strictObject({
        /** Lowercase name; the alert is `<Name>ErrorBudgetBurn`, e.g. AvailabilityErrorBudgetBurn. */
        name: kebabName,
        /**
         * What counts as a bad request: `availability` = a 5xx response
         * (`mcp_requests_total{status=~"5.."}`); `latency` = slower than
         * `latencyThresholdSeconds` (`mcp_request_duration_seconds_bucket`).
         */
        sli: z.enum(["availability", "latency"]),
        /** Target share of good requests, in percent (99.9 = three nines). */
        objective: z.number().gt(0).lt(100),
        /**
         * Latency SLIs only: a request is good when it completes within this many seconds. It
         * must be a bucket boundary (`le`) of mcp_request_duration_seconds.
         */
        latencyThresholdSeconds: z.number().positive().optional(),
        /** Equality matchers restricting the SLO to some services. @default {} (every MCP service) */
        selector: z.record(labelName, z.string().min(1)).default({}),
        /** The SLO period the burn-rate factors are computed for. @default 30 */
        periodDays: z.number().int().min(7).max(90).default(30),
    })
    .superRefine((slo, ctx) => {
        if (slo.sli === "latency" && slo.latencyThresholdSeconds === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["latencyThresholdSeconds"],
                message: "expected seconds such as 0.1 (a latency SLO needs its threshold)",
                input: undefined,
            });
        }
        if (slo.sli === "availability" && slo.latencyThresholdSeconds !== undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["latencyThresholdSeconds"],
                message: "expected no latency threshold on an availability SLO",
                input: slo.latencyThresholdSeconds,
            });
        }
    });

export type SloConfig = z.output<typeof sloSchema>;

const weekday = z.enum(weekdays);

/**
 * A recurring maintenance window (UTC). Alerts of the listed severities from the listed
 * namespaces are not delivered during it (Alertmanager `mute_time_intervals`); they still
 * show in Alertmanager and Grafana.
 */
export const maintenanceWindowSchema = z
    .strictObject({
        /** Name of the Alertmanager time interval. */
        name: kebabName,
        weekdays: z.array(weekday).min(1),
        /** Days of the month, e.g. `1:7` with `saturday` = the first Saturday. @default every day */
        daysOfMonth: z
            .string()
            .regex(/^([1-9]|[12]\d|3[01])(:([1-9]|[12]\d|3[01]))?$/, {
                message: 'expected a day or a range of days of the month such as "1:7"',
            })
            .optional(),
        start: clockTime,
        end: clockTime,
        namespaces: z.array(z.string().regex(/^[a-z0-9-]+$/)).min(1),
        severities: z.array(z.enum(severities)).min(1),
    })
    .superRefine((window, ctx) => {
        if (window.start >= window.end) {
            ctx.addIssue({
                code: "custom",
                path: ["end"],
                input: window.end,
                message: `expected a time after start ${window.start} (a window cannot cross midnight; split it in two)`,
            });
        }
    });

/** The schema's output is the contract's window (contracts/monitoring.ts). */
export type { MaintenanceWindow };
const _windowMatchesContract: (w: z.output<typeof maintenanceWindowSchema>) => MaintenanceWindow = (
    w,
) => w;
void _windowMatchesContract;

export const monitoringSchema = z.strictObject({
    /**
     * Where `docs/runbooks/` of this repository is browsable; every alert's `runbook_url` is
     * `<runbookBaseUrl>/<AlertName>.md`.
     */
    runbookBaseUrl: httpsUrl,
    slos: z.array(sloSchema).min(1),
    receivers: z.strictObject({
        /** Slack channel of the warning receiver. @default "#mcp-alerts" */
        slackChannel: z
            .string()
            .regex(/^#[a-z0-9._-]+$/, { message: "expected a Slack channel such as #mcp-alerts" })
            .default("#mcp-alerts"),
        /** The default receiver (everything neither critical nor warning). */
        email: z.strictObject({
            to: emailAddress,
            from: emailAddress,
            /** SMTP relay as host:port. */
            smarthost: z.string().regex(/^[a-z0-9.-]+:\d{1,5}$/, {
                message: "expected host:port such as smtp.example.com:587",
            }),
            username: z.string().min(1),
            /** @default true */
            requireTls: z.boolean().default(true),
        }),
        /**
         * The dead man's switch: the always-firing Watchdog alert is sent here every
         * `repeatInterval`; the service pages when the pings stop. The endpoint is not secret;
         * its credential (`mcp-platform:deadMansSwitchToken`) goes in the Authorization header.
         */
        deadMansSwitch: z.strictObject({
            url: httpsUrl,
            /** Authorization scheme, e.g. `GenieKey` for an Opsgenie heartbeat. @default "Bearer" */
            authorizationType: z
                .string()
                .regex(/^[A-Za-z][A-Za-z0-9-]*$/)
                .default("Bearer"),
            /** @default "1m" */
            repeatInterval: promDuration.default("1m"),
        }),
    }),
    maintenanceWindows: z.array(maintenanceWindowSchema).default([]),
    /**
     * A backup CronJob is stale when its last success is older than its schedule's period
     * plus this grace (the time a run may take). @default "30m"
     */
    backupStaleGrace: promDuration.default("30m"),
    /** Quota of the artifact registry; ArtifactStorageFull fires above 90 % of it. */
    artifactStorageQuotaGiB: z.number().int().positive(),
    /**
     * The blackbox exporter that probes the public HTTPS endpoints (certificate expiry,
     * CertificateExpiringSoon). @default { image: defaultBlackboxExporterImage }
     */
    blackboxExporter: z
        .strictObject({
            /** @default defaultBlackboxExporterImage */
            image: pinnedImage.default(defaultBlackboxExporterImage),
        })
        .prefault({}),
});

export type MonitoringConfig = z.output<typeof monitoringSchema>;

/**
 * Credentials of the Alertmanager receivers, as top-level `mcp-platform:` keys. They are
 * accepted only as secrets (`pulumi config set --secret mcp-platform:<key> <value>`), read
 * through `cfg.credentials`, and written only to the `alertmanager-receivers` Secret.
 */
export const alertingCredentialKeys = {
    /** PagerDuty Events API v2 integration (routing) key of the critical receiver. */
    pagerdutyRoutingKey: "mcp-platform:pagerdutyRoutingKey",
    /** Slack incoming-webhook URL of the warning receiver. */
    slackWebhookUrl: "mcp-platform:slackWebhookUrl",
    /** Password of the SMTP user of the email receiver. */
    smtpPassword: "mcp-platform:smtpPassword",
    /** Credential of the dead man's switch endpoint (sent as `Authorization: <type> <token>`). */
    deadMansSwitchToken: "mcp-platform:deadMansSwitchToken",
} as const;

/**
 * The value itself is read through cfg.credentials (a Pulumi secret), never here. Required:
 * config/index.ts reports a missing one with the `pulumi config set --secret` command that sets it.
 */
const credential = z
    .string()
    .min(1)
    .optional()
    .transform(() => undefined);

/** Schema entries of the credential keys; spread into `platformSchema`. */
export const alertingCredentialFields = {
    pagerdutyRoutingKey: credential,
    slackWebhookUrl: credential,
    smtpPassword: credential,
    deadMansSwitchToken: credential,
};
