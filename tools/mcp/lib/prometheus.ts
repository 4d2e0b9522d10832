import { CliError, exitCodes, networkReason } from "./cli";
import type { Io } from "./context";

/**
 * Instant queries through the Prometheus HTTP API (`GET /api/v1/query`). The URL is
 * `--prometheus-url`, else `$MCP_PROMETHEUS_URL`, else the port-forward of
 * docs/operations.md#ground-rules (`http://127.0.0.1:9090`).
 */
export const defaultPrometheusUrl = "http://127.0.0.1:9090";

export function prometheusUrl(given: string | undefined, io: Io): string {
    return (given ?? io.env.MCP_PROMETHEUS_URL ?? defaultPrometheusUrl).replace(/\/+$/, "");
}

export interface Sample {
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
}

const portForward =
    "kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090:9090 (or pass --prometheus-url)";

/** The vector of an instant query; CliError (exit 3) when Prometheus cannot be asked. */
export async function instantQuery(base: string, query: string): Promise<Sample[]> {
    const url = `${base}/api/v1/query?query=${encodeURIComponent(query)}`;
    let response: Response;
    try {
        response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    } catch (error) {
        throw new CliError(
            `cannot reach Prometheus at ${base}: ${networkReason(error)}`,
            `start the port-forward: ${portForward}`,
            exitCodes.unreachable,
        );
    }
    const text = await response.text();
    let body: {
        status?: string;
        error?: string;
        data?: { resultType?: string; result?: unknown[] };
    };
    try {
        body = JSON.parse(text);
    } catch {
        throw new CliError(
            `${base} answered ${response.status} with something that is not the Prometheus API`,
            `point --prometheus-url at Prometheus: ${portForward}`,
            exitCodes.unreachable,
        );
    }
    if (body.status !== "success" || body.data?.resultType !== "vector") {
        throw new CliError(
            `Prometheus rejected the query ${query}: ${body.error ?? `HTTP ${response.status}`}`,
            "check that --prometheus-url is this platform's Prometheus",
        );
    }
    return (body.data.result as { metric: Record<string, string>; value: [number, string] }[]).map(
        (r) => ({ labels: r.metric, value: Number(r.value[1]) }),
    );
}
