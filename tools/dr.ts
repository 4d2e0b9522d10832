/**
 * Disaster recovery by stack switching: `mcp dr status | activate | failback | check-deploy`
 * (`npm run dr -- …` is the same command; tools/mcp/verbs/dr.ts).
 *
 * Built on the Pulumi Automation API, so it needs the Pulumi CLI (logged in to the project's
 * backend), the AWS CLI with credentials that can read the backup buckets, and network
 * access to the edge. The procedures themselves live in tools/lib/dr/ and are tested with
 * these three injected. See docs/dr.md.
 *
 * Exit codes (docs/operations.md#the-mcp-cli): 0 done (status: no problems); 1 a step failed
 * (status: a problem found); 2 usage (one line on stderr naming the problem); 3 status: a
 * stack, the bucket or the edge could not be reached and nothing reached has a problem.
 */
import * as path from "node:path";
import * as readline from "node:readline/promises";
import { exitCodes } from "./lib/cli/errors";
import { renderData } from "./lib/cli/options";
import { activate } from "./lib/dr/activate";
import { type CliOptions, parseArgs } from "./lib/dr/args";
import { AwsCliBackupStore } from "./lib/dr/aws-cli-store";
import { failback } from "./lib/dr/failback";
import { fetchGet } from "./lib/dr/http";
import { KubectlDatabase } from "./lib/dr/kubectl-database";
import { PulumiWorkspace } from "./lib/dr/pulumi-workspace";
import { checkDeploy, renderStatus, status } from "./lib/dr/status";
import { type DrDeps, DrStepError, systemClock } from "./lib/dr/types";

const projectDir = path.resolve(__dirname, "..");

/** Where the procedure prints: stdout lines (progress, reports) and stderr lines (failures). */
export interface DrIo {
    readonly out: (line: string) => void;
    readonly err: (line: string) => void;
}

const consoleIo: DrIo = {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
};

async function confirmOnTerminal(summary: string, yes: boolean, io: DrIo): Promise<boolean> {
    if (yes) return true;
    if (!process.stdin.isTTY) {
        io.err(`${summary}\nno terminal to confirm on: pass --yes`);
        return false;
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    try {
        const answer = await rl.question(`${summary}\nType "yes" to continue: `);
        return answer.trim() === "yes";
    } finally {
        rl.close();
    }
}

/**
 * Runs one DR command. The command line is parsed by the caller's convention: a UsageError
 * from {@link parseArgs} propagates (the `mcp` CLI prints it in one line and exits 2).
 */
export async function main(
    argv: readonly string[],
    deps?: Partial<DrDeps>,
    io: DrIo = consoleIo,
): Promise<number> {
    const parsed = parseArgs(argv);
    if ("help" in parsed) {
        io.out(parsed.help);
        return exitCodes.ok;
    }
    const options: CliOptions = parsed;
    const all: DrDeps = {
        workspace: deps?.workspace ?? new PulumiWorkspace(projectDir),
        store: deps?.store ?? new AwsCliBackupStore({ endpointUrl: options.s3EndpointUrl }),
        database: deps?.database ?? new KubectlDatabase(),
        http: deps?.http ?? fetchGet,
        clock: deps?.clock ?? systemClock,
        log: deps?.log ?? io.out,
    };
    const confirm = (summary: string) => confirmOnTerminal(summary, options.yes, io);

    try {
        switch (options.command) {
            case "status": {
                const report = await status(all, {
                    drStack: options.drStack,
                    productionStack: options.productionStack,
                    rpoMs: options.maxBackupAgeMs,
                    edgeHostname: options.edgeHostname,
                });
                all.log(
                    options.output === "text"
                        ? renderStatus(report)
                        : renderData(options.output, report),
                );
                if (report.problems.length > 0) return exitCodes.problem;
                return report.unreachable.length > 0 ? exitCodes.unreachable : exitCodes.ok;
            }
            case "activate":
                await activate(all, { ...options, confirm });
                return exitCodes.ok;
            case "failback":
                await failback(all, { ...options, confirm });
                return exitCodes.ok;
            case "check-deploy":
                all.log(await checkDeploy(all, options.drStack));
                return exitCodes.ok;
        }
    } catch (error) {
        if (error instanceof DrStepError) {
            io.err(
                `\nFAILED at step "${error.step}":\n  ${error.problem.replace(/\n/g, "\n  ")}\nwhat to do:\n  ${error.remedy}`,
            );
            return exitCodes.problem;
        }
        throw error;
    }
}
