/**
 * `mcp`, the operators' CLI (docs/operations.md#the-mcp-cli): one verb per file in
 * tools/mcp/verbs/, run as `npx mcp <verb> …` (tools/mcp/bin.mjs runs this file through tsx).
 *
 * Exit codes: 0 done / healthy; 1 a check found a problem or an operation failed (what and
 * what to do on stderr); 2 usage (one line naming the problem); 3 a system the verb needs
 * could not be reached.
 */
import { CliError, exitCodes, type Io, processIo, renderHelp, UsageError } from "./lib/cli";
import type { Verb } from "./verbs/verb";

/**
 * The verbs, each loaded only when it runs (a verb pulls in the Kubernetes, AWS or Pulumi
 * clients it needs), with the one line `mcp --help` shows; test/tools/mcp/cli.test.ts checks
 * that each line is the verb's own first synopsis line.
 */
export const verbs: readonly { name: string; synopsis: string; load: () => Promise<Verb> }[] = [
    {
        name: "health",
        synopsis: "mcp health [service] [--verbose] [--wait [--timeout 5m]] [--json]",
        load: async () => (await import("./verbs/health")).health,
    },
    {
        name: "logs",
        synopsis:
            "mcp logs [service] [--level error] [--since 1h] [--search TEXT] [--limit 100] [--json]",
        load: async () => (await import("./verbs/logs")).logs,
    },
    {
        name: "backup",
        synopsis: "mcp backup status [--json]",
        load: async () => (await import("./verbs/backup")).backup,
    },
    {
        name: "maintenance",
        synopsis: "mcp maintenance status [--json]",
        load: async () => (await import("./verbs/maintenance")).maintenance,
    },
    {
        name: "tls",
        synopsis: "mcp tls check [--warn-days 21] [--prometheus-url URL] [--json]",
        load: async () => (await import("./verbs/tls")).tls,
    },
    {
        name: "restart",
        synopsis: "mcp restart <service>... [--graceful] [--timeout 10m]",
        load: async () => (await import("./verbs/restart")).restart,
    },
    {
        name: "scale",
        synopsis: "mcp scale <service> --replicas N [--wait] [--timeout 5m]",
        load: async () => (await import("./verbs/scale")).scale,
    },
    {
        name: "db",
        synopsis: "mcp db connections [--warn-ratio 0.8] [--json]",
        load: async () => (await import("./verbs/db")).db,
    },
    {
        name: "report",
        synopsis: "mcp report daily [--prometheus-url URL] [--json]",
        load: async () => (await import("./verbs/report")).report,
    },
    {
        name: "config",
        synopsis: "mcp config set KEY VALUE [--service NAME] [--secret]",
        load: async () => (await import("./verbs/config")).config,
    },
    {
        name: "dr",
        synopsis: "mcp dr status|activate|failback|check-deploy [options]",
        load: async () => (await import("./verbs/dr")).dr,
    },
];

export const usage = [
    "usage: mcp <verb> [options]      (mcp <verb> --help for its options)",
    "",
    "verbs:",
    ...verbs.map((v) => `  ${v.name.padEnd(12)} ${v.synopsis.replace(/^mcp /, "")}`),
    "",
    "Every verb takes --stack production|dr (default: $MCP_STACK, else the selected Pulumi",
    "stack); read verbs take --json.",
    "",
    "exit codes: 0 done/healthy, 1 a problem was found or an operation failed,",
    "            2 usage error, 3 a system the verb needs could not be reached",
].join("\n");

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
    const [name, ...rest] = argv;
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
        const entry = name === "help" ? verbs.find((v) => v.name === rest[0]) : undefined;
        io.out(entry ? renderHelp((await entry.load()).help) : usage);
        return name === undefined ? exitCodes.usage : exitCodes.ok;
    }
    const entry = verbs.find((v) => v.name === name);
    if (!entry) {
        io.err(`mcp: unknown verb "${name}"; verbs: ${verbs.map((v) => v.name).join(", ")}`);
        return exitCodes.usage;
    }
    const verb = await entry.load();
    // `mcp dr` prints the help of the DR command it is given.
    if (name !== "dr" && (rest.includes("--help") || rest.includes("-h"))) {
        io.out(renderHelp(verb.help));
        return exitCodes.ok;
    }
    try {
        return await verb.run(rest, io);
    } catch (error) {
        if (error instanceof UsageError) {
            io.err(`mcp ${name}: ${error.message}; see mcp ${name} --help`);
            return exitCodes.usage;
        }
        if (error instanceof CliError) {
            io.err(
                `mcp ${name}: ${error.problem.replace(/\n/g, "\n  ")}\nwhat to do: ${error.remedy}`,
            );
            return error.exitCode;
        }
        throw error;
    }
}

if (require.main === module) {
    // The AWS SDK warns on every run under Node 20 that its 2027 releases need Node 22; the
    // project's Node version is set in package.json `engines`, not by the operator's command.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error) => {
            console.error(`mcp: unexpected error: ${(error as Error).stack ?? String(error)}`);
            process.exit(1);
        },
    );
}
