import { UsageError } from "../cli/errors";
import { optionLines, renderHelp } from "../cli/help";
import {
    duration as parseDuration,
    type OptionSpec,
    type OptionSpecs,
    type OutputFormat,
    outputFormat,
    outputOptions,
    parseCommandLine,
} from "../cli/options";
import { defaultEdgeDeadlineMs, defaultEdgePollIntervalMs, rpoMs } from "./targets";

export { UsageError };

/** Command line of `mcp dr <command> [options]` (`npm run dr -- …`). */
export const commands = ["status", "activate", "failback", "check-deploy"] as const;
export type Command = (typeof commands)[number];

export interface CliOptions {
    readonly command: Command;
    readonly drStack: string;
    readonly productionStack: string;
    readonly maxBackupAgeMs: number;
    readonly edgeHostname?: string;
    readonly edgeDeadlineMs: number;
    readonly edgePollIntervalMs: number;
    readonly s3EndpointUrl?: string;
    readonly yes: boolean;
    readonly dryRun: boolean;
    readonly dataRestored: boolean;
    /** Failback: production was re-seeded from dr's WAL archive; promote it. */
    readonly reseeded: boolean;
    readonly skipProductionUp: boolean;
    /** status: `-o json|yaml` (`--json`), else text. */
    readonly output: OutputFormat;
}

/** `--help`, `-h` or `help [command]`: the text to print on stdout instead of running. */
export interface HelpRequest {
    readonly help: string;
}

export const descriptions: Record<Command, readonly string[]> = {
    status: ["both stacks, the newest replicated backup against the RPO, the edge's region"],
    activate: [
        "preflight, then drActive: true and pulumi up on the dr stack, then verify the edge",
    ],
    failback: [
        "after production holds the DR data: pulumi up on production, drActive: false",
        "and pulumi up on the dr stack, verify the edge, re-arm dr's database (docs/dr.md)",
    ],
    "check-deploy": [
        "fail when Pulumi.<dr>.yaml disagrees with the deployed dr stack (deploy workflow)",
    ],
};

interface DrOptionSpec extends OptionSpec {
    /** The commands that accept the option; all of them when absent. */
    readonly only?: readonly Command[];
}

/** Every option, in the order the usage lists them. */
export const optionSpecs = {
    "dr-stack": {
        type: "string",
        value: "NAME",
        help: "the standby stack (default: dr; may be org/dr)",
    },
    "production-stack": {
        type: "string",
        value: "NAME",
        help: "the primary stack (default: production)",
    },
    "max-backup-age": {
        type: "string",
        value: "DURATION",
        help: "newest backup may be this old (default: 1h, the RPO; 90m, 1h30m or seconds)",
    },
    "edge-hostname": {
        type: "string",
        value: "HOST",
        help: "edge hostname or base URL (default: the stacks' edgeHostname output)",
    },
    "edge-deadline": {
        type: "string",
        value: "DURATION",
        help: "how long to wait for the edge to switch (default: 5m)",
        only: ["activate", "failback"],
    },
    "edge-poll-interval": {
        type: "string",
        value: "DURATION",
        help: "between edge checks (default: 10s)",
        only: ["activate", "failback"],
    },
    "s3-endpoint-url": {
        type: "string",
        value: "URL",
        help: "an S3-compatible endpoint instead of AWS (drills, tests)",
    },
    "dry-run": {
        type: "boolean",
        help: "activate/failback: run the preflight only, change nothing",
        only: ["activate", "failback"],
    },
    yes: {
        type: "boolean",
        help: "do not ask for confirmation (workflows)",
        only: ["activate", "failback"],
    },
    "data-restored": {
        type: "boolean",
        help: "failback: the final DR backup has been restored into production",
        only: ["failback"],
    },
    reseeded: {
        type: "boolean",
        help: "failback: production's postgres-primary-0 replays dr's WAL archive (re-seeded); promote it instead of --data-restored",
        only: ["failback"],
    },
    "skip-production-up": {
        type: "boolean",
        help: "failback: production was updated separately; check its last update",
        only: ["failback"],
    },
    output: {
        ...outputOptions.output,
        help: "status: print the report as JSON or YAML",
        only: ["status"],
    },
    json: { ...outputOptions.json, help: "status: the same as -o json", only: ["status"] },
    help: {
        type: "boolean",
        short: "h",
        help: "print this help; `<command> --help`: only that command's options",
    },
} as const satisfies Record<string, DrOptionSpec>;

