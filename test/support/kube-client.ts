import * as fs from "node:fs";
import * as https from "node:https";

/**
 * A small Kubernetes REST client over node:https with a client certificate: enough for tests
 * to apply manifests (server-side apply, optionally dry-run), create objects and poll them.
 * Kinds are resolved through the server's own discovery, so CRDs work once established.
 */
type Obj = Record<string, any>;

export interface KubeResponse {
    readonly status: number;
    readonly body: Obj;
    /** `Warning` headers (PodSecurity warnings, deprecations). */
    readonly warnings: string[];
}

export interface TlsFiles {
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
}

interface ApiResource {
    readonly plural: string;
    readonly namespaced: boolean;
}

/** `299 - "message"` → `message`. */
function parseWarnings(header: string | string[] | undefined): string[] {
    const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
    return values.flatMap((v) =>
        [...v.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)].map((m) => m[1].replace(/\\"/g, '"')),
    );
}

export class KubeClient {
    private readonly agent: https.Agent;
    private discovery = new Map<string, Map<string, ApiResource>>();

    constructor(
        readonly server: string,
        tls: TlsFiles,
    ) {
        this.agent = new https.Agent({
            ca: fs.readFileSync(tls.ca),
            cert: fs.readFileSync(tls.cert),
            key: fs.readFileSync(tls.key),
            keepAlive: true,
        });
    }

    request(
        method: string,
        path: string,
        body?: Obj | string,
        contentType = "application/json",
    ): Promise<KubeResponse> {
        const payload =
            body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                new URL(path, this.server),
                {
                    method,
                    agent: this.agent,
                    headers: {
                        accept: "application/json",
                        ...(payload === undefined ? {} : { "content-type": contentType }),
                    },
                    timeout: 60_000,
                },
                (res) => {
                    const chunks: Buffer[] = [];
                    res.on("data", (c: Buffer) => chunks.push(c));
                    res.on("end", () => {
                        const text = Buffer.concat(chunks).toString("utf8");
                        let parsed: Obj;
                        try {
                            parsed = text ? (JSON.parse(text) as Obj) : {};
                        } catch {
                            parsed = { message: text };
                        }
                        resolve({
                            status: res.statusCode ?? 0,
                            body: parsed,
                            warnings: parseWarnings(res.headers.warning),
                        });
                    });
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** Forgets discovery, e.g. after CRDs were installed. */
    refreshDiscovery(): void {
        this.discovery.clear();
    }

    private async resource(apiVersion: string, kind: string): Promise<ApiResource> {
        let kinds = this.discovery.get(apiVersion);
        if (!kinds) {
            const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
            const res = await this.request("GET", base);
            if (res.status !== 200) {
                throw new Error(`the server does not serve ${apiVersion}: ${res.body.message}`);
            }
            kinds = new Map();
            for (const r of res.body.resources as Obj[]) {
                if (!String(r.name).includes("/")) {
                    kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
                }
            }
            this.discovery.set(apiVersion, kinds);
        }
        const found = kinds.get(kind);
        if (!found) throw new Error(`the server does not serve ${apiVersion} ${kind}`);
        return found;
    }

    /** The REST path of an object (or of its collection when `name` is omitted). */
    async pathOf(
        apiVersion: string,
        kind: string,
        namespace?: string,
        name?: string,
    ): Promise<string> {
        const r = await this.resource(apiVersion, kind);
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const ns = r.namespaced ? `/namespaces/${namespace ?? "default"}` : "";
        return `${base}${ns}/${r.plural}${name ? `/${name}` : ""}`;
    }

    /**
     * Server-side apply of one manifest, with strict field validation (an unknown or duplicate
     * field is an error, as with `kubectl apply --server-side`). `dryRun` runs admission and
     * validation and persists nothing.
     */
    async apply(manifest: Obj, options: { dryRun?: boolean } = {}): Promise<KubeResponse> {
        const path = await this.pathOf(
            manifest.apiVersion,
            manifest.kind,
            manifest.metadata?.namespace,
            manifest.metadata?.name,
        );
        const query = new URLSearchParams({
            fieldManager: "mcp-platform-test",
            fieldValidation: "Strict",
            force: "true",
        });
        if (options.dryRun) query.set("dryRun", "All");
        return this.request(
            "PATCH",
            `${path}?${query}`,
            JSON.stringify(manifest),
            "application/apply-patch+yaml",
        );
    }

    /** Polls `path` until `ready` holds for the object, or throws after `timeoutMs`. */
    async waitFor(path: string, ready: (obj: Obj) => boolean, timeoutMs = 60_000): Promise<Obj> {
        const deadline = Date.now() + timeoutMs;
        let last: KubeResponse | undefined;
        while (Date.now() < deadline) {
            last = await this.request("GET", path);
            if (last.status === 200 && ready(last.body)) return last.body;
            await new Promise((r) => setTimeout(r, 250));
        }
        throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${path}; last: ${JSON.stringify(last?.body)}`,
        );
    }

    close(): void {
        this.agent.destroy();
    }
}
