import { mcpServicesScrapeJob } from "../../../contracts/names";
import { health as spec } from "../catalog";
import {
    CliError,
    duration,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import { edgeUrl, readEdgeHealth } from "../lib/edge";
import { describeStatus, type Kube, rolledOut } from "../lib/kube";
import { instantQuery } from "../lib/prometheus";
import { allServices, dataStores, resolveService, type Workload } from "../lib/services";
import type { Verb } from "./verb";

/** One line of the report: a thing checked and whether it is healthy. */
export interface HealthCheck {
    readonly name: string;
    readonly healthy: boolean;
    readonly detail: string;
    /** The system behind the check could not be reached: nothing was checked there. */
    readonly unreachable?: true;
}

export interface HealthReport {
    readonly stack: string;
    readonly healthy: boolean;
    readonly checks: readonly HealthCheck[];
}

/** A failed check from a CliError: unreachable when the error says so (exit code 3). */
function failedCheck(name: string, error: CliError, detail = error.problem): HealthCheck {
    return error.exitCode === exitCodes.unreachable
        ? { name, healthy: false, detail, unreachable: true }
        : { name, healthy: false, detail };
}

/**
 * The exit code of a report (docs/operations.md#the-mcp-cli): 1 when something reached is
 * unhealthy, else 3 when a system could not be reached, else 0.
 */
export function healthExitCode(report: HealthReport): number {
    const bad = report.checks.filter((c) => !c.healthy);
    if (bad.some((c) => !c.unreachable)) return exitCodes.problem;
    return bad.length > 0 ? exitCodes.unreachable : exitCodes.ok;
}

async function workloadChecks(
    kube: Kube | CliError,
    targets: readonly Workload[],
): Promise<HealthCheck[]> {
    if (kube instanceof CliError) {
        return [failedCheck("cluster", kube, `${kube.problem} (what to do: ${kube.remedy})`)];
    }
    const checks: HealthCheck[] = [];
    for (const w of targets) {
        const name = `${w.kind.toLowerCase()}/${w.name} (${w.namespace})`;
        try {
            const s = await kube.workloadStatus(w);
            const idle = s.exists && s.desired === 0;
            checks.push({
                name,
                healthy: rolledOut(s) && !idle,
                detail: idle ? "scaled to 0: not serving" : describeStatus(s),
            });
        } catch (error) {
            if (!(error instanceof CliError)) throw error;
            checks.push(failedCheck(name, error));
            if (error.exitCode === exitCodes.unreachable) break;
        }
    }
    return checks;
}

async function edgeChecks(base: string): Promise<HealthCheck[]> {
    try {
        const edge = await readEdgeHealth(base);
        const checks: HealthCheck[] = [
            {
                name: "edge",
                healthy: edge.status === "ok",
                detail: `${edge.status}, active region ${edge.activeRegion}${edge.maintenance ? ", maintenance on" : ""}`,
            },
        ];
        for (const [region, o] of Object.entries(edge.origins)) {
            if (o.status === "not_checked") continue;
            const active = region === edge.activeRegion;
            checks.push({
                name: `edge origin ${region}`,
                // The standby origin may be down while the primary serves (the dr stack stands by).
                healthy: o.status === "up" || !active,
                detail: [
                    o.status,
                    o.httpStatus && `HTTP ${o.httpStatus}`,
                    o.latencyMs !== undefined && `${o.latencyMs} ms`,
                    o.error,
                ]
                    .filter(Boolean)
                    .join(", "),
            });
        }
        for (const problem of edge.switchProblems) {
            checks.push({ name: "edge switches", healthy: false, detail: problem });
        }
        return checks;
    } catch (error) {
        if (!(error instanceof CliError)) throw error;
        return [failedCheck("edge", error)];
    }
}

/** Instances Prometheus cannot scrape and critical alerts that fire. */
async function prometheusChecks(base: string, service?: string): Promise<HealthCheck[]> {
    const only = service ? `, service="${service}"` : "";
    try {
        const down = await instantQuery(base, `up{job="${mcpServicesScrapeJob}"${only}} == 0`);
        const firing = await instantQuery(
            base,
            `ALERTS{alertstate="firing", severity="critical"${only}}`,
        );
        return [
            {
                name: "scrape targets",
                healthy: down.length === 0,
                detail:
                    down.length === 0
                        ? "every MCP service instance is up"
                        : `down: ${down.map((s) => s.labels.instance).join(", ")}`,
            },
            {
                name: "critical alerts",
                healthy: firing.length === 0,
                detail:
                    firing.length === 0
                        ? "none firing"
                        : firing
                              .map(
                                  (s) =>
                                      `${s.labels.alertname}${s.labels.service ? `{service=${s.labels.service}}` : ""}`,
                              )
                              .join(", "),
            },
        ];
    } catch (error) {
        if (!(error instanceof CliError)) throw error;
        return [failedCheck("prometheus", error)];
    }
}

export const health: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        if (positionals.length > 1) throw new UsageError("give at most one service");
        if (values.timeout !== undefined && !values.wait)
            throw new UsageError("--timeout only applies with --wait");
        const timeoutMs = duration("--timeout", values.timeout ?? "5m");
        const context = await stackContext(values.stack, io);
        const { stack, cfg } = context;
        const service = positionals[0];
        const targets = service
            ? resolveService(cfg, service)
            : [...allServices(cfg), ...dataStores()];
        const edge =
            service || values["no-edge"] ? undefined : edgeUrl(values["edge-url"], cfg, io);
        const prometheus = values["prometheus-url"] ?? io.env.MCP_PROMETHEUS_URL;
        let kube: Kube | CliError | undefined;
        if (!values["no-cluster"]) {
            try {
                kube = await kubeFor(context, values, io);
            } catch (error) {
                if (!(error instanceof CliError)) throw error;
                kube = error;
            }
        }

        const deadline = Date.now() + timeoutMs;
        let report: HealthReport;
        for (;;) {
            const checks = [
                ...(edge ? await edgeChecks(edge) : []),
                ...(kube ? await workloadChecks(kube, targets) : []),
                ...(prometheus
                    ? await prometheusChecks(prometheus.replace(/\/+$/, ""), service)
                    : []),
            ];
            report = { stack, healthy: checks.every((c) => c.healthy), checks };
            if (report.healthy || !values.wait || Date.now() + 5000 > deadline) break;
            io.err(`waiting: ${checks.filter((c) => !c.healthy).length} unhealthy`);
            await new Promise((resolve) => setTimeout(resolve, 5000));
        }

        if (format !== "text") {
            io.out(renderData(format, report));
        } else {
            const bad = report.checks.filter((c) => !c.healthy);
            for (const c of values.verbose ? report.checks : bad) {
                io.out(
                    `${c.healthy ? "ok  " : c.unreachable ? "N/A " : "FAIL"}  ${c.name}: ${c.detail}`,
                );
            }
            const code = healthExitCode(report);
            io.out(
                code === exitCodes.ok
                    ? `healthy: ${report.checks.length} checks on the ${stack} stack`
                    : code === exitCodes.unreachable
                      ? `NOT CHECKED: ${bad.length} of ${report.checks.length} checks on the ${stack} stack could not reach their system`
                      : `UNHEALTHY: ${bad.length} of ${report.checks.length} checks on the ${stack} stack`,
            );
        }
        return healthExitCode(report);
    },
};
