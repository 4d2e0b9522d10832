import * as fs from "node:fs";
import * as path from "node:path";
import { CliError, cliErrorText, exitCodes, UsageError } from "./errors";
import { type CommandHelp, helpOptions, renderHelp } from "./help";
import { type OptionSpecs, type ParsedCommandLine, parseCommandLine } from "./options";

const projectDir = path.resolve(__dirname, "..", "..", "..");

/** `<program> <version> (mcp-platform, node v24.x)`: the repository's version, one line. */
export function versionLine(program: string): string {
    const pkg = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as {
        name: string;
        version: string;
    };
    return `${program} ${pkg.version} (${pkg.name}, node ${process.version})`;
}

/** The one line a usage error prints: the problem, then where the usage is. */
export function usageLine(program: string, message: string, helpCommand: string): string {
    return `${program}: ${message}; see ${helpCommand}`;
}

/** A command run as a script of its own (`npm run synth -- …`, `npm run bench:dr -- …`). */
export interface ScriptCommand<O extends OptionSpecs> {
    /** The name errors start with, e.g. `synth`. */
    readonly program: string;
    /** How it is typed, e.g. `npm run synth --`: the help line is `<invocation> --help`. */
    readonly invocation: string;
    readonly help: CommandHelp;
    readonly options: O;
    readonly allowPositionals?: boolean;
    /** Appended to `--help` (e.g. the stacks of the project). */
    readonly helpSuffix?: () => string;
}

/**
 * Runs a script's `main` the way every entry point runs: `-h/--help` prints every usage form
 * and option, `--version` the repository's version (both exit 0); a UsageError prints one
 * line and exits 2; a CliError prints the problem and what to do and exits with its code;
 * anything else prints its stack and exits 1. Sets `process.exitCode`.
 */
export async function runScript<O extends OptionSpecs>(
    command: ScriptCommand<O>,
    main: (parsed: ParsedCommandLine<O & typeof helpOptions>) => Promise<number> | number,
    argv: readonly string[] = process.argv.slice(2),
): Promise<number> {
    const options = { ...command.options, ...helpOptions };
    let code: number;
    try {
        const parsed = parseCommandLine(argv, options, {
            allowPositionals: command.allowPositionals ?? true,
        });
        if (parsed.values.help) {
            const suffix = command.helpSuffix?.();
            process.stdout.write(
                `${renderHelp(command.help, options)}${suffix ? `\n\n${suffix}` : ""}\n`,
            );
            code = exitCodes.ok;
        } else if (parsed.values.version) {
            process.stdout.write(`${versionLine(command.program)}\n`);
            code = exitCodes.ok;
        } else {
            code = await main(parsed);
        }
    } catch (error) {
        if (error instanceof UsageError) {
            process.stderr.write(
                `${usageLine(command.program, error.message, `${command.invocation} --help`)}\n`,
            );
            code = exitCodes.usage;
        } else if (error instanceof CliError) {
            process.stderr.write(`${cliErrorText(command.program, error)}\n`);
            code = error.exitCode;
        } else {
            const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
            process.stderr.write(`${command.program}: unexpected error: ${message}\n`);
            code = exitCodes.problem;
        }
    }
    process.exitCode = code;
    return code;
}
