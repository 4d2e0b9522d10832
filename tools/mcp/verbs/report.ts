import { exitCodes, jsonOption, jsonOptionHelp, parseVerbArgs, UsageError } from "../lib/cli";
import type { Io } from "../lib/context";
import { instantQuery, prometheusUrl } from "../lib/prometheus";
import { stackContext } from "../lib/context";
import { backup } from "./backup";
import { health } from "./health";
import { tls } from "./tls";
import type { Verb } from "./verb";

/** Runs a verb with --json and captures what it printed. */
interface Section {
    readonly code: number;
    readonly json?: unknown;
    readonly error?: string;
}

async function capture(verb: Verb, argv: string[], io: Io): Promise<Section> {
    const out: string[] = [];
    const err: string[] = [];
    let code: number;
    try {
        code = await verb.run([...argv, "--json"], {
            env: io.env,
            out: (l) => out.push(l),
            err: (l) => err.push(l),
        });
    } catch (error) {
        const e = error as { problem?: string; message: string; exitCode?: number };
        return { code: e.exitCode ?? exitCodes.problem, error: e.problem ?? e.message };
    }
    try {
        return { code, json: JSON.parse(out.join("\n")) };
    } catch {
        return { code, error: [...out, ...err].join("\n") };
    }
}

export const report: Verb = {
    name: "report",
    help: {
        synopsis: ["mcp report daily [--prometheus-url URL] [--json]"],
        summary:
            "The morning checks in one report: mcp health, mcp backup status, mcp tls check and the alerts firing in Prometheus, each section with its own result.",
        options: [
            {
                flag: "--prometheus-url URL",
                text: "Prometheus (default: $MCP_PROMETHEUS_URL, else http://127.0.0.1:9090)",
            },
            { flag: "--bucket NAME", text: "the backup bucket (as for mcp backup)" },
            { flag: "--s3-endpoint-url URL", text: "another S3 endpoint (as for mcp backup)" },
            { flag: "--edge-url URL", text: "the edge (as for mcp health)" },
            jsonOptionHelp,
        ],
        notes: [
            "Mail it with the machine's mailer, e.g. `mcp report daily | mail -s 'MCP daily' ops@example.com`;",
            "info alerts already go to the e-mail receiver (monitoring.receivers). Exit 1 when a section found a problem.",
        ],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...jsonOption,
            "prometheus-url": { type: "string" },
            bucket: { type: "string" },
            "s3-endpoint-url": { type: "string" },
            "edge-url": { type: "string" },
            email: { type: "string" },
        });
        if (positionals[0] !== "daily" || positionals.length > 1)
            throw new UsageError("expected `mcp report daily`");
        if (values.email)
            throw new UsageError(
                "the CLI does not send mail: pipe the report to your mailer (see --help)",
            );
        const { stack } = await stackContext(values.stack, io);
        const stackArg = ["--stack", stack];
        const prom = prometheusUrl(values["prometheus-url"], io);
        const opt = (name: string, value: string | undefined) =>
            value ? [`--${name}`, value] : [];
        const sections: Record<string, Section> = {
            health: await capture(
                health,
                [...stackArg, "--prometheus-url", prom, ...opt("edge-url", values["edge-url"])],
                io,
            ),
            backups: await capture(
                backup,
                [
                    "status",
                    ...stackArg,
                    ...opt("bucket", values.bucket),
                    ...opt("s3-endpoint-url", values["s3-endpoint-url"]),
                ],
                io,
            ),
            tls: await capture(tls, ["check", ...stackArg, "--prometheus-url", prom], io),
            alerts: await instantQuery(prom, 'ALERTS{alertstate="firing"}').then(
                (samples) => ({
                    code: samples.length ? exitCodes.problem : exitCodes.ok,
                    json: samples.map((s) => s.labels),
                }),
                (error: { problem?: string; exitCode?: number }) => ({
                    code: error.exitCode ?? exitCodes.problem,
                    error: error.problem,
                }),
            ),
        };
        const ok = Object.values(sections).every((s) => s.code === exitCodes.ok);
        if (values.json) {
            io.out(
                JSON.stringify(
                    { stack, generatedAt: new Date().toISOString(), ok, sections },
                    null,
                    2,
                ),
            );
        } else {
            io.out(`MCP daily report — ${stack} — ${new Date().toISOString()}`);
            for (const [name, s] of Object.entries(sections)) {
                io.out("");
                io.out(`## ${name}: ${s.code === exitCodes.ok ? "ok" : "PROBLEM"}`);
                io.out(s.error ?? JSON.stringify(s.json, null, 2));
            }
        }
        return ok ? exitCodes.ok : exitCodes.problem;
    },
};
