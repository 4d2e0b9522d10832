/**
 * `mcp`, the operators' CLI (docs/operations.md#the-mcp-cli): one verb per file in
 * tools/mcp/verbs/, run as `npx mcp <verb> …` (tools/mcp/bin.mjs runs this file through tsx).
 * Every usage form and option of every verb is in tools/mcp/catalog.ts, which `--help`,
 * `--version`, `completion` and usage errors read without loading a verb.
 *
 * Exit codes (tools/lib/cli/errors.ts): 0 done / healthy; 1 a check found a problem or an
 * operation failed (what and what to do on stderr); 2 usage (the problem, then the verb's
 * usage forms); 3 a system the verb needs could not be reached.
 */
import { CliError, cliErrorText, exitCodes, UsageError } from "../lib/cli/errors";
import { optionFlags } from "../lib/cli/options";
import { type CompletionCommand, completionScript, shells } from "../lib/cli/completion";
import { renderHelp } from "../lib/cli/help";
import { usageLine, versionLine } from "../lib/cli/program";
import { commandOptions, parseArgs as parseDrArgs } from "../lib/dr/args";
import * as catalog from "./catalog";
import { commonOptions, projectStacks, type VerbSpec, verbSpecs } from "./catalog";
import { type Io, parseVerbArgs, processIo } from "./lib/cli";
import type { Verb } from "./verbs/verb";

/** Each verb's module, loaded only when it runs (it pulls in the clients it needs). */
const loaders: Readonly<Record<string, () => Promise<Verb>>> = {
    health: async () => (await import("./verbs/health")).health,
    logs: async () => (await import("./verbs/logs")).logs,
    backup: async () => (await import("./verbs/backup")).backup,
    maintenance: async () => (await import("./verbs/maintenance")).maintenance,
    tls: async () => (await import("./verbs/tls")).tls,
    restart: async () => (await import("./verbs/restart")).restart,
    scale: async () => (await import("./verbs/scale")).scale,
    stop: async () => (await import("./verbs/stop")).stop,
    start: async () => (await import("./verbs/start")).start,
    db: async () => (await import("./verbs/db")).db,
    report: async () => (await import("./verbs/report")).report,
    update: async () => (await import("./verbs/update")).update,
    release: async () => (await import("./verbs/release")).release,
    security: async () => (await import("./verbs/security")).security,
    config: async () => (await import("./verbs/config")).config,
    dr: async () => (await import("./verbs/dr")).dr,
};

/** The verbs, in the order `mcp --help` lists them, each with its loader. */
export const verbs: readonly { spec: VerbSpec; load: () => Promise<Verb> }[] = verbSpecs.map(
    (spec) => ({ spec, load: loaders[spec.name] }),
);

const completionSynopsis = "mcp completion bash|zsh";

/** The options of a verb as its `--help` lists them: its own, then the common ones. */
function verbOptions(spec: VerbSpec) {
    return spec.name === catalog.dr.name ? spec.options : { ...spec.options, ...commonOptions };
}

export function verbHelp(spec: VerbSpec): string {
    return renderHelp(spec.help, verbOptions(spec));
}

const indent = (lines: readonly string[], first: string) =>
    lines.map((line, i) => `  ${(i === 0 ? first : "").padEnd(12)} ${line.replace(/^mcp /, "")}`);

export const usage = [
    "usage: mcp <verb> [options]      (mcp <verb> --help: every form and option of a verb)",
    `       ${completionSynopsis}   (source <(npx mcp completion bash) in ~/.bashrc)`,
    "       mcp --version | --help",
    "",
    "verbs:",
    ...verbSpecs.flatMap((spec) => indent(spec.help.synopsis, spec.name)),
    ...indent([completionSynopsis], "completion"),
    "",
    "Every verb but dr takes --stack production|dr (default: $MCP_STACK, else the selected",
    "Pulumi stack); read verbs take -o json|yaml (--json is -o json). Durations: 30s, 5m,",
    "1h30m, 7d, or a number of seconds.",
    "",
    "exit codes: 0 done/healthy, 1 a problem was found or an operation failed,",
    "            2 usage error, 3 a system the verb needs could not be reached",
].join("\n");

