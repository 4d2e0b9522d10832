import { parseStrict, UsageError } from "../cli-args";
import { defaultEdgeDeadlineMs, defaultEdgePollIntervalMs, parseDuration, rpoMs } from "./targets";

export { UsageError } from "../cli-args";

/** Command line of `npm run dr -- <command> [options]`. */
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
    readonly json: boolean;
}

/** `--help`, `-h` or `help [command]`: the text to print on stdout instead of running. */
export interface HelpRequest {
    readonly help: string;
}

const descriptions: Record<Command, readonly string[]> = {
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

interface OptionSpec {
    readonly type: "string" | "boolean";
    readonly short?: string;
    readonly label: string;
    readonly help: string;
    /** The commands that accept the option; all of them when absent. */
    readonly only?: readonly Command[];
}

/** Every option, in the order the usage lists them. */
const optionSpecs = {
    "dr-stack": {
        type: "string",
        label: "--dr-stack <name>",
        help: "the standby stack (default: dr; may be org/dr)",
    },
    "production-stack": {
        type: "string",
        label: "--production-stack <name>",
        help: "the primary stack (default: production)",
    },
    "max-backup-age": {
        type: "string",
        label: "--max-backup-age <dur>",
        help: "newest backup may be this old (default: 1h, the RPO)",
    },
    "edge-hostname": {
        type: "string",
        label: "--edge-hostname <host>",
        help: "edge hostname or base URL (default: the stacks' edgeHostname output)",
    },
    "edge-deadline": {
        type: "string",
        label: "--edge-deadline <dur>",
        help: "how long to wait for the edge to switch (default: 5m)",
        only: ["activate", "failback"],
    },
    "edge-poll-interval": {
        type: "string",
        label: "--edge-poll-interval <dur>",
        help: "between edge checks (default: 10s)",
        only: ["activate", "failback"],
    },
    "s3-endpoint-url": {
        type: "string",
        label: "--s3-endpoint-url <url>",
        help: "an S3-compatible endpoint instead of AWS (drills, tests)",
    },
    "dry-run": {
        type: "boolean",
        label: "--dry-run",
        help: "activate/failback: run the preflight only, change nothing",
        only: ["activate", "failback"],
    },
    yes: {
        type: "boolean",
        label: "--yes",
        help: "do not ask for confirmation (workflows)",
        only: ["activate", "failback"],
    },
    "data-restored": {
        type: "boolean",
        label: "--data-restored",
        help: "failback: the final DR backup has been restored into production",
        only: ["failback"],
    },
    reseeded: {
        type: "boolean",
        label: "--reseeded",
        help: "failback: production's postgres-primary-0 replays dr's WAL archive (re-seeded); promote it instead of --data-restored",
        only: ["failback"],
    },
    "skip-production-up": {
        type: "boolean",
        label: "--skip-production-up",
        help: "failback: production was updated separately; check its last update",
        only: ["failback"],
    },
    json: {
        type: "boolean",
        label: "--json",
        help: "status: print the report as JSON",
        only: ["status"],
    },
    help: {
        type: "boolean",
        short: "h",
        label: "-h, --help",
        help: "print this help; `<command> --help`: only that command's options",
    },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof optionSpecs;

const optionLines = (names: readonly OptionName[]) =>
    names.map((name) => `  ${optionSpecs[name].label.padEnd(26)} ${optionSpecs[name].help}`);

const allOptions = Object.keys(optionSpecs) as OptionName[];

const appliesTo = (name: OptionName, command: Command) => {
    const spec: OptionSpec = optionSpecs[name];
    return spec.only === undefined || spec.only.includes(command);
};

export const usage = [
    "usage: npm run dr -- <command> [options]",
    "",
    "commands:",
    ...commands.flatMap((command) =>
        descriptions[command].map((line, i) => `  ${(i === 0 ? command : "").padEnd(14)} ${line}`),
    ),
    "",
    "options:",
    ...optionLines(allOptions),
].join("\n");

/** The usage of one command: what it does and only the options it accepts. */
export function commandUsage(command: Command): string {
    return [
        `usage: npm run dr -- ${command} [options]`,
        "",
        ...descriptions[command],
        "",
        "options:",
        ...optionLines(allOptions.filter((name) => appliesTo(name, command) && name !== "help")),
        `  ${optionSpecs.help.label.padEnd(26)} print this help`,
    ].join("\n");
}

function duration(option: string, text: string): number {
    try {
        const ms = parseDuration(text);
        if (ms <= 0) throw new Error(`expected a positive duration (got "${text}")`);
        return ms;
    } catch (error) {
        throw new UsageError(`${option}: ${(error as Error).message}`);
    }
}

function knownCommand(name: string): Command {
    if (!(commands as readonly string[]).includes(name)) {
        throw new UsageError(`unknown command "${name}"; expected one of ${commands.join(", ")}`);
    }
    return name as Command;
}

/** Parses the command line; throws a UsageError naming the first problem. */
export function parseArgs(argv: readonly string[]): CliOptions | HelpRequest {
    const { values, positionals } = parseStrict({
        args: argv,
        options: optionSpecs,
        allowPositionals: true,
        strict: true,
    });
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
        json: values.json ?? false,
    };
}
