import { report as spec } from "../catalog";
import { exitCodes, outputFormat, parseVerbArgs, renderData, UsageError } from "../lib/cli";
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
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
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
        const codes = Object.values(sections).map((s) => s.code);
        const ok = codes.every((code) => code === exitCodes.ok);
        if (format !== "text") {
            io.out(
                renderData(format, { stack, generatedAt: new Date().toISOString(), ok, sections }),
            );
        } else {
            io.out(`MCP daily report — ${stack} — ${new Date().toISOString()}`);
            for (const [name, s] of Object.entries(sections)) {
                io.out("");
                io.out(
                    `## ${name}: ${s.code === exitCodes.ok ? "ok" : s.code === exitCodes.unreachable ? "NOT CHECKED (unreachable)" : "PROBLEM"}`,
                );
                io.out(s.error ?? JSON.stringify(s.json, null, 2));
            }
        }
        // A problem found outweighs a section that could not look (docs/operations.md).
        if (codes.some((code) => code !== exitCodes.ok && code !== exitCodes.unreachable))
            return exitCodes.problem;
        return ok ? exitCodes.ok : exitCodes.unreachable;
    },
};
