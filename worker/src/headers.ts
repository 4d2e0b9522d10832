/**
 * Headers the edge sets, strips or validates: request ids, client address forwarding,
 * hop-by-hop removal and the security headers every response carries.
 */

/** Hop-by-hop headers (RFC 9110 §7.6.1) never travel through a proxy. */
const hopByHop = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/**
 * Client-supplied headers the edge owns: a client cannot forge them towards the origin. `host`
 * is dropped so the origin gets its own hostname, which its ingress routes on; the public
 * hostname travels as `x-forwarded-host`.
 */
const edgeOwned = [
    "host",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "forwarded",
    "x-edge-auth",
    "x-edge-region",
];

/** Response headers that reveal origin software. */
const revealing = ["server", "x-powered-by", "x-aspnet-version"];

export const requestIdHeader = "x-request-id";
const requestIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** The caller's `x-request-id` when it is well-formed, otherwise a fresh UUID. */
export function requestIdOf(request: Request): string {
    const given = request.headers.get(requestIdHeader);
    return given && requestIdPattern.test(given) ? given : crypto.randomUUID();
}

const ipPattern = /^[0-9A-Fa-f:.]{2,45}$/;

/** The connecting client's address as Cloudflare reports it (`cf-connecting-ip`). */
export function clientIpOf(request: Request): string | undefined {
    const ip = request.headers.get("cf-connecting-ip");
    return ip && ipPattern.test(ip) ? ip : undefined;
}

export interface ForwardContext {
    readonly requestId: string;
    readonly clientIp?: string;
    readonly url: URL;
    readonly region: string;
    readonly originAuthToken?: string;
}

/** Headers sent to the origin: the client's, minus hop-by-hop and edge-owned ones, plus ours. */
export function originRequestHeaders(incoming: Headers, context: ForwardContext): Headers {
    const headers = new Headers(incoming);
    const listed = (incoming.get("connection") ?? "")
        .split(",")
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean);
    for (const name of [...hopByHop, ...edgeOwned, ...listed]) headers.delete(name);
    headers.set(requestIdHeader, context.requestId);
    if (context.clientIp) {
        headers.set("x-forwarded-for", context.clientIp);
        headers.set("x-real-ip", context.clientIp);
    }
    headers.set("x-forwarded-proto", context.url.protocol.replace(":", ""));
    headers.set("x-forwarded-host", context.url.host);
    headers.set("x-edge-region", context.region);
    if (context.originAuthToken) headers.set("x-edge-auth", context.originAuthToken);
    return headers;
}

const baseSecurityHeaders: Readonly<Record<string, string>> = {
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cross-origin-opener-policy": "same-origin",
};

/** CSP of the pages the edge renders itself (JSON, /status, the maintenance page). */
export const edgeContentSecurityPolicy =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Returns a response with mutable headers carrying the security headers and the request id.
 * Proxied responses keep the origin's own Content-Security-Policy when it sent one (the
 * origin knows its pages); otherwise they get `frame-ancestors 'none'`.
 */
export function secured(response: Response, requestId: string, proxied: boolean): Response {
    const out = new Response(response.body, response);
    for (const name of [...hopByHop, ...revealing]) out.headers.delete(name);
    for (const [name, value] of Object.entries(baseSecurityHeaders)) out.headers.set(name, value);
    if (!proxied) {
        out.headers.set("content-security-policy", edgeContentSecurityPolicy);
        out.headers.set("cache-control", "no-store");
    } else if (!out.headers.has("content-security-policy")) {
        out.headers.set("content-security-policy", "frame-ancestors 'none'");
    }
    out.headers.set(requestIdHeader, requestId);
    return out;
}
