/** Responses the edge writes itself. Security headers are added by the caller (`secured`). */

export function json(
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
): Response {
    return new Response(`${JSON.stringify(body, null, 2)}\n`, {
        status,
        headers: { "content-type": "application/json; charset=utf-8", ...headers },
    });
}

export function html(status: number, body: string, headers: Record<string, string> = {}): Response {
    return new Response(body, {
        status,
        headers: { "content-type": "text/html; charset=utf-8", ...headers },
    });
}

export function escapeHtml(text: string): string {
    return text
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/'/g, "&#39;");
}

/** True when the client asked for JSON rather than a page (API and MCP clients do). */
export function wantsJson(request: Request): boolean {
    const accept = request.headers.get("accept") ?? "";
    return accept.includes("application/json") || accept.includes("text/event-stream");
}
