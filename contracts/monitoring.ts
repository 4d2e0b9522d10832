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
