import type { HttpGet } from "./types";

/** The real {@link HttpGet}: Node's fetch with a per-request timeout, no redirects followed. */
export const fetchGet: HttpGet = async (url, timeoutMs) => {
    let response: Response;
    try {
        response = await fetch(url, {
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutMs),
            headers: { accept: "application/json", "user-agent": "mcp-platform-dr" },
        });
    } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        if ((error as Error).name === "TimeoutError")
            throw new Error(`no answer within ${timeoutMs} ms`);
        throw new Error(cause?.code ?? cause?.message ?? (error as Error).message);
    }
    return { status: response.status, body: await response.text() };
};
