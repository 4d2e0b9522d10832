import { edgeBaseUrl, healthUrl, requestTimeoutMs } from "../../lib/dr/edge";
import { fetchGet } from "../../lib/dr/http";
import type { PlatformConfig } from "../../../config";
import { CliError, exitCodes } from "./cli";
import type { Io } from "./context";

/** The edge Worker's `/health/detailed` (worker/src/health.ts), as far as the CLI reads it. */
export interface EdgeHealth {
    readonly status: "ok" | "degraded" | "down";
    readonly activeRegion: "primary" | "dr";
    readonly maintenance: boolean;
    readonly origins: Readonly<
        Record<
            string,
            {
                status: string;
                httpStatus?: number;
                latencyMs?: number;
                error?: string;
            }
        >
    >;
    readonly switchProblems: readonly string[];
}

/**
 * The edge's base URL: `--edge-url`, else `$MCP_EDGE_URL`, else `https://<edge.hostname>` of
 * the stack's config; undefined when the stack declares no edge.
 */
export function edgeUrl(
    given: string | undefined,
    cfg: PlatformConfig,
    io: Io,
): string | undefined {
    const value = given ?? io.env.MCP_EDGE_URL ?? cfg.edge?.hostname;
    return value === undefined ? undefined : edgeBaseUrl(value);
}

export async function readEdgeHealth(base: string): Promise<EdgeHealth> {
    const url = healthUrl(base);
    let response;
    try {
        response = await fetchGet(url, requestTimeoutMs);
    } catch (error) {
        throw new CliError(
            `GET ${url} failed: ${(error as Error).message}`,
            "check the network path to the edge (or pass --edge-url)",
            exitCodes.unreachable,
        );
    }
    // 200 while traffic can be served, 503 when no origin is up: both carry the report.
    let body: Partial<EdgeHealth> | undefined;
    try {
        body = JSON.parse(response.body) as Partial<EdgeHealth>;
    } catch {
        body = undefined;
    }
    if (!body || typeof body.status !== "string" || typeof body.origins !== "object") {
        throw new CliError(
            `GET ${url} answered ${response.status} without the edge's health report`,
            "check that --edge-url points at the edge Worker",
            exitCodes.unreachable,
        );
    }
    return {
        status: body.status,
        activeRegion: body.activeRegion ?? "primary",
        maintenance: body.maintenance === true,
        origins: body.origins ?? {},
        switchProblems: body.switchProblems ?? [],
    } as EdgeHealth;
}
