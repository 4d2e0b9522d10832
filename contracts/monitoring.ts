/**
 * Monitoring names that the alert catalog, the blackbox exporter and `mcp tls` share
 * (docs/monitoring.md).
 */

/** Fixed Kubernetes names (operators type them: `kubectl -n monitoring get probe public-endpoints`). */
export const blackboxExporterName = "blackbox-exporter";
export const blackboxProbeName = "public-endpoints";
/** The `job` label of every probe series (the Probe's `jobName`). */
export const probeJobName = "blackbox";

/** Days before a certificate's expiry that CertificateExpiringSoon warns, then pages. */
export const certificateThresholds = {
    warningDays: 21,
    criticalDays: 7,
} as const;

/** Alert severities, most urgent first. */
export const severities = ["critical", "warning", "info"] as const;
export type Severity = (typeof severities)[number];

export const weekdays = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
] as const;

/**
 * A recurring maintenance window (UTC): alerts of these severities from these namespaces are
 * not delivered during it, and Karpenter does not disrupt nodes then.
 */
export interface MaintenanceWindow {
    /** Name of the Alertmanager time interval. */
    readonly name: string;
    readonly weekdays: readonly (typeof weekdays)[number][];
    /** Days of the month, e.g. `1:7` with `saturday` = the first Saturday. @default every day */
    readonly daysOfMonth?: string;
    /** `HH:MM`, UTC. */
    readonly start: string;
    /** `HH:MM`, UTC, after `start`. */
    readonly end: string;
    readonly namespaces: readonly string[];
    readonly severities: readonly Severity[];
}
