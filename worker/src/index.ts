import { MisconfiguredError, originsFor, settingsOf, type Env, type Settings } from "./env";
import { checkMethod, checkUrlLength, normalisePath, readBody, type Rejection } from "./guard";
import { clientIpOf, requestIdOf, secured } from "./headers";
import { detailedHealth, detailedHealthResponse, maintenancePage, statusPage } from "./health";
import { metrics, metricsJson, renderMetrics, type Route } from "./metrics";
import { proxy } from "./proxy";
import { json, wantsJson } from "./responses";
import { currentSwitches } from "./switches";

/**
 * The MCP platform's edge Worker (ES module).
 *
 *   GET /health           edge liveness: 200 without contacting any origin
 *   GET /health/detailed  switches plus each origin's status and latency (JSON)
 *   GET /metrics          Prometheus text exposition (`?format=json` for a jq-friendly view)
 *   GET /status           a small HTML status page
 *   anything else         proxied to the active region (see proxy.ts)
 *
 * The four endpoints belong to the edge hostname and workers.dev; on a public hostname with
 * its own origins (HOST_ORIGINS: api., semantic.) every path, these included, is the
 * application's and is proxied. /health/detailed and /status are rate limited per client
 * address (HEALTH_RATE_LIMITER), on workers.dev as on the zone, and answer from cached probes.
 *
 * Every response carries the security headers and `x-request-id`. The maintenance switch
 * answers 503 with `Retry-After` to everything except the four endpoints above.
 */

const edgeRoutes: Readonly<Record<string, Route>> = {
    "/health": "health",
    "/health/detailed": "health_detailed",
    "/metrics": "metrics",
    "/status": "status",
};

/** `Retry-After` of a rate-limited request: the longest period a limiter can have. */
const rateLimitRetryAfterSeconds = 60;

/** True when the client may call a probing endpoint now; a failing limiter lets it through. */
async function withinRateLimit(request: Request, settings: Settings): Promise<boolean> {
    try {
        const { success } = await settings.healthRateLimiter.limit({
            key: `health:${clientIpOf(request) ?? "unknown"}`,
        });
        return success;
    } catch {
        // The probe cache still bounds what reaches the origins.
        return true;
    }
}

function rejection(r: Rejection, requestId: string): Response {
    metrics.rejected(r.reason);
    return json(r.status, { error: r.error, message: r.message, requestId }, r.headers);
}

async function handleEdgeRoute(
    route: Route,
    request: Request,
    url: URL,
    settings: Settings,
): Promise<Response> {
    if (request.method !== "GET" && request.method !== "HEAD") {
        return json(
            405,
            { error: "method_not_allowed", message: "use GET" },
            { allow: "GET, HEAD" },
        );
    }
    if (route === "health") return json(200, { status: "ok", service: "mcp-edge" });
    if (
        (route === "health_detailed" || route === "status") &&
        !(await withinRateLimit(request, settings))
    ) {
        metrics.rejected("rate_limit");
        return json(
            429,
            {
                error: "rate_limited",
                message: "too many requests to this endpoint; retry later",
            },
            { "retry-after": String(rateLimitRetryAfterSeconds) },
        );
    }
    const fresh = route !== "metrics";
    const switches = await currentSwitches(settings.switches, settings.switchCacheMs, fresh);
    metrics.switches(switches.activeRegion, switches.maintenance);
    if (route === "metrics") {
        if (url.searchParams.get("format") === "json") return json(200, metricsJson());
        return new Response(renderMetrics(), {
            headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
    }
    const health = await detailedHealth(
        settings,
        switches,
        url.searchParams.get("origins") === "all",
    );
    return route === "status" ? statusPage(health) : detailedHealthResponse(health);
}

async function handleProxy(
    request: Request,
    url: URL,
    settings: Settings,
    requestId: string,
): Promise<{ response: Response; source: "primary" | "dr" | "edge" }> {
    const edge = (response: Response) => ({ response, source: "edge" as const });
    const early = checkMethod(request.method) ?? checkUrlLength(request.url);
    if (early) return edge(rejection(early, requestId));
    const path = normalisePath(url.pathname);
    if ("status" in path) return edge(rejection(path, requestId));

    const switches = await currentSwitches(settings.switches, settings.switchCacheMs);
    metrics.switches(switches.activeRegion, switches.maintenance);
    if (switches.maintenance) {
        metrics.rejected("maintenance");
        return edge(maintenancePage(settings.maintenanceRetryAfter, requestId, wantsJson(request)));
    }

    const body = await readBody(request, settings.maxBodyBytes);
    if ("status" in body) return edge(rejection(body, requestId));

    return proxy(
        {
            method: request.method,
            url,
            path: path.path,
            headers: request.headers,
            body: body.body,
            requestId,
            clientIp: clientIpOf(request),
        },
        settings,
        switches.activeRegion,
        originsFor(settings, url.hostname),
    );
}

export default {
    async fetch(request: Request, env: Env): Promise<Response> {
        metrics.started();
        const requestId = requestIdOf(request);
        const url = new URL(request.url);
        let settings: Settings;
        try {
            settings = settingsOf(env);
        } catch (error) {
            if (!(error instanceof MisconfiguredError)) throw error;
            metrics.request(edgeRoutes[url.pathname] ?? "proxy", 500, "edge");
            const body = {
                error: "edge_misconfigured",
                message: "the edge Worker's bindings are invalid; see docs/edge.md",
                bindings: error.bindings,
                requestId,
            };
            return secured(json(500, body), requestId, false);
        }
        const ownOrigins = settings.hostOrigins.has(url.hostname);
        const route: Route = (!ownOrigins && edgeRoutes[url.pathname]) || "proxy";

        if (route !== "proxy") {
            const response = await handleEdgeRoute(route, request, url, settings);
            metrics.request(route, response.status, "edge");
            return secured(response, requestId, false);
        }
        const { response, source } = await handleProxy(request, url, settings, requestId);
        metrics.request(route, response.status, source);
        return secured(response, requestId, source !== "edge");
    },
} satisfies ExportedHandler<Env>;
