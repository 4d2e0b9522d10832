import { tls as spec } from "../catalog";
import {
    count,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
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
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        if (positionals[0] !== "check" || positionals.length > 1)
            throw new UsageError("expected `mcp tls check`");
        const warnDays = count(
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
        if (format !== "text") {
            io.out(renderData(format, { stack, prometheus: base, healthy, certificates }));
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