type OptionName = keyof typeof optionSpecs;

const allOptions = Object.keys(optionSpecs) as OptionName[];

const appliesTo = (name: OptionName, command: Command) => {
    const spec: DrOptionSpec = optionSpecs[name];
    return spec.only === undefined || spec.only.includes(command);
};

/** The options `command` accepts (for its help and for completion). */
export function commandOptions(command: Command): OptionSpecs {
    return Object.fromEntries(
        allOptions
            .filter((name) => appliesTo(name, command))
            .map((name) => [
                name,
                name === "help"
                    ? { ...optionSpecs.help, help: "print this help" }
                    : optionSpecs[name],
            ]),
    );
}

const sameCommand = "`npm run dr -- <command> …` is the same command.";

export const usage = [
    "usage: mcp dr <command> [options]",
    ...commands.map((command) => `       mcp dr ${command} [options]`),
    "",
    "commands:",
    ...commands.flatMap((command) =>
        descriptions[command].map((line, i) => `  ${(i === 0 ? command : "").padEnd(14)} ${line}`),
    ),
    "",
    "options:",
    ...optionLines(optionSpecs),
    "",
    sameCommand,
    "Exit codes: 0 done (status: no problems); 1 a step failed (status: a problem found);",
    "2 usage; 3 status: a stack, the bucket or the edge could not be reached (the Pulumi CLI",
    "missing, a network failure) and nothing that was reached has a problem.",
].join("\n");

/** The usage of one command: what it does and only the options it accepts. */
export function commandUsage(command: Command): string {
    return renderHelp(
        {
            synopsis: [`mcp dr ${command} [options]`],
            summary: descriptions[command].join("\n"),
            notes: [sameCommand],
        },
        commandOptions(command),
    );
}

function duration(option: string, text: string): number {
    return parseDuration(option, text, { positive: true });
}

function knownCommand(name: string): Command {
    if (!(commands as readonly string[]).includes(name)) {
        throw new UsageError(`unknown command "${name}"; expected one of ${commands.join(", ")}`);
    }
    return name as Command;
}

/** Parses the command line; throws a UsageError naming the first problem. */
export function parseArgs(argv: readonly string[]): CliOptions | HelpRequest {
    if (argv.some((a) => a === "--stack" || a.startsWith("--stack="))) {
        throw new UsageError("mcp dr acts on both stacks: use --dr-stack and --production-stack");
    }
    const { values, positionals } = parseCommandLine(argv, optionSpecs);
    if (positionals[0] === "help") {
        if (positionals.length > 2) throw new UsageError(`unexpected argument ${positionals[2]}`);
        return {
            help: positionals[1] === undefined ? usage : commandUsage(knownCommand(positionals[1])),
        };
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    if (positionals.length === 0) {
        if (values.help) return { help: usage };
        throw new UsageError("no command given");
    }
    const command = knownCommand(positionals[0]);
    if (values.help) return { help: commandUsage(command) };
    for (const name of allOptions) {
        if (values[name] !== undefined && !appliesTo(name, command)) {
            throw new UsageError(`--${name} does not apply to ${command}`);
        }
    }

    return {
        command,
        drStack: values["dr-stack"] ?? "dr",
        productionStack: values["production-stack"] ?? "production",
        maxBackupAgeMs:
            values["max-backup-age"] !== undefined
                ? duration("--max-backup-age", values["max-backup-age"])
                : rpoMs,
        edgeHostname: values["edge-hostname"],
        edgeDeadlineMs:
            values["edge-deadline"] !== undefined
                ? duration("--edge-deadline", values["edge-deadline"])
                : defaultEdgeDeadlineMs,
        edgePollIntervalMs:
            values["edge-poll-interval"] !== undefined
                ? duration("--edge-poll-interval", values["edge-poll-interval"])
                : defaultEdgePollIntervalMs,
        s3EndpointUrl: values["s3-endpoint-url"],
        yes: values.yes ?? false,
        dryRun: values["dry-run"] ?? false,
        dataRestored: values["data-restored"] ?? false,
        reseeded: values.reseeded ?? false,
        skipProductionUp: values["skip-production-up"] ?? false,
        output: outputFormat(values),
    };
}
