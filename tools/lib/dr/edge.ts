import { formatDuration } from "./targets";
import { type Clock, type HttpGet, Unreachable } from "./types";

/**
 * The edge Worker's `/health/detailed` tells which region it sends traffic to (the KV switch
 * the dr stack's EdgeSwitch writes). After a DR `up`, the procedure polls it until the
 * expected region shows, because Cloudflare KV writes take up to a minute to reach every
 * location.
 */
export type Region = "primary" | "dr";

export interface EdgeState {
    readonly activeRegion: Region;
    readonly maintenance: boolean;
    /** The active region's origin answers: the Worker says 200 (ok or degraded), not 503. */
    readonly serving: boolean;
}

/** Per request; a hanging edge must not eat the whole deadline in one poll. */
export const requestTimeoutMs = 10_000;

export function healthUrl(edgeBaseUrl: string): string {
    return `${edgeBaseUrl.replace(/\/+$/, "")}/health/detailed`;
}

/** `https://<hostname>` for a bare hostname; a full URL (tests, drills) is kept as it is. */
export function edgeBaseUrl(hostnameOrUrl: string): string {
    return /^https?:\/\//.test(hostnameOrUrl) ? hostnameOrUrl : `https://${hostnameOrUrl}`;
}

/** Parses the body of `/health/detailed`; throws with what is wrong. */
export function parseEdgeState(body: string, httpStatus = 200): EdgeState {
    let json: unknown;
    try {
        json = JSON.parse(body);
    } catch {
        throw new Error("the response is not JSON");
    }
    if (json === null || typeof json !== "object") throw new Error("the response is not an object");
    const { activeRegion, maintenance } = json as Record<string, unknown>;
    if (activeRegion !== "primary" && activeRegion !== "dr") {
        throw new Error(
            `activeRegion is ${JSON.stringify(activeRegion)}, expected "primary" or "dr"`,
        );
    }
    return { activeRegion, maintenance: maintenance === true, serving: httpStatus === 200 };
}

/** One reading of the edge state; throws with the URL and the reason. */
export async function readEdgeState(http: HttpGet, baseUrl: string): Promise<EdgeState> {
    const url = healthUrl(baseUrl);
    let response;
    try {
        response = await http(url, requestTimeoutMs);
    } catch (error) {
        const message = `GET ${url} failed: ${(error as Error).message}`;
        throw error instanceof Unreachable
            ? new Unreachable(message, error.remedy)
            : new Error(message);
    }
    // The Worker answers 200 when it is healthy and 503 when every origin is down; both carry
    // the state we need.
    if (response.status !== 200 && response.status !== 503) {
        throw new Error(`GET ${url} answered ${response.status}`);
    }
    try {
        return parseEdgeState(response.body, response.status);
    } catch (error) {
        throw new Error(`GET ${url}: ${(error as Error).message}`);
    }
}

export interface WaitOptions {
    readonly deadlineMs: number;
    readonly intervalMs: number;
    readonly log: (line: string) => void;
}

/**
 * Polls until the edge reports `expected` as the active region and serves from it (200);
 * returns the state and how long it took. Throws after the deadline with the last thing it saw.
 */
export async function waitForRegion(
    http: HttpGet,
    clock: Clock,
    baseUrl: string,
    expected: Region,
    options: WaitOptions,
): Promise<{ state: EdgeState; waitedMs: number }> {
    const start = clock.now();
    let last = "no answer yet";
    for (;;) {
        try {
            const state = await readEdgeState(http, baseUrl);
            if (state.activeRegion === expected && state.serving) {
                return { state, waitedMs: clock.now() - start };
            }
            last =
                state.activeRegion === expected
                    ? `activeRegion is "${expected}" but its origin does not answer (503)`
                    : `activeRegion is still "${state.activeRegion}"`;
        } catch (error) {
            last = (error as Error).message;
        }
        const elapsed = clock.now() - start;
        if (elapsed + options.intervalMs > options.deadlineMs) {
            throw new Error(
                `the edge did not report activeRegion "${expected}" within ${formatDuration(options.deadlineMs)}; last: ${last}`,
            );
        }
        options.log(`    waiting for the edge (${formatDuration(elapsed)}): ${last}`);
        await clock.sleep(options.intervalMs);
    }
}
