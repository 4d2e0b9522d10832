import type { Origin, Region, Settings } from "./env";
import { escapeHtml, html, json } from "./responses";
import type { Switches } from "./switches";

/**
 * /health/detailed and /status: the switches and each origin's health, from
 * `GET <origin><HEALTH_PATH>` under the origin timeout.
 *
 * Probe results are cached per isolate for HEALTH_CACHE_SECONDS, and concurrent requests
 * share one probe in flight, so however often the endpoints are called, an isolate sends each
 * origin at most one probe per cache period (the endpoints are also rate limited per client,
 * index.ts). The switches are still read on every call: they are what the DR tooling polls.
 *
 * Origins appear by region only: no hostname, address, binding value or secret.
 * In DR mode (`active-region` = "dr") the primary is not probed unless `?origins=all` asks
 * for it (e.g. to check the primary before a failback).
 */

export interface OriginHealth {
    readonly status: "up" | "down" | "not_checked";
    readonly httpStatus?: number;
    readonly latencyMs?: number;
    readonly error?: "refused" | "timeout" | "unhealthy_status";
    /** When this result was probed (it may come from the isolate's cache). */
    readonly checkedAt?: string;
}

export interface DetailedHealth {
    /** ok: the active origin is up; degraded: only the failover origin is; down: none is. */
    readonly status: "ok" | "degraded" | "down";
    readonly service: "mcp-edge";
    readonly environment: string;
    readonly activeRegion: Region;
    readonly maintenance: boolean;
    readonly checkedAt: string;
    readonly origins: Readonly<Record<Region, OriginHealth>>;
    readonly switchProblems: readonly string[];
}

async function probe(origin: Origin, settings: Settings): Promise<OriginHealth> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
    const started = Date.now();
    const checkedAt = new Date(started).toISOString();
    try {
        const response = await fetch(`${origin.base}${settings.healthPath}`, {
            headers: {
                "user-agent": "mcp-edge-health",
                ...(settings.originAuthToken ? { "x-edge-auth": settings.originAuthToken } : {}),
            },
            redirect: "manual",
            signal: controller.signal,
        });
        await response.body?.cancel();
        const latencyMs = Date.now() - started;
        const up = response.status >= 200 && response.status < 400;
        return {
            status: up ? "up" : "down",
            httpStatus: response.status,
            latencyMs,
            ...(up ? {} : { error: "unhealthy_status" as const }),
            checkedAt,
        };
    } catch {
        return {
            status: "down",
            latencyMs: Date.now() - started,
            error: controller.signal.aborted ? "timeout" : "refused",
            checkedAt,
        };
    } finally {
        clearTimeout(timer);
    }
}

/** This isolate's probe results and probes in flight, by origin base URL. */
const probeCache = new Map<string, { readonly value: OriginHealth; readonly expires: number }>();
const probesInFlight = new Map<string, Promise<OriginHealth>>();

/** An origin's health: the cached result while fresh, else one shared probe. */
export function cachedProbe(origin: Origin, settings: Settings): Promise<OriginHealth> {
    const cached = probeCache.get(origin.base);
    if (cached && Date.now() < cached.expires) return Promise.resolve(cached.value);
    const running = probesInFlight.get(origin.base);
    if (running) return running;
    const started = probe(origin, settings)
        .then((value) => {
            if (settings.healthCacheMs > 0) {
                probeCache.set(origin.base, {
                    value,
                    expires: Date.now() + settings.healthCacheMs,
                });
            }
            return value;
        })
        .finally(() => probesInFlight.delete(origin.base));
    probesInFlight.set(origin.base, started);
    return started;
}

export async function detailedHealth(
    settings: Settings,
    switches: Switches,
    probeAll: boolean,
): Promise<DetailedHealth> {
    const skipPrimary = switches.activeRegion === "dr" && !probeAll;
    const [primary, dr] = await Promise.all([
        skipPrimary
            ? Promise.resolve<OriginHealth>({ status: "not_checked" })
            : cachedProbe(settings.origins.primary, settings),
        cachedProbe(settings.origins.dr, settings),
    ]);
    const origins = { primary, dr };
    const active = origins[switches.activeRegion];
    const failoverUp = switches.activeRegion === "primary" && dr.status === "up";
    return {
        status: active.status === "up" ? "ok" : failoverUp ? "degraded" : "down",
        service: "mcp-edge",
        environment: settings.environment,
        activeRegion: switches.activeRegion,
        maintenance: switches.maintenance,
        checkedAt: new Date().toISOString(),
        origins,
        switchProblems: switches.problems,
    };
}

/** 200 while traffic can be served (ok or degraded), 503 when it cannot. */
export function detailedHealthResponse(health: DetailedHealth): Response {
    return json(health.status === "down" ? 503 : 200, health);
}

export function statusPage(health: DetailedHealth): Response {
    const row = (region: Region) => {
        const o = health.origins[region];
        const detail = [
            o.httpStatus === undefined ? "" : `HTTP ${o.httpStatus}`,
            o.latencyMs === undefined ? "" : `${o.latencyMs} ms`,
            o.error ?? "",
        ]
            .filter(Boolean)
            .join(", ");
        const active = region === health.activeRegion ? " (active)" : "";
        return `<tr><td>${region}${active}</td><td class="${o.status}">${o.status}</td><td>${escapeHtml(detail)}</td></tr>`;
    };
    const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MCP platform status</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:46rem;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
.up,.ok{color:#17672c}.down{color:#a4161a}.degraded,.not_checked{color:#8a5a00}
</style>
</head>
<body>
<h1>MCP platform status: <span class="${health.status}">${health.status}</span></h1>
<p>Environment <strong>${escapeHtml(health.environment)}</strong>. Traffic goes to the
<strong>${health.activeRegion}</strong> region. Maintenance mode is
<strong>${health.maintenance ? "on" : "off"}</strong>.</p>
<table>
<thead><tr><th>region</th><th>status</th><th>detail</th></tr></thead>
<tbody>
${row("primary")}
${row("dr")}
</tbody>
</table>
<p><small>Checked at ${escapeHtml(health.checkedAt)}.</small></p>
</body>
</html>
`;
    return html(health.status === "down" ? 503 : 200, body);
}

export function maintenancePage(retryAfter: number, requestId: string, asJson: boolean): Response {
    const headers = { "retry-after": String(retryAfter) };
    if (asJson) {
        return json(
            503,
            {
                error: "maintenance",
                message: "the platform is in maintenance; retry later",
                retryAfterSeconds: retryAfter,
                requestId,
            },
            headers,
        );
    }
    const minutes = Math.max(1, Math.round(retryAfter / 60));
    return html(
        503,
        `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Maintenance</title>
<style>body{font-family:system-ui,sans-serif;margin:4rem auto;max-width:36rem;padding:0 1rem}</style></head>
<body>
<h1>Down for maintenance</h1>
<p>The MCP platform is undergoing planned maintenance. Please try again in about ${minutes} minute(s).</p>
<p><small>Request ${escapeHtml(requestId)}</small></p>
</body>
</html>
`,
        headers,
    );
}
