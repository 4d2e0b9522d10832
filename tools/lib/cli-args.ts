import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * Command-line parsing shared by the tools' CLIs (synth, dr, bench:edge): node's own
 * `parseArgs` in strict mode, with its errors turned into one short line each.
 */

/** A mistake on the command line: the CLI prints the message and exits 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/**
 * `parseArgs(config)` (pass `strict: true`), throwing a UsageError instead of node's
 * ERR_PARSE_ARGS_* errors, whose messages span several lines and suggest `--` tricks.
 */
export function parseStrict<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
    try {
        return parseArgs(config);
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

/** The one line a CLI prints on stderr for a usage error. */
export function usageErrorLine(program: string, error: UsageError): string {
    return `${program}: ${error.message}; see --help`;
}