/** What `mcp completion` completes: every verb, its actions and options, and their values. */
export function completionCommands(): CompletionCommand[] {
    const stacks = projectStacks();
    const withStacks = (options: VerbSpec["options"]) =>
        Object.fromEntries(
            Object.entries(options).map(([name, spec]) => [
                name,
                name === "stack" ? { ...spec, choices: stacks } : spec,
            ]),
        );
    return [
        ...verbSpecs.map((spec): CompletionCommand => {
            const options = withStacks(verbOptions(spec));
            const subcommands = (spec.actions ?? []).map((action) => ({
                name: action,
                options:
                    spec.name === catalog.dr.name
                        ? commandOptions(action as (typeof catalog.dr.actions)[number])
                        : options,
                words: spec.words,
            }));
            return { name: spec.name, options, subcommands, words: spec.words };
        }),
        { name: "completion", options: {}, words: shells },
        { name: "help", options: {}, words: verbSpecs.map((s) => s.name) },
    ];
}

function usageError(io: Io, spec: VerbSpec | undefined, message: string): number {
    const name = spec ? `mcp ${spec.name}` : "mcp";
    io.err(usageLine(name, message, `${name} --help`));
    if (spec) io.err(`usage: ${spec.help.synopsis.join("\n       ")}`);
    return exitCodes.usage;
}

const asksForHelp = (args: readonly string[]) => args.includes("--help") || args.includes("-h");

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined) {
        io.err(usage);
        return exitCodes.usage;
    }
    if (name === "--help" || name === "-h" || name === "help") {
        const spec = name === "help" ? verbSpecs.find((v) => v.name === rest[0]) : undefined;
        if (name === "help" && rest[0] !== undefined && !spec) {
            return usageError(io, undefined, `unknown verb "${rest[0]}"`);
        }
        io.out(spec ? verbHelp(spec) : usage);
        return exitCodes.ok;
    }
    if (name === "--version") {
        io.out(versionLine("mcp"));
        return exitCodes.ok;
    }
    if (name === "completion") {
        if (asksForHelp(rest)) {
            io.out(
                `usage: ${completionSynopsis}\n\nPrints the shell completion of mcp: source <(npx mcp completion bash) in ~/.bashrc,\nsource <(npx mcp completion zsh) in ~/.zshrc (completes \`mcp\` on PATH, e.g. node_modules/.bin).`,
            );
            return exitCodes.ok;
        }
        if (rest.length !== 1 || !(shells as readonly string[]).includes(rest[0])) {
            io.err(usageLine("mcp completion", `give one of ${shells.join(", ")}`, "mcp --help"));
            io.err(`usage: ${completionSynopsis}`);
            return exitCodes.usage;
        }
        io.out(completionScript(rest[0], "mcp", completionCommands(), ["--help", "--version"]));
        return exitCodes.ok;
    }
    const spec = verbSpecs.find((v) => v.name === name);
    if (!spec) {
        const known = [...verbSpecs.map((v) => v.name), "completion"];
        if (name.startsWith("-")) return usageError(io, undefined, `unknown option ${name}`);
        io.err(`mcp: unknown verb "${name}"; verbs: ${known.join(", ")}`);
        return exitCodes.usage;
    }
    try {
        if (spec.name === catalog.dr.name) {
            // `mcp dr … --help` prints the DR command's own usage; its parser is light.
            const parsed = parseDrArgs(rest);
            if ("help" in parsed) {
                io.out(parsed.help);
                return exitCodes.ok;
            }
        } else {
            if (asksForHelp(rest)) {
                io.out(verbHelp(spec));
                return exitCodes.ok;
            }
            // A wrong option is a usage error before the verb and its clients load.
            parseVerbArgs(rest, spec);
        }
        const verb = await loaders[spec.name]();
        return await verb.run(rest, io);
    } catch (error) {
        if (error instanceof UsageError) return usageError(io, spec, error.message);
        if (error instanceof CliError) {
            io.err(cliErrorText(`mcp ${name}`, error));
            return error.exitCode;
        }
        throw error;
    }
}

/** The flags of every option of a verb (tests check completion offers them all). */
export function verbFlags(spec: VerbSpec): string[] {
    return Object.entries(verbOptions(spec)).flatMap(([option, s]) => optionFlags(option, s));
}

if (require.main === module) {
    // The AWS SDK warns on every run under Node 20 that its 2027 releases need Node 22; the
    // project's Node version is set in package.json `engines`, not by the operator's command.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error) => {
            console.error(`mcp: unexpected error: ${(error as Error).stack ?? String(error)}`);
            process.exit(exitCodes.problem);
        },
    );
}
