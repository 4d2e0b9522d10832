import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { parseTypedDuration } from "../../../contracts/durations";
import { UsageError } from "./errors";

/**
 * Options, declared once: what `node:util` `parseArgs` parses, what `--help` lists and what
 * shell completion offers all come from the same {@link OptionSpec}s.
 */
export interface OptionSpec {
    readonly type: "string" | "boolean";
    readonly short?: string;
    readonly multiple?: boolean;
    /** The value's placeholder in `--help`, e.g. `DURATION`, `URL`, `json|yaml`. */
    readonly value?: string;
    /** One line for `--help`. */
    readonly help: string;
    /** The values completion offers (and {@link choice} accepts). */
    readonly choices?: readonly string[];
    /** Completion offers file names for the value. */
    readonly file?: boolean;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The values `parseArgs` returns for these specs. */
export type OptionValues<O extends OptionSpecs> = {
    -readonly [K in keyof O]?: O[K]["type"] extends "boolean"
        ? O[K]["multiple"] extends true
            ? boolean[]
            : boolean
        : O[K]["multiple"] extends true
          ? string[]
          : string;
};

export interface ParsedCommandLine<O extends OptionSpecs> {
    readonly values: OptionValues<O>;
    readonly positionals: string[];
}

/**
 * `parseArgs` in strict mode with positionals allowed, throwing a UsageError of one line
 * instead of node's ERR_PARSE_ARGS_* errors (several lines, with `--` tricks).
 */
export function parseCommandLine<O extends OptionSpecs>(
    argv: readonly string[],
    options: O,
    { allowPositionals = true }: { allowPositionals?: boolean } = {},
): ParsedCommandLine<O> {
    const config: Record<
        string,
        { type: "string" | "boolean"; short?: string; multiple?: boolean }
    > = {};
    for (const [name, spec] of Object.entries(options)) {
        config[name] = { type: spec.type, short: spec.short, multiple: spec.multiple };
        if (spec.short === undefined) delete config[name].short;
        if (spec.multiple === undefined) delete config[name].multiple;
    }
    try {
        const { values, positionals } = parseArgs({
            args: [...argv],
            options: config,
            allowPositionals,
            strict: true,
        });
        return { values: { ...values } as OptionValues<O>, positionals };
    } catch (error) {
        throw usageErrorFrom(error) ?? error;
    }
}

function usageErrorFrom(error: unknown): UsageError | undefined {
    if (!(error instanceof Error)) return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    const firstLine = error.message.split("\n")[0];
    // Node quotes the argument: '--name', '-x', or '-o, --out <value>' (prefer the long name).
    const quoted = /'([^']*)'/.exec(firstLine)?.[1] ?? firstLine;
    const option = /--[^\s,<=]+/.exec(quoted)?.[0] ?? quoted.split(/[\s,]/)[0];
    switch (code) {
        case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
            return new UsageError(`unknown option ${option}`);
        case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
            return new UsageError(
                /does not take an argument/.test(firstLine)
                    ? `${option} takes no value`
                    : `${option} needs a value`,
            );
        case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
            return new UsageError(`unexpected argument ${quoted}`);
        default:
            return undefined;
    }
}

/** The flags of an option as typed: `-o`, `--output`. */
export function optionFlags(name: string, spec: OptionSpec): string[] {
    return [...(spec.short ? [`-${spec.short}`] : []), `--${name}`];
}

/**
 * The one duration grammar of every command line (contracts/durations.ts): `30s`, `5m`,
 * `1h30m`, `7d`, or a bare number of seconds (`--timeout 300`). Milliseconds; a usage error
 * naming the option otherwise.
 */
export function duration(option: string, value: string, { positive = false } = {}): number {
    let ms: number;
    try {
        ms = parseTypedDuration(value);
    } catch {
        throw new UsageError(
            `${option} expects a duration such as 30s, 5m, 1h30m, 7d or 300 (seconds), got "${value}"`,
        );
    }
    if (positive && ms <= 0) {
        throw new UsageError(`${option} expects a duration above 0, got "${value}"`);
    }
    return ms;
}

/** A whole number ≥ `min` for `option`; a usage error otherwise. */
export function count(option: string, value: string | undefined, min = 0): number {
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) {
        throw new UsageError(`${option} expects a whole number ≥ ${min}, got "${value ?? ""}"`);
    }
    return Number(value);
}

/** One of `choices` for `option`; a usage error otherwise. */
export function choice<T extends string>(option: string, value: string, choices: readonly T[]): T {
    if (!(choices as readonly string[]).includes(value)) {
        throw new UsageError(`${option} expects one of ${choices.join(", ")}, got "${value}"`);
    }
    return value as T;
}

export const outputFormats = ["json", "yaml"] as const;
export type OutputFormat = "text" | (typeof outputFormats)[number];

/** `-o json|yaml` (and `--json`, the same as `-o json`) of every command a machine may read. */
export const outputOptions = {
    output: {
        type: "string",
        short: "o",
        value: "json|yaml",
        choices: outputFormats,
        help: "print the result as JSON or YAML on stdout (default: text)",
    },
    json: { type: "boolean", help: "the same as -o json" },
} as const satisfies OptionSpecs;

/** The format asked for by `-o`/`--json`; text when neither is given. */
export function outputFormat(values: { output?: string; json?: boolean }): OutputFormat {
    if (values.output !== undefined) {
        const format = choice("-o/--output", values.output, outputFormats);
        if (values.json && format !== "json") {
            throw new UsageError(`--json and -o ${format} do not go together`);
        }
        return format;
    }
    return values.json ? "json" : "text";
}

/** `data` as JSON (2-space) or YAML, for `-o`. */
export function renderData(format: Exclude<OutputFormat, "text">, data: unknown): string {
    return format === "json" ? JSON.stringify(data, null, 2) : stringify(data).trimEnd();
}
