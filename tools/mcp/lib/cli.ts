import type { ParseArgsConfig } from "node:util";
import { parseStrict, UsageError } from "../../lib/cli-args";

export { UsageError };

/**
 * What every `mcp` verb shares: its description for `--help`, the common options
 * (`--stack`, `--json`, `--help`) and the errors that carry what failed and what to do.
 *
 * Exit codes (docs/operations.md#the-mcp-cli): 0 done / healthy; 1 a check found a problem
 * or an operation failed; 2 usage error; 3 a system the verb needs could not be reached
 * (cluster, AWS, edge, Prometheus, Pulumi), so nothing was checked or changed.
 */
export const exitCodes = { ok: 0, problem: 1, usage: 2, unreachable: 3 } as const;

/** A failure the operator can act on: what failed and what to do; printed without a stack. */
export class CliError extends Error {
    constructor(
        readonly problem: string,
        readonly remedy: string,
        readonly exitCode: number = exitCodes.problem,
    ) {
        super(problem);
        this.name = "CliError";
    }
}

/** One line per option in a verb's help. */
export interface OptionHelp {
    readonly flag: string;
    readonly text: string;
}

export interface VerbHelp {
    /** e.g. `mcp scale <service> --replicas N`. */
    readonly synopsis: readonly string[];
    readonly summary: string;
    readonly options: readonly OptionHelp[];
    /** Extra paragraphs (what it does, exit codes). */
    readonly notes?: readonly string[];
}

export const commonOptionHelp: readonly OptionHelp[] = [
    {
        flag: "--stack production|dr",
        text: "the stack to act on (default: $MCP_STACK, else the selected Pulumi stack)",
    },
    { flag: "-h, --help", text: "this help" },
];

export const jsonOptionHelp: OptionHelp = {
    flag: "--json",
    text: "print the result as JSON on stdout",
};

export function renderHelp(help: VerbHelp): string {
    const options = [...help.options, ...commonOptionHelp];
    const width = Math.max(...options.map((o) => o.flag.length));
    return [
        `usage: ${help.synopsis.join("\n       ")}`,
        "",
        help.summary,
        "",
        "options:",
        ...options.map((o) => `  ${o.flag.padEnd(width)}  ${o.text}`),
        ...(help.notes?.length ? ["", ...help.notes] : []),
    ].join("\n");
}

/** The options every verb accepts, added to its own. */
export const commonOptions = {
    stack: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const satisfies ParseArgsConfig["options"];

export const jsonOption = {
    json: { type: "boolean" },
} as const satisfies ParseArgsConfig["options"];

type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs` in strict mode with positionals allowed, plus the common options. */
export function parseVerbArgs<O extends Options>(argv: readonly string[], options: O) {
    return parseStrict({
        args: [...argv],
        options: { ...commonOptions, ...options },
        allowPositionals: true,
        strict: true,
    });
}

/**
 * `30s`, `5m`, `1h`, `2d` → milliseconds; a bare number is seconds (the manuals write
 * `--timeout 300`); a usage error naming the option otherwise.
 */
export function parseDuration(option: string, value: string): number {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
    if (!match) {
        throw new UsageError(
            `${option} expects a duration such as 30s, 5m, 24h or 7d, got "${value}"`,
        );
    }
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
        (match[2] ?? "s") as "s"
    ];
    return Math.round(Number(match[1]) * unit);
}

/** A whole number ≥ `min` for `option`; a usage error otherwise. */
export function parseCount(option: string, value: string | undefined, min = 0): number {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) {
        throw new UsageError(`${option} expects a whole number ≥ ${min}, got "${value ?? ""}"`);
    }
    return Number(value);
}

/** Where a verb writes: stdout lines and stderr lines (tests collect them). */
export interface Output {
    out(line: string): void;
    err(line: string): void;
}

/**
 * What a verb runs with: where it prints and the environment it reads (endpoints,
 * credentials, `MCP_STACK`). Tests pass their own `out`/`err` and `env`.
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
