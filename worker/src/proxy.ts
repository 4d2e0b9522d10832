import type { Origin, OriginPair, Region, Settings } from "./env";
import { idempotentMethods } from "./guard";
import { originRequestHeaders } from "./headers";
import { metrics, type FailureReason } from "./metrics";
import { json } from "./responses";

/**
 * Forwarding to the active region, with failover.
 *
 * The request's hostname picks the origin pair (`HOST_ORIGINS`, else the edge's own pair);
 * the KV switch alone picks the region, for every hostname alike, so writes never go to two
 * regions at once: while `active-region` is "dr", a primary that comes back is not used until
 * the switch is set back.
 *
 * - `active-region` = "dr": every request goes to the DR origin only; the primary is never
 *   contacted.
 * - otherwise the primary is tried first. When it refuses the connection, does not send
 *   response headers within the timeout, or answers 5xx:
 *   - idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE) are sent once to the DR origin;
 *   - other methods are never replayed: the client gets a JSON 502 saying so.
 * - When no origin could answer an idempotent request the client gets a JSON 503 with
 *   `Retry-After`.
 */

export interface ProxyRequest {
    readonly method: string;
    readonly url: URL;
    /** The normalised path to forward. */
    readonly path: string;
    readonly headers: Headers;
    readonly body: ArrayBuffer | null;
    readonly requestId: string;
    readonly clientIp?: string;
}

export interface ProxyResult {
    readonly response: Response;
    /** The origin whose response is returned, or "edge" when the edge answered itself. */
    readonly source: Region | "edge";
}

type Attempt =
    | { readonly ok: true; readonly response: Response }
    | { readonly ok: false; readonly reason: FailureReason; readonly status?: number };

/** Retry-After announced when no origin could answer. */
export const unavailableRetryAfterSeconds = 30;

async function attempt(
    origin: Origin,
    request: ProxyRequest,
    settings: Settings,
): Promise<Attempt> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), settings.timeoutMs);
    const started = Date.now();
    try {
        const response = await fetch(`${origin.base}${request.path}${request.url.search}`, {
            method: request.method,
            headers: originRequestHeaders(request.headers, {
                requestId: request.requestId,
                clientIp: request.clientIp,
                url: request.url,
                region: origin.region,
                originAuthToken: settings.originAuthToken,
            }),
            body: request.body,
            redirect: "manual",
            signal: controller.signal,
        });
        metrics.originDuration(origin.region, (Date.now() - started) / 1000);
        if (response.status >= 500) {
            await response.body?.cancel();
            return { ok: false, reason: "http_5xx", status: response.status };
        }
        return { ok: true, response };
    } catch {
        metrics.originDuration(origin.region, (Date.now() - started) / 1000);
        return { ok: false, reason: controller.signal.aborted ? "timeout" : "refused" };
    } finally {
        // Only the wait for response headers is bounded: a streamed body (SSE) may run long.
        clearTimeout(timer);
    }
}

export async function proxy(
    request: ProxyRequest,
    settings: Settings,
    activeRegion: Region,
    origins: OriginPair,
): Promise<ProxyResult> {
    const idempotent = idempotentMethods.has(request.method);
    const plan: Region[] =
        activeRegion === "dr" ? ["dr"] : idempotent ? ["primary", "dr"] : ["primary"];
    const failures: { origin: Region; reason: FailureReason; status?: number }[] = [];
    for (const region of plan) {
        if (region === "dr" && failures.length > 0) metrics.failover(failures[0].reason);
        const result = await attempt(origins[region], request, settings);
        if (result.ok) return { response: result.response, source: region };
        metrics.originFailure(region, result.reason);
        failures.push({ origin: region, reason: result.reason, status: result.status });
    }
    const attempts = failures.map((f) => ({
        origin: f.origin,
        reason: f.reason,
        ...(f.status === undefined ? {} : { status: f.status }),
    }));
    if (idempotent) {
        return {
            source: "edge",
            response: json(
                503,
                {
                    error: "service_unavailable",
                    message: "no origin could answer the request",
                    requestId: request.requestId,
                    attempts,
                },
                { "retry-after": String(unavailableRetryAfterSeconds) },
            ),
        };
    }
    return {
        source: "edge",
        response: json(502, {
            error: "bad_gateway",
            message: `the ${attempts[0].origin} origin failed; ${request.method} requests are not idempotent and were not replayed`,
            requestId: request.requestId,
            replayed: false,
            attempts,
        }),
    };
}
