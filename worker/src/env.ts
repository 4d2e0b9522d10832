/**
 * The Worker's bindings (set by components/edge/edge-bindings.ts) and their validated form.
 * Plain-text bindings arrive as strings; a missing or malformed one makes the Worker answer
 * 500 `edge_misconfigured` naming the binding, never its value.
 */

export interface Env {
    /** Base URL of the primary region's origin, e.g. `https://origin-use1.example.com`. */
    readonly PRIMARY_ORIGIN?: string;
    /** Base URL of the DR region's origin, e.g. `https://origin-usw2.example.com`. */
    readonly DR_ORIGIN?: string;
    /** Milliseconds to wait for an origin's response headers before failing over. */
    readonly ORIGIN_TIMEOUT_MS?: string;
    /** Largest request body accepted, in bytes. */
    readonly MAX_BODY_BYTES?: string;
    /** Path probed on each origin by /health/detailed and /status. */
    readonly HEALTH_PATH?: string;
    /** Seconds announced in `Retry-After` while maintenance is on. */
    readonly MAINTENANCE_RETRY_AFTER?: string;
    /** Environment name shown on /health/detailed and /status. */
    readonly ENVIRONMENT?: string;
    /** Seconds an isolate reuses the switch values it read from KV (0: read every request). */
    readonly SWITCH_CACHE_SECONDS?: string;
    /** KV namespace holding the `active-region` and `maintenance` switches. */
    readonly SWITCHES?: KVNamespace;
    /** Shared secret sent to origins as `x-edge-auth` (secret_text binding; optional). */
    readonly ORIGIN_AUTH_TOKEN?: string;
    /**
     * JSON: each further public hostname the Worker serves and its own regional origins,
     * `{"api.example.com": {"primary": "https://api-use1.example.com", "dr": "https://…"}}`.
     * Every other hostname (the edge hostname, workers.dev) uses PRIMARY_ORIGIN/DR_ORIGIN.
     */
    readonly HOST_ORIGINS?: string;
    /** Seconds an isolate reuses an origin's health probe result (0: probe every request). */
    readonly HEALTH_CACHE_SECONDS?: string;
    /** Rate limit of /health/detailed and /status, per client address (ratelimit binding). */
    readonly HEALTH_RATE_LIMITER?: RateLimit;
}

export type Region = "primary" | "dr";

export interface Origin {
    readonly region: Region;
    /** Scheme and authority only, e.g. `https://origin-use1.example.com`. */
    readonly base: string;
}

/** The two regional origins of one public hostname. */
export type OriginPair = Readonly<Record<Region, Origin>>;

export interface Settings {
    /** The origins of the edge hostname and of any hostname not in `hostOrigins`. */
    readonly origins: OriginPair;
    /** Public hostnames (lowercase) served with their own origins, e.g. api.example.com. */
    readonly hostOrigins: ReadonlyMap<string, OriginPair>;
    readonly timeoutMs: number;
    readonly maxBodyBytes: number;
    readonly healthPath: string;
    readonly maintenanceRetryAfter: number;
    readonly environment: string;
    readonly switchCacheMs: number;
    readonly switches: KVNamespace;
    readonly originAuthToken?: string;
    readonly healthCacheMs: number;
    readonly healthRateLimiter: RateLimit;
}

export class MisconfiguredError extends Error {
    constructor(readonly bindings: readonly string[]) {
        super(`invalid or missing bindings: ${bindings.join(", ")}`);
    }
}

function originOf(region: Region, value: string | undefined): Origin | undefined {
    if (!value) return undefined;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return undefined;
    }
    const bare = url.pathname === "/" && !url.search && !url.hash && !url.username;
    if (!bare || (url.protocol !== "https:" && url.protocol !== "http:")) return undefined;
    return { region, base: url.origin };
}

const hostnamePattern = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** HOST_ORIGINS parsed, or undefined when it is not the documented JSON shape. */
function hostOriginsOf(value: string | undefined): Map<string, OriginPair> | undefined {
    if (value === undefined) return undefined;
    let parsed: unknown;
    try {
        parsed = JSON.parse(value);
    } catch {
        return undefined;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return undefined;
    const hosts = new Map<string, OriginPair>();
    for (const [host, pair] of Object.entries(parsed as Record<string, unknown>)) {
        if (!hostnamePattern.test(host) || pair === null || typeof pair !== "object") {
            return undefined;
        }
        const { primary, dr } = pair as Record<string, unknown>;
        const p = typeof primary === "string" ? originOf("primary", primary) : undefined;
        const d = typeof dr === "string" ? originOf("dr", dr) : undefined;
        if (!p || !d) return undefined;
        hosts.set(host, { primary: p, dr: d });
    }
    return hosts;
}

function integer(value: string | undefined, min: number, max: number): number | undefined {
    if (value === undefined || !/^\d+$/.test(value)) return undefined;
    const n = Number(value);
    return n >= min && n <= max ? n : undefined;
}

/** Validates the bindings; throws {@link MisconfiguredError} listing every bad one. */
export function settingsOf(env: Env): Settings {
    const bad: string[] = [];
    const check = <T>(name: string, value: T | undefined): T => {
        if (value === undefined) bad.push(name);
        return value as T;
    };
    const primary = check("PRIMARY_ORIGIN", originOf("primary", env.PRIMARY_ORIGIN));
    const dr = check("DR_ORIGIN", originOf("dr", env.DR_ORIGIN));
    const timeoutMs = check("ORIGIN_TIMEOUT_MS", integer(env.ORIGIN_TIMEOUT_MS, 1, 300_000));
    const maxBodyBytes = check("MAX_BODY_BYTES", integer(env.MAX_BODY_BYTES, 0, 100 * 2 ** 20));
    const healthPath = check(
        "HEALTH_PATH",
        env.HEALTH_PATH && /^\/[A-Za-z0-9._~/-]*$/.test(env.HEALTH_PATH)
            ? env.HEALTH_PATH
            : undefined,
    );
    const maintenanceRetryAfter = check(
        "MAINTENANCE_RETRY_AFTER",
        integer(env.MAINTENANCE_RETRY_AFTER, 0, 86_400),
    );
    const switchCacheSeconds = check(
        "SWITCH_CACHE_SECONDS",
        integer(env.SWITCH_CACHE_SECONDS, 0, 300),
    );
    const switches = check("SWITCHES", env.SWITCHES);
    const hostOrigins = check("HOST_ORIGINS", hostOriginsOf(env.HOST_ORIGINS));
    const healthCacheSeconds = check(
        "HEALTH_CACHE_SECONDS",
        integer(env.HEALTH_CACHE_SECONDS, 0, 300),
    );
    const healthRateLimiter = check(
        "HEALTH_RATE_LIMITER",
        typeof env.HEALTH_RATE_LIMITER?.limit === "function" ? env.HEALTH_RATE_LIMITER : undefined,
    );
    if (bad.length > 0) throw new MisconfiguredError(bad);
    return {
        origins: { primary, dr },
        hostOrigins,
        timeoutMs,
        maxBodyBytes,
        healthPath,
        maintenanceRetryAfter,
        environment: env.ENVIRONMENT ?? "unknown",
        switchCacheMs: switchCacheSeconds * 1000,
        switches,
        originAuthToken: env.ORIGIN_AUTH_TOKEN || undefined,
        healthCacheMs: healthCacheSeconds * 1000,
        healthRateLimiter,
    };
}

/** The origins that serve a request for `hostname` (as the URL reports it: lowercase). */
export function originsFor(settings: Settings, hostname: string): OriginPair {
    return settings.hostOrigins.get(hostname) ?? settings.origins;
}
