/**
 * `npm run bench:synth`: how long the offline synth takes, against the floor of a Node
 * process that only loads the Pulumi SDKs, and how it grows with the catalog.
 *
 * 1. The production synth and the floor, alternating in one run (so machine noise hits both
 *    alike), `--runs` times each; the medians and their ratio.
 * 2. Synths of generated catalogs (`--sizes`, default 10, 100 and 1000 small services added to
 *    production's), each written to a temporary stack file (never committed): resources,
 *    wall time, ms per resource and peak RSS, measured by GNU time.
 *
 * Options: see `usage` (`npm run bench:synth -- --help`).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { writeBenchFigures } from "./lib/bench-docs";
import { parseStrict, UsageError, usageErrorLine } from "../tools/lib/cli-args";

const projectDir = path.resolve(__dirname, "..");
const gnuTime = "/usr/bin/time";

const usage = `usage: npm run bench:synth -- [options]

The production synth against a Node process that only loads the six Pulumi SDKs, and the
synth of generated catalogs, printed as Markdown tables.

options:
  --runs <n>      runs of the production synth and of the floor, alternating (default: 5)
  --sizes <list>  generated catalog sizes, comma-separated (default: 10,100,1000)
  --write-docs    also replace the figures between the bench markers in docs/architecture.md
  -h, --help      print this help`;

interface Options {
    runs: number;
    sizes: number[];
    writeDocs: boolean;
}

function positive(name: string, text: string): number {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
        throw new UsageError(`${name} needs a positive integer (got "${text}")`);
    return n;
}

function options(argv: string[]): Options | undefined {
    const { values } = parseStrict({
        args: argv,
        strict: true,
        allowPositionals: false,
        options: {
            runs: { type: "string" },
            sizes: { type: "string" },
            "write-docs": { type: "boolean" },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help) return undefined;
    return {
        runs: positive("--runs", values.runs ?? "5"),
        sizes: (values.sizes ?? "10,100,1000").split(",").map((s) => positive("--sizes", s)),
        writeDocs: values["write-docs"] ?? false,
    };
}

interface Measured {
    readonly wallMs: number;
    /** User plus system CPU seconds: steadier than wall time on a shared machine. */
    readonly cpuS: number;
    readonly peakRssMiB: number;
}

