import { stringify } from "yaml";

/**
 * The blackbox exporter's configuration and probe targets, as pure functions so tests can
 * check them with the real `blackbox_exporter --config.check` and pin the targets.
 *
 * The exporter probes the platform's public HTTPS endpoints from inside the cluster; Prometheus
 * scrapes it through a `Probe` (prometheus-operator), which sets `instance` to the probed URL
 * and `job` to `probeJobName` (contracts/monitoring.ts). `probe_ssl_earliest_cert_expiry{instance}` feeds the
 * CertificateExpiringSoon alert (components/monitoring/alert-catalog/datastores.ts).
 */

/** The exporter's HTTP port: `/probe`, `/metrics`, `/-/healthy`. */
export const blackboxPort = 9115;
/** The module the Probe asks for: HTTPS GET, 2xx, certificate verified. */
export const httpsModule = "http_2xx";

/** Where the ConfigMap is mounted and the file name inside it. */
export const configDir = "/etc/blackbox_exporter";
export const configFileName = "blackbox.yml";

/** The path probed on every public hostname; `/health` answers 2xx there. */
export const defaultHealthPath = "/health";

/**
 * blackbox.yml: one HTTPS module. Certificate verification stays ON (an invalid or expired
 * chain fails the probe, `probe_success` 0), plain HTTP fails (`fail_if_not_ssl`), and IPv4
 * is preferred: the VPC and the egress NetworkPolicy are IPv4.
 */
export function renderBlackboxConfig(timeoutSeconds = 10): string {
    return stringify({
        modules: {
            [httpsModule]: {
                prober: "http",
                timeout: `${timeoutSeconds}s`,
                http: {
                    method: "GET",
                    valid_status_codes: [],
                    follow_redirects: true,
                    fail_if_not_ssl: true,
                    preferred_ip_protocol: "ip4",
                    ip_protocol_fallback: false,
                    tls_config: { insecure_skip_verify: false },
                },
            },
        },
    });
}

/**
 * The public hostnames of a stack: every host of its ALB ingress routes, plus the edge's
 * hostname when the stack has an edge. Sorted, without duplicates.
 */
export function publicHostnames(
    routes: readonly { readonly hosts: readonly string[] }[],
    edgeHostname?: string,
): string[] {
    const hosts = new Set(routes.flatMap((route) => route.hosts));
    if (edgeHostname !== undefined) hosts.add(edgeHostname);
    return [...hosts].sort();
}

/**
 * `api.example.com` → `https://api.example.com/health`: the URLs the Probe lists. A Probe
 * without targets would silently never fire CertificateExpiringSoon, so none is an error.
 */
export function probeTargets(
    hostnames: readonly string[],
    healthPath: string = defaultHealthPath,
): string[] {
    if (hostnames.length === 0) {
        throw new Error("the blackbox exporter needs at least one public hostname to probe");
    }
    return [...new Set(hostnames)].sort().map((host) => `https://${host}${healthPath}`);
}
