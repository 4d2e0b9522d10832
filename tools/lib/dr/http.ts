import { type HttpGet, Unreachable } from "./types";

const networkRemedy = "check the network and the edge hostname (`--edge-hostname`)";

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
            throw new Unreachable(`no answer within ${timeoutMs} ms`, networkRemedy);
        throw new Unreachable(
            cause?.code ?? cause?.message ?? (error as Error).message,
            networkRemedy,
        );
    }
    return { status: response.status, body: await response.text() };
};
