/**
 * `npm run bench:edge`: the edge Worker's added latency over a direct origin, on loopback.
 *
 * One loopback node:http origin; the bundled Worker (the module the WorkersScript deploys)
 * in workerd via Miniflare, proxying to it. The same keep-alive HTTP client sends the same
 * requests to both, in alternating batches within one run (so machine noise hits both
 * alike), and reports p50/p99 latency and requests/s for each, and the difference.
 *
 * Options: see `usage` (`npm run bench:edge -- --help`); a usage error prints one line and
 * exits 2 before anything starts.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import { Miniflare } from "miniflare";
import { writeBenchFigures } from "./lib/bench-docs";
import { parseStrict, UsageError, usageErrorLine } from "../tools/lib/cli-args";
import { edgeDefaults } from "../components/edge/edge";
import { plainTextBindings, switchesBinding } from "../components/edge/edge-bindings";
import { bundleWorker } from "../components/edge/worker-bundle";

interface Options {
    requests: number;
    concurrency: number;
    writeDocs: boolean;
}

const usage = `usage: npm run bench:edge -- [options]

The edge Worker's added latency over a direct origin, both on loopback: p50/p99, mean and
requests/s for each, printed as a Markdown table.

options:
  --requests <n>     GET requests per target (default: 4000)
  --concurrency <n>  requests in flight (default: 8)
  --write-docs       also replace the figures between the bench markers in docs/edge.md
  -h, --help         print this help`;

/** The options to run with, or undefined when --help asked for the usage. */
function parseArgs(argv: string[]): Options | undefined {
    const { values } = parseStrict({
        args: argv,
        options: {
            requests: { type: "string" },
            concurrency: { type: "string" },
            "write-docs": { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
        allowPositionals: false,
        strict: true,
    });
    if (values.help) return undefined;
    const count = (option: string, text: string | undefined, fallback: number) => {
        if (text === undefined) return fallback;
        const n = Number(text);
        if (!Number.isInteger(n) || n < 1) {
            throw new UsageError(`--${option} needs a positive integer (got "${text}")`);
        }
        return n;
    };
    return {
        requests: count("requests", values.requests, 4000),
        concurrency: count("concurrency", values.concurrency, 8),
        writeDocs: values["write-docs"] ?? false,
    };
}

const payload = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { tools: ["a", "b", "c"] } });

async function startOrigin(): Promise<{ url: string; server: http.Server }> {
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(payload);
        });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** One GET over the keep-alive agent; resolves with its latency in ms. */
function timedGet(agent: http.Agent, base: URL, pathname: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = http.get(
            { host: base.hostname, port: base.port, path: pathname, agent },
            (res) => {
                res.resume();
                res.on("end", () => {
                    if (res.statusCode !== 200)
                        reject(new Error(`${base.href}: ${res.statusCode}`));
                    else resolve(Number(process.hrtime.bigint() - started) / 1e6);
                });
            },
        );
        req.on("error", reject);
    });
}

