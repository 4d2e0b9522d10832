import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { freePort } from "../../support/free-port";

/**
 * A real Prometheus (Debian's `prometheus`) on loopback for the CLI's tests: it scrapes a
 * local exporter whose exposition the test sets (with `honor_labels`, so `job` and
 * `instance` come from the exposition, as the blackbox exporter's probes carry them),
 * scrapes a closed port as `job="mcp-services"` (so `up` is 0 there), and evaluates the
 * given rule groups every second.
 */
export interface TestPrometheus {
    readonly url: string;
    /** The exposition the exporter serves from now on. */
    expose(text: string): void;
    /** Resolves once `query` returns at least `min` series. */
    waitFor(query: string, min?: number): Promise<void>;
    stop(): Promise<void>;
}

function requirePrometheus(): void {
    const probe = spawnSync("prometheus", ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        throw new Error(
            "Prometheus is required for this test: apt-get install -y --no-install-recommends prometheus",
        );
    }
}

async function listen(server: http.Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
}

export async function startPrometheus(options: { rules?: object } = {}): Promise<TestPrometheus> {
    requirePrometheus();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-prometheus-"));
    let exposition = "";
    const exporter = http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
        res.end(exposition);
    });
    const exporterPort = await listen(exporter);
    const closedPort = await freePort();
    const port = await freePort();
    const ruleFiles = options.rules ? ["rules.yaml"] : [];
    if (options.rules) fs.writeFileSync(path.join(dir, "rules.yaml"), stringify(options.rules));
    fs.writeFileSync(
        path.join(dir, "prometheus.yml"),
        stringify({
            global: { scrape_interval: "1s", evaluation_interval: "1s" },
            rule_files: ruleFiles,
            scrape_configs: [
                {
                    job_name: "exporter",
                    honor_labels: true,
                    static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }],
                },
                {
                    job_name: "mcp-services",
                    static_configs: [
                        {
                            targets: [`127.0.0.1:${closedPort}`],
                            labels: { service: "mcp-registry", namespace: "mcp-production" },
                        },
                    ],
                },
            ],
        }),
    );
    const log = fs.openSync(path.join(dir, "prometheus.log"), "a");
    const child: ChildProcess = spawn(
        "prometheus",
        [
            `--config.file=${path.join(dir, "prometheus.yml")}`,
            `--storage.tsdb.path=${path.join(dir, "data")}`,
            `--web.listen-address=127.0.0.1:${port}`,
        ],
        { cwd: dir, stdio: ["ignore", log, log] },
    );
    fs.closeSync(log);
    const url = `http://127.0.0.1:${port}`;
    const tail = () =>
        fs.readFileSync(path.join(dir, "prometheus.log"), "utf8").split("\n").slice(-20).join("\n");

    const deadline = Date.now() + 60_000;
    for (;;) {
        if (child.exitCode !== null)
            throw new Error(`prometheus exited ${child.exitCode}:\n${tail()}`);
        const ready = await fetch(`${url}/-/ready`).then(
            (r) => r.ok,
            () => false,
        );
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`prometheus not ready within 60s:\n${tail()}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return {
        url,
        expose(text) {
            exposition = text;
        },
        async waitFor(query, min = 1) {
            const until = Date.now() + 60_000;
            for (;;) {
                const body = (await fetch(
                    `${url}/api/v1/query?query=${encodeURIComponent(query)}`,
                ).then((r) => r.json())) as {
                    data?: { result?: unknown[] };
                };
                if ((body.data?.result?.length ?? 0) >= min) return;
                if (Date.now() > until)
                    throw new Error(`no ${min} series for ${query} within 60s:\n${tail()}`);
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
        },
        async stop() {
            child.kill("SIGTERM");
            await new Promise((resolve) =>
                child.exitCode !== null ? resolve(null) : child.once("exit", resolve),
            );
            await new Promise<void>((resolve) => exporter.close(() => resolve()));
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
