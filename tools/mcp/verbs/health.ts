import { mcpServicesScrapeJob } from "../../../contracts/names";
import {
    CliError,
    exitCodes,
    jsonOption,
    jsonOptionHelp,
    parseDuration,
    parseVerbArgs,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, kubeOptionHelp, kubeOptions, stackContext } from "../lib/context";
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
}

export interface HealthReport {
    readonly stack: string;
    readonly healthy: boolean;
    readonly checks: readonly HealthCheck[];
}

async function workloadChecks(
    kube: Kube | CliError,
    targets: readonly Workload[],
): Promise<HealthCheck[]> {
    if (kube instanceof CliError) {
        return [{ name: "cluster", healthy: false, detail: `${kube.problem} (${kube.remedy})` }];
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
            checks.push({ name, healthy: false, detail: error.problem });
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
                name: `edge origin ${region} (${o.hostname})`,
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
        return [{ name: "edge", healthy: false, detail: error.problem }];
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
        return [{ name: "prometheus", healthy: false, detail: error.problem }];
    }
}

export const health: Verb = {
    name: "health",
    help: {
        synopsis: ["mcp health [service] [--verbose] [--wait [--timeout 5m]] [--json]"],
        summary:
            "Checks the platform: the edge's /health/detailed (status, active region, maintenance, origins), every service's Deployment and the data StatefulSets (ready and updated pods), and, with --prometheus-url or $MCP_PROMETHEUS_URL, the scrape targets and firing critical alerts. With a service, only that service.",
        options: [
            { flag: "--verbose", text: "list every check, not only the unhealthy ones" },
            { flag: "--wait", text: "check again every 5s until healthy" },
            { flag: "--timeout DURATION", text: "how long --wait waits (default 5m)" },
            {
                flag: "--edge-url URL",
                text: "the edge (default: $MCP_EDGE_URL, else https://<edge.hostname>)",
            },
            { flag: "--no-edge", text: "skip the edge" },
            {
                flag: "--no-cluster",
                text: "skip the Kubernetes checks (e.g. outside the stack's VPC)",
            },
            {
                flag: "--prometheus-url URL",
                text: "also ask Prometheus (default: $MCP_PROMETHEUS_URL; none)",
            },
            ...kubeOptionHelp,
            jsonOptionHelp,
        ],
        notes: [
            "Exit codes: 0 everything healthy; 1 something is unhealthy or could not be checked",
            "(each listed with what was seen); 2 usage.",
        ],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...kubeOptions,
            ...jsonOption,
            verbose: { type: "boolean" },
            wait: { type: "boolean" },
            timeout: { type: "string" },
            "edge-url": { type: "string" },
            "no-edge": { type: "boolean" },
            "no-cluster": { type: "boolean" },
            "prometheus-url": { type: "string" },
        });
        if (positionals.length > 1) throw new UsageError("give at most one service");
        if (values.timeout !== undefined && !values.wait)
            throw new UsageError("--timeout only applies with --wait");
        const timeoutMs = parseDuration("--timeout", values.timeout ?? "5m");
        const { stack, cfg } = await stackContext(values.stack, io);
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
                kube = await kubeFor(stack, values, io);
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
            if (!values.json) {
                io.err(`waiting: ${checks.filter((c) => !c.healthy).length} unhealthy`);
            }
            await new Promise((resolve) => setTimeout(resolve, 5000));
        }

        if (values.json) {
            io.out(JSON.stringify(report, null, 2));
        } else {
            const bad = report.checks.filter((c) => !c.healthy);
            for (const c of values.verbose ? report.checks : bad) {
                io.out(`${c.healthy ? "ok  " : "FAIL"}  ${c.name}: ${c.detail}`);
            }
            io.out(
                report.healthy
                    ? `healthy: ${report.checks.length} checks on the ${stack} stack`
                    : `UNHEALTHY: ${bad.length} of ${report.checks.length} checks on the ${stack} stack`,
            );
        }
        return report.healthy ? exitCodes.ok : exitCodes.problem;
    },
};