/** Runs a command under GNU time; fails loudly when the command fails. */
function measure(command: string, args: string[]): Measured {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-synth-")), "time");
    const started = process.hrtime.bigint();
    const run = spawnSync(gnuTime, ["-f", "%M %U %S", "-o", report, command, ...args], {
        cwd: projectDir,
        encoding: "utf8",
        maxBuffer: 64 * 2 ** 20,
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.error)
        throw new Error(`cannot run ${gnuTime} (apt-get install time): ${run.error.message}`);
    if (run.status !== 0) {
        throw new Error(
            `${command} ${args.join(" ")} exited ${run.status}: ${run.stderr.trim().split("\n").pop()}`,
        );
    }
    const [kib, user, sys] = fs
        .readFileSync(report, "utf8")
        .trim()
        .split("\n")
        .pop()!
        .split(" ")
        .map(Number);
    return { wallMs, cpuS: user + sys, peakRssMiB: kib / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const tsx = path.join(projectDir, "node_modules/.bin/tsx");

function synthArgs(stackFile: string | undefined, out: string): string[] {
    return [
        "tools/synth.ts",
        "production",
        "--quiet",
        "--out",
        out,
        ...(stackFile ? ["--stack-file", stackFile] : []),
    ];
}

/** The production stack file with `size` small fixed-size services added. */
function generatedStackFile(size: number): string {
    const doc = parse(fs.readFileSync(path.join(projectDir, "Pulumi.production.yaml"), "utf8"));
    const workloads = doc.config["mcp-platform:workloads"];
    for (let i = 0; i < size; i++) {
        workloads.services[`bench-${i}`] = {
            namespace: "mcp-platform",
            component: "mcp-server",
            image: "mcp-platform/bench:1.0.0",
            resources: {
                requests: { cpu: "10m", memory: "16Mi" },
                limits: { cpu: "20m", memory: "32Mi" },
            },
            replicas: 1,
        };
    }
    // Room for them in the namespace's quota and on the nodes.
    const quota = workloads.namespaces["mcp-platform"].quota;
    // Each service at its size plus the rolling-update surge: 2 pods.
    quota.pods += 2 * size;
    quota.requestsCpu = String(Number(quota.requestsCpu) + Math.ceil(size / 25));
    quota.limitsCpu = String(Number(quota.limitsCpu) + Math.ceil(size / 12));
    quota.requestsMemory = `${parseInt(quota.requestsMemory, 10) + Math.ceil(size / 16)}Gi`;
    quota.limitsMemory = `${parseInt(quota.limitsMemory, 10) + Math.ceil(size / 16)}Gi`;
    const file = path.join(
        fs.mkdtempSync(path.join(os.tmpdir(), "bench-stack-")),
        "Pulumi.production.yaml",
    );
    fs.writeFileSync(file, stringify(doc));
    return file;
}

function resourcesIn(out: string): number {
    return (JSON.parse(fs.readFileSync(path.join(out, "resources.json"), "utf8")) as unknown[])
        .length;
}

function main(): void {
    let opts: Options | undefined;
    try {
        opts = options(process.argv.slice(2));
    } catch (error) {
        if (error instanceof UsageError) {
            console.error(usageErrorLine("bench:synth", error));
            process.exit(2);
        }
        throw error;
    }
    if (opts === undefined) {
        console.log(usage);
        return;
    }
    const load = os.loadavg()[0].toFixed(1);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-out-"));
    const floorScript = ["aws", "cloudflare", "kubernetes", "policy", "pulumi", "random"]
        .map((sdk) => `require("@pulumi/${sdk}")`)
        .join(";");

    const synths: Measured[] = [];
    const floors: Measured[] = [];
    measure(tsx, synthArgs(undefined, out)); // warm-up: disk cache, tsx's transform cache
    for (let i = 0; i < opts.runs; i++) {
        console.error(`bench:synth: production and floor, run ${i + 1} of ${opts.runs}`);
        synths.push(measure(tsx, synthArgs(undefined, out)));
        floors.push(measure(process.execPath, ["-e", floorScript]));
    }
    const synthMs = median(synths.map((m) => m.wallMs));
    const floorMs = median(floors.map((m) => m.wallMs));
    const synthCpu = median(synths.map((m) => m.cpuS));
    const floorCpu = median(floors.map((m) => m.cpuS));
    const resources = resourcesIn(out);
    const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
    const lines = [
        `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:synth\`: medians of ${opts.runs} alternating runs; Node ${process.version}, ${os.cpus().length} × ${cpu}, load average ${load} at the start.`,
        "",
        "| | median wall | median CPU (user + sys) | peak RSS |",
        "|---|---:|---:|---:|",
        `| production synth (${resources} resources) | ${(synthMs / 1000).toFixed(2)} s | ${synthCpu.toFixed(2)} s | ${median(synths.map((m) => m.peakRssMiB)).toFixed(0)} MiB |`,
        `| floor: load the six Pulumi SDKs | ${(floorMs / 1000).toFixed(2)} s | ${floorCpu.toFixed(2)} s | ${median(floors.map((m) => m.peakRssMiB)).toFixed(0)} MiB |`,
        `| **ratio** | **${(synthMs / floorMs).toFixed(2)}×** | **${(synthCpu / floorCpu).toFixed(2)}×** | |`,
        "",
        "| services added | resources | wall | CPU | ms per resource (wall) | peak RSS |",
        "|---:|---:|---:|---:|---:|---:|",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    for (const size of opts.sizes) {
        console.error(`bench:synth: catalog of ${size} generated services`);
        const measured = measure(tsx, synthArgs(generatedStackFile(size), out));
        const count = resourcesIn(out);
        const row = `| ${size} | ${count} | ${(measured.wallMs / 1000).toFixed(1)} s | ${measured.cpuS.toFixed(1)} s | ${(measured.wallMs / count).toFixed(1)} | ${measured.peakRssMiB.toFixed(0)} MiB |`;
        process.stdout.write(`${row}\n`);
        lines.push(row);
    }
    if (opts.writeDocs) writeBenchFigures("docs/architecture.md", "bench:synth", lines.join("\n"));
}

try {
    main();
} catch (error) {
    console.error(`bench:synth: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
}
