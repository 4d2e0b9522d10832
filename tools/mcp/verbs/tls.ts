import {
    exitCodes,
    jsonOption,
    jsonOptionHelp,
    parseCount,
    parseVerbArgs,
    table,
    UsageError,
} from "../lib/cli";
import type { Io } from "../lib/context";
import { stackContext } from "../lib/context";
import { instantQuery, prometheusUrl } from "../lib/prometheus";
import type { Verb } from "./verb";
import { certificateThresholds, probeJobName } from "../../../contracts/monitoring";

export interface CertificateState {
    readonly instance: string;
    /** Seconds until the earliest certificate of the chain expires; undefined without TLS data. */
    readonly expiresInSeconds?: number;
    readonly expiresAt?: string;
    readonly probeSucceeded: boolean;
    readonly state: "ok" | "warning" | "critical" | "probe-failing";
}

export const tls: Verb = {
    name: "tls",
    help: {
        synopsis: ["mcp tls check [--warn-days 21] [--prometheus-url URL] [--json]"],
        summary:
            "The certificates clients are served at the platform's public endpoints, from the blackbox exporter's probes in Prometheus (probe_ssl_earliest_cert_expiry, probe_success of job blackbox): days left per endpoint, the same thresholds as the CertificateExpiringSoon alert.",
        options: [
            {
                flag: "--warn-days N",
                text: `warn below N days (default ${certificateThresholds.warningDays}; critical below ${certificateThresholds.criticalDays})`,
            },
            {
                flag: "--prometheus-url URL",
                text: "Prometheus (default: $MCP_PROMETHEUS_URL, else http://127.0.0.1:9090, the port-forward)",
            },
            jsonOptionHelp,
        ],
        notes: [
            "Exit codes: 0 every certificate has more than --warn-days left; 1 one expires sooner or its probe fails; 2 usage; 3 Prometheus unreachable.",
        ],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...jsonOption,
            "warn-days": { type: "string" },
            "prometheus-url": { type: "string" },
        });
        if (positionals[0] !== "check" || positionals.length > 1)
            throw new UsageError("expected `mcp tls check`");
        const warnDays = parseCount(
            "--warn-days",
            values["warn-days"] ?? String(certificateThresholds.warningDays),
            1,
        );
        const { stack } = await stackContext(values.stack, io);
        const base = prometheusUrl(values["prometheus-url"], io);
        const job = `job="${probeJobName}"`;
        const [expiry, success] = await Promise.all([
            instantQuery(
                base,
                `min by (instance) (probe_ssl_earliest_cert_expiry{${job}}) - time()`,
            ),
            instantQuery(base, `min by (instance) (probe_success{${job}})`),
        ]);
        const instances = [
            ...new Set([...expiry, ...success].map((s) => s.labels.instance)),
        ].sort();
        const now = Date.now();
        const certificates: CertificateState[] = instances.map((instance) => {
            const left = expiry.find((s) => s.labels.instance === instance)?.value;
            const probeSucceeded = success.find((s) => s.labels.instance === instance)?.value === 1;
            const days = left === undefined ? undefined : left / 86400;
            const state =
                !probeSucceeded || days === undefined
                    ? "probe-failing"
                    : days < certificateThresholds.criticalDays
                      ? "critical"
                      : days < warnDays
                        ? "warning"
                        : "ok";
            return {
                instance,
                expiresInSeconds: left === undefined ? undefined : Math.round(left),
                expiresAt:
                    left === undefined ? undefined : new Date(now + left * 1000).toISOString(),
                probeSucceeded,
                state,
            };
        });
        const healthy = certificates.length > 0 && certificates.every((c) => c.state === "ok");
        if (values.json) {
            io.out(JSON.stringify({ stack, prometheus: base, healthy, certificates }, null, 2));
        } else if (certificates.length === 0) {
            io.out(
                `no blackbox probe results in ${base}: is the blackbox-exporter Probe deployed and scraped?`,
            );
        } else {
            for (const line of table([
                ["endpoint", "days left", "expires", "state"],
                ...certificates.map((c) => [
                    c.instance,
                    c.expiresInSeconds === undefined
                        ? "-"
                        : (c.expiresInSeconds / 86400).toFixed(1),
                    c.expiresAt?.slice(0, 10) ?? "-",
                    c.state === "ok" ? "ok" : c.state.toUpperCase(),
                ]),
            ]))
                io.out(line);
        }
        return healthy ? exitCodes.ok : exitCodes.problem;
    },
};
