import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Miniflare } from "miniflare";
import { edgeDefaults } from "../../components/edge/edge";
import {
    switchesBinding,
    workerBindings,
    type WorkerSettings,
} from "../../components/edge/edge-bindings";
import { bundleWorker } from "../../components/edge/worker-bundle";
import { switchKeys } from "../../contracts/edge";

/**
 * Runs the bundled edge Worker (the exact module the WorkersScript deploys) in workerd via
 * Miniflare, offline, against real node:http origins on loopback.
 */

/** What a test origin does with the next requests. */
export type OriginMode = "ok" | "error" | "missing" | "hang";

export interface SeenRequest {
    readonly method: string;
    readonly url: string;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

export interface TestOrigin {
    readonly name: string;
    /** `http://127.0.0.1:<port>`. */
    readonly url: string;
    mode: OriginMode;
    /** Every request received since the last `reset()`, health probes included. */
    readonly seen: SeenRequest[];
    reset(): void;
    close(): Promise<void>;
}

/** A loopback HTTP origin that records what it receives and answers by `mode`. */
export async function startOrigin(name: string): Promise<TestOrigin> {
    const seen: SeenRequest[] = [];
    const hanging = new Set<http.ServerResponse>();
    const origin = {
        name,
        url: "",
        mode: "ok" as OriginMode,
        seen,
        reset() {
            seen.length = 0;
            origin.mode = "ok";
        },
        close: async () => {
            for (const res of hanging) res.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8");
            seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
            if (origin.mode === "hang") {
                hanging.add(res);
                return;
            }
            const status = { ok: 200, error: 503, missing: 404 }[origin.mode];
            res.writeHead(status, {
                "content-type": "application/json",
                server: "test-origin/1.0",
                "x-powered-by": "node",
            });
            res.end(JSON.stringify({ origin: name, method: req.method, url: req.url, body }));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return origin;
}

/** A loopback URL nothing listens on: connections to it are refused. */
export async function refusedUrl(): Promise<string> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return `http://127.0.0.1:${port}`;
}

/** The secret the tests bind as ORIGIN_AUTH_TOKEN; it must never appear in any response. */
export const testOriginToken = "tok-7d1c0f5e9b2a4c68a1f3e5d7c9b0a2e4";

export interface EdgeOptions {
    readonly primary: string;
    readonly dr: string;
    /** Plain-text binding overrides (e.g. a short timeout). */
    readonly settings?: Partial<WorkerSettings>;
    /** Replace bindings wholesale (misconfiguration tests). */
    readonly rawBindings?: Record<string, string>;
}

export interface TestEdge {
    readonly mf: Miniflare;
    /** workerd's own HTTP socket, for raw requests (`http://127.0.0.1:<port>`). */
    readonly url: URL;
    fetch(path: string, init?: RequestInit): Promise<Response>;
    setSwitch(key: "active-region" | "maintenance", value: string | null): Promise<void>;
    close(): Promise<void>;
}

/** Miniflare options built from the very bindings the Pulumi component declares. */
export function miniflareBindings(settings: WorkerSettings): {
    bindings: Record<string, string>;
    kvNamespaces: Record<string, string>;
} {
    const bindings: Record<string, string> = {};
    const kvNamespaces: Record<string, string> = {};
    for (const binding of workerBindings(settings, "switches-test", testOriginToken)) {
        const b = binding as { type: string; name: string; text?: string; namespaceId?: string };
        if (b.type === "plain_text" || b.type === "secret_text") bindings[b.name] = String(b.text);
        else if (b.type === "kv_namespace") kvNamespaces[b.name] = String(b.namespaceId);
        else throw new Error(`unexpected binding type ${b.type}`);
    }
    return { bindings, kvNamespaces };
}

export async function startEdge(options: EdgeOptions): Promise<TestEdge> {
    const settings: WorkerSettings = {
        primaryOrigin: options.primary,
        drOrigin: options.dr,
        originTimeoutMs: 400,
        maxBodyBytes: 4096,
        healthPath: edgeDefaults.healthPath,
        maintenanceRetryAfterSeconds: edgeDefaults.maintenanceRetryAfterSeconds,
        // Read the switches on every request, so a test sees a KV write at once.
        switchCacheSeconds: 0,
        environment: "test",
        ...options.settings,
    };
    const { bindings, kvNamespaces } = miniflareBindings(settings);
    const bundle = bundleWorker();
    const mf = new Miniflare({
        modules: [{ type: "ESModule", path: bundle.mainModule, contents: bundle.content }],
        compatibilityDate: edgeDefaults.compatibilityDate,
        bindings: options.rawBindings ?? bindings,
        kvNamespaces,
        cf: false,
        host: "127.0.0.1",
        port: 0,
    });
    const url = await mf.ready;
    const kv = await mf.getKVNamespace(switchesBinding);
    return {
        mf,
        url,
        fetch: (path, init) =>
            mf.dispatchFetch(
                `https://edge.example${path}`,
                init as never,
            ) as unknown as Promise<Response>,
        async setSwitch(key, value) {
            if (value === null) await kv.delete(key);
            else await kv.put(key, value);
        },
        close: () => mf.dispose(),
    };
}

export { switchKeys };

export interface RawResponse {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

/**
 * A request over a real socket to workerd, path sent exactly as given (fetch() would
 * normalise it, and refuses methods such as TRACE).
 */
export function rawRequest(
    base: URL,
    options: { method?: string; path: string; headers?: http.OutgoingHttpHeaders; body?: string[] },
): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                host: base.hostname,
                port: base.port,
                method: options.method ?? "GET",
                path: options.path,
                headers: { host: "edge.example", ...options.headers },
                agent: false,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () =>
                    resolve({
                        status: res.statusCode ?? 0,
                        headers: res.headers,
                        body: Buffer.concat(chunks).toString("utf8"),
                    }),
                );
                res.on("error", reject);
            },
        );
        req.on("error", reject);
        for (const chunk of options.body ?? []) req.write(chunk);
        req.end();
    });
}

/** The security headers every response must carry. */
export const securityHeaders = [
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "content-security-policy",
    "permissions-policy",
];
