import { commonOptions, type VerbSpec } from "../catalog";
import { parseCommandLine, type OptionSpecs, type ParsedCommandLine } from "../../lib/cli/options";

/**
 * What every `mcp` verb shares on top of the tools' one CLI layer (tools/lib/cli/): the
 * common options (`--stack`, `--help`), where a verb prints, and a few formatters. Exit codes,
 * errors, durations, counts and `-o json|yaml` are the layer's, re-exported here for the verbs.
 */
export { CliError, exitCodes, UsageError } from "../../lib/cli/errors";
export { count, duration, outputFormat, renderData } from "../../lib/cli/options";

/** A verb's command line parsed with its catalog entry (tools/mcp/catalog.ts) and `--stack`. */
export function parseVerbArgs<S extends VerbSpec & { options: OptionSpecs }>(
    argv: readonly string[],
    spec: S,
): ParsedCommandLine<S["options"] & typeof commonOptions> {
    return parseCommandLine(argv, { ...spec.options, ...commonOptions });
}

/** Where a verb writes: stdout lines and stderr lines (tests collect them). */
export interface Output {
    out(line: string): void;
    err(line: string): void;
}

/**
 * What a verb runs with: where it prints and the environment it reads (endpoints,
 * credentials, `MCP_STACK`, `KUBECONFIG`). Tests pass their own `out`/`err` and `env`.
 */
export interface Io extends Output {
    readonly env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    env: process.env,
};

/** "3m 20s" for a number of milliseconds. */
export function formatAge(ms: number): string {
    const s = Math.round(ms / 1000);
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m ${s % 60}s`;
    const h = Math.floor(m / 60);
    if (h < 48) return `${h}h ${m % 60}m`;
    return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string[] {
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    return rows.map((r) =>
        r
            .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i])))
            .join("  ")
            .trimEnd(),
    );
}

/** The reason a `fetch` failed: the socket error's code (ECONNREFUSED …), else the message. */
export function networkReason(error: unknown): string {
    const cause = (
        error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }
    ).cause;
    if ((error as Error)?.name === "TimeoutError") return "no answer in time";
    return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message;
}