/** `count` requests with `concurrency` in flight; returns latencies and the batch's wall ms. */
async function batch(
    agent: http.Agent,
    base: URL,
    count: number,
    concurrency: number,
): Promise<{ latencies: number[]; wallMs: number }> {
    const latencies: number[] = [];
    let next = 0;
    const started = process.hrtime.bigint();
    const worker = async () => {
        while (next < count) {
            next++;
            latencies.push(
                await timedGet(agent, base, process.env.BENCH_PATH ?? "/mcp/tools?bench=1"),
            );
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { latencies, wallMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Summary {
    p50: number;
    p99: number;
    mean: number;
    rps: number;
}

function summarize(latencies: number[], wallMs: number): Summary {
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
        rps: (latencies.length / wallMs) * 1000,
    };
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

async function main(options: Options): Promise<void> {
    const origin = await startOrigin();
    const bundle = bundleWorker();
    const mf = new Miniflare({
        modules: [{ type: "ESModule", path: bundle.mainModule, contents: bundle.content }],
        compatibilityDate: edgeDefaults.compatibilityDate,
        bindings: plainTextBindings({
            primaryOrigin: origin.url,
            drOrigin: origin.url,
            originTimeoutMs: edgeDefaults.originTimeoutMs,
            maxBodyBytes: edgeDefaults.maxBodyBytes,
            healthPath: edgeDefaults.healthPath,
            maintenanceRetryAfterSeconds: edgeDefaults.maintenanceRetryAfterSeconds,
            switchCacheSeconds: edgeDefaults.switchCacheSeconds,
            environment: "bench",
        }),
        kvNamespaces: { [switchesBinding]: "switches-bench" },
        cf: false,
        host: "127.0.0.1",
        port: 0,
    });
    const edgeUrl = await mf.ready;
    // The floor for any Worker: a pass-through that only fetches the origin, in the same
    // workerd build, so the table separates what our Worker adds from what workerd costs.
    const bare = new Miniflare({
        modules: true,
        script: `export default { fetch(request, env) {
            const url = new URL(request.url);
            return fetch(env.ORIGIN + url.pathname + url.search, request);
        } };`,
        bindings: { ORIGIN: origin.url },
        compatibilityDate: edgeDefaults.compatibilityDate,
        cf: false,
        host: "127.0.0.1",
        port: 0,
    });
    const bareUrl = await bare.ready;
    const direct = new URL(origin.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });

    try {
        // Warm-up: JIT, connection pools, workerd's first isolate start.
        for (const base of [direct, bareUrl, edgeUrl]) {
            await batch(agent, base, 300, options.concurrency);
        }

        const rounds = 10;
        const perRound = Math.ceil(options.requests / rounds);
        const results = {
            direct: { latencies: [] as number[], wallMs: 0 },
            bare: { latencies: [] as number[], wallMs: 0 },
            worker: { latencies: [] as number[], wallMs: 0 },
        };
        const bases = { direct, bare: bareUrl, worker: edgeUrl };
        for (let round = 0; round < rounds; round++) {
            const order =
                round % 2 === 0
                    ? (["direct", "bare", "worker"] as const)
                    : (["worker", "bare", "direct"] as const);
            for (const target of order) {
                const run = await batch(agent, bases[target], perRound, options.concurrency);
                results[target].latencies.push(...run.latencies);
                results[target].wallMs += run.wallMs;
            }
        }
        const d = summarize(results.direct.latencies, results.direct.wallMs);
        const b = summarize(results.bare.latencies, results.bare.wallMs);
        const w = summarize(results.worker.latencies, results.worker.wallMs);
        const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
        const table = [
            `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:edge\`: ${results.direct.latencies.length} GET requests per target, ${options.concurrency} in flight, keep-alive, alternating batches; Node ${process.version}, workerd (miniflare ${requireVersion("miniflare")}), ${os.cpus().length} × ${cpu}, load average ${os.loadavg()[0].toFixed(1)} at the start.`,
            "",
            "| target | p50 | p99 | mean | requests/s |",
            "|---|---|---|---|---|",
            `| origin direct | ${ms(d.p50)} | ${ms(d.p99)} | ${ms(d.mean)} | ${d.rps.toFixed(0)} |`,
            `| through a bare pass-through Worker | ${ms(b.p50)} | ${ms(b.p99)} | ${ms(b.mean)} | ${b.rps.toFixed(0)} |`,
            `| through our Worker | ${ms(w.p50)} | ${ms(w.p99)} | ${ms(w.mean)} | ${w.rps.toFixed(0)} |`,
            `| **added by our Worker over the origin** | **${ms(w.p50 - d.p50)}** | **${ms(w.p99 - d.p99)}** | ${ms(w.mean - d.mean)} | ${((w.rps / d.rps - 1) * 100).toFixed(0)} % req/s |`,
            `| **ours ÷ bare Worker** | **${(w.p50 / b.p50).toFixed(2)}×** | **${(w.p99 / b.p99).toFixed(2)}×** | ${(w.mean / b.mean).toFixed(2)}× | ${(w.rps / b.rps).toFixed(2)}× req/s |`,
        ].join("\n");
        process.stdout.write(`${table}\n`);
        if (options.writeDocs) writeBenchFigures("docs/edge.md", "bench:edge", table);
    } finally {
        agent.destroy();
        await mf.dispose();
        await bare.dispose();
        origin.server.closeAllConnections();
        origin.server.close();
    }
}

function requireVersion(name: string): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${name}/package.json`) as { version: string }).version;
}

let options: Options | undefined;
try {
    options = parseArgs(process.argv.slice(2));
} catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${usageErrorLine("bench:edge", error)}\n`);
    process.exit(2);
}
if (options === undefined) {
    process.stdout.write(`${usage}\n`);
} else {
    main(options).catch((error: unknown) => {
        process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
    });
}
