import type { RejectReason } from "./metrics";

/**
 * Checks a request must pass before it is proxied: method allow-list, URL length, path
 * normalisation and the body size limit.
 */

/** Methods the platform serves. TRACE/CONNECT and WebDAV-style extensions are refused. */
export const allowedMethods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"];

/** Idempotent methods (RFC 9110 §9.2.2): only these are ever replayed on the DR origin. */
export const idempotentMethods = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

export const maxUrlLength = 8192;

export interface Rejection {
    readonly status: number;
    readonly reason: RejectReason;
    readonly error: string;
    readonly message: string;
    readonly headers?: Record<string, string>;
}

export function checkMethod(method: string): Rejection | undefined {
    if (allowedMethods.includes(method)) return undefined;
    return {
        status: 405,
        reason: "method",
        error: "method_not_allowed",
        message: `method ${method.slice(0, 16)} is not allowed`,
        headers: { allow: allowedMethods.join(", ") },
    };
}

function badPath(message: string): Rejection {
    return { status: 400, reason: "path", error: "bad_path", message };
}

/**
 * The path to forward, or a rejection.
 *
 * The runtime has already resolved literal `.`/`..` segments (RFC 3986 remove_dot_segments,
 * also applied to `%2e`), so a plain `/a/../../x` can never climb above `/`. What survives
 * that parsing and could still mean traversal to an origin that decodes again is refused:
 * encoded separators (`%2f`, `%5c` — a literal `\` is already turned into `/`), NUL and
 * other control characters, double encoding (`%25`) of any of these, and malformed escapes.
 * A decoded `.`/`..` segment is refused too, should a runtime ever leave one in place.
 * Runs of slashes are collapsed (`//a///b` → `/a/b`).
 */
export function normalisePath(pathname: string): { path: string } | Rejection {
    if (/%(25)*(2f|5c)/i.test(pathname)) return badPath("encoded path separators are not allowed");
    if (/%(25)+(2e|00)/i.test(pathname))
        return badPath("double-encoded characters are not allowed");
    let decoded: string;
    try {
        decoded = decodeURIComponent(pathname);
    } catch {
        return badPath("malformed percent-encoding");
    }
    if (/[\u0000-\u001f\u007f]/.test(decoded)) return badPath("control characters are not allowed");
    if (decoded.split("/").some((segment) => segment === ".." || segment === ".")) {
        return badPath("path traversal is not allowed");
    }
    return { path: pathname.replace(/\/{2,}/g, "/") };
}

export function checkUrlLength(url: string): Rejection | undefined {
    if (url.length <= maxUrlLength) return undefined;
    return {
        status: 414,
        reason: "url_length",
        error: "uri_too_long",
        message: `the URL is longer than ${maxUrlLength} characters`,
    };
}

function tooLarge(limit: number): Rejection {
    return {
        status: 413,
        reason: "body_size",
        error: "payload_too_large",
        message: `the request body is larger than ${limit} bytes`,
    };
}

/**
 * Reads the request body into memory, refusing anything over `limit` bytes — by its
 * declared Content-Length before reading, and by counting while reading (chunked bodies).
 * Buffering is what makes an idempotent request with a body replayable on the DR origin.
 */
export async function readBody(
    request: Request,
    limit: number,
): Promise<{ body: ArrayBuffer | null } | Rejection> {
    const declared = request.headers.get("content-length");
    if (declared !== null && (!/^\d+$/.test(declared) || Number(declared) > limit)) {
        return /^\d+$/.test(declared)
            ? tooLarge(limit)
            : {
                  status: 400,
                  reason: "body_size",
                  error: "bad_request",
                  message: "invalid Content-Length",
              };
    }
    if (request.method === "GET" || request.method === "HEAD" || request.body === null) {
        return { body: null };
    }
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) {
            await reader.cancel();
            return tooLarge(limit);
        }
        chunks.push(value);
    }
    const body = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
    }
    return { body: body.buffer };
}
