import { defaultEdgeDeadlineMs, defaultEdgePollIntervalMs, parseDuration, rpoMs } from "./targets";

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
    readonly skipProductionUp: boolean;
    readonly json: boolean;
}

export const usage = `usage: npm run dr -- <command> [options]

commands:
  status         both stacks, the newest replicated backup against the RPO, the edge's region
  activate       preflight, then drActive: true and pulumi up on the dr stack, then verify the edge
  failback       after production holds the DR data: pulumi up on production, drActive: false
                 and pulumi up on the dr stack, then verify the edge (docs/dr.md)
  check-deploy   fail when Pulumi.<dr>.yaml disagrees with the deployed dr stack (deploy workflow)

options:
  --dr-stack <name>          the standby stack (default: dr; may be org/dr)
  --production-stack <name>  the primary stack (default: production)
  --max-backup-age <dur>     newest backup may be this old (default: 1h, the RPO)
  --edge-hostname <host>     edge hostname or base URL (default: the stacks' edgeHostname output)
  --edge-deadline <dur>      how long to wait for the edge to switch (default: 5m)
  --edge-poll-interval <dur> between edge checks (default: 10s)
  --s3-endpoint-url <url>    an S3-compatible endpoint instead of AWS (drills, tests)
  --dry-run                  activate/failback: run the preflight only, change nothing
  --yes                      do not ask for confirmation (workflows)
  --data-restored            failback: the final DR backup has been restored into production
  --skip-production-up       failback: production was updated separately; check its last update
  --json                     status: print the report as JSON`;

export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

const valueOptions = [
    "--dr-stack",
    "--production-stack",
    "--max-backup-age",
    "--edge-hostname",
    "--edge-deadline",
    "--edge-poll-interval",
    "--s3-endpoint-url",
] as const;
const flagOptions = [
    "--yes",
    "--dry-run",
    "--data-restored",
    "--skip-production-up",
    "--json",
] as const;

function duration(option: string, text: string): number {
    try {
        const ms = parseDuration(text);
        if (ms <= 0) throw new Error(`expected a positive duration (got "${text}")`);
        return ms;
    } catch (error) {
        throw new UsageError(`${option}: ${(error as Error).message}`);
    }
}

export function parseArgs(argv: readonly string[]): CliOptions {
    const values = new Map<string, string>();
    const flags = new Set<string>();
    let command: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const [name, inline] = arg.startsWith("--") ? splitInline(arg) : [arg, undefined];
        if ((valueOptions as readonly string[]).includes(name)) {
            const value = inline ?? argv[++i];
            if (value === undefined || value.startsWith("--")) {
                throw new UsageError(`${name} needs a value`);
            }
            values.set(name, value);
        } else if ((flagOptions as readonly string[]).includes(name)) {
            if (inline !== undefined) throw new UsageError(`${name} takes no value`);
            flags.add(name);
        } else if (name.startsWith("--")) {
            throw new UsageError(`unknown option ${name}`);
        } else if (command === undefined) {
            command = name;
        } else {
            throw new UsageError(`unexpected argument ${name}`);
        }
    }
    if (command === undefined) throw new UsageError("no command given");
    if (!(commands as readonly string[]).includes(command)) {
        throw new UsageError(
            `unknown command "${command}"; expected one of ${commands.join(", ")}`,
        );
    }
    const only = (option: string, allowed: readonly Command[]) => {
        if ((values.has(option) || flags.has(option)) && !allowed.includes(command as Command)) {
            throw new UsageError(`${option} does not apply to ${command}`);
        }
    };
    only("--dry-run", ["activate", "failback"]);
    only("--yes", ["activate", "failback"]);
    only("--data-restored", ["failback"]);
    only("--skip-production-up", ["failback"]);
    only("--json", ["status"]);
    only("--edge-deadline", ["activate", "failback"]);
    only("--edge-poll-interval", ["activate", "failback"]);

    return {
        command: command as Command,
        drStack: values.get("--dr-stack") ?? "dr",
        productionStack: values.get("--production-stack") ?? "production",
        maxBackupAgeMs: values.has("--max-backup-age")
            ? duration("--max-backup-age", values.get("--max-backup-age")!)
            : rpoMs,
        edgeHostname: values.get("--edge-hostname"),
        edgeDeadlineMs: values.has("--edge-deadline")
            ? duration("--edge-deadline", values.get("--edge-deadline")!)
            : defaultEdgeDeadlineMs,
        edgePollIntervalMs: values.has("--edge-poll-interval")
            ? duration("--edge-poll-interval", values.get("--edge-poll-interval")!)
            : defaultEdgePollIntervalMs,
        s3EndpointUrl: values.get("--s3-endpoint-url"),
        yes: flags.has("--yes"),
        dryRun: flags.has("--dry-run"),
        dataRestored: flags.has("--data-restored"),
        skipProductionUp: flags.has("--skip-production-up"),
        json: flags.has("--json"),
    };
}

function splitInline(arg: string): [string, string | undefined] {
    const eq = arg.indexOf("=");
    return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}
