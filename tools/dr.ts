/**
 * Disaster recovery by stack switching: `npm run dr -- status | activate | failback | check-deploy`.
 *
 * Built on the Pulumi Automation API, so it needs the Pulumi CLI (logged in to the project's
 * backend), the AWS CLI with credentials that can read the backup buckets, and network
 * access to the edge. The procedures themselves live in tools/lib/dr/ and are tested with
 * these three injected. See docs/dr.md.
 *
 * `npm run dr -- --help` lists the commands and options, `npm run dr -- <command> --help` the
 * options of one command.
 *
 * Exit codes: 0 done (status: no problems), 1 a step failed (status: problems), 2 usage (one
 * line on stderr naming the problem).
 */
import * as path from "node:path";
import * as readline from "node:readline/promises";
import { activate } from "./lib/dr/activate";
import { usageErrorLine } from "./lib/cli-args";
import { parseArgs, UsageError, type CliOptions } from "./lib/dr/args";
import { AwsCliBackupStore } from "./lib/dr/aws-cli-store";
import { failback } from "./lib/dr/failback";
import { fetchGet } from "./lib/dr/http";
import { KubectlDatabase } from "./lib/dr/kubectl-database";
import { PulumiWorkspace } from "./lib/dr/pulumi-workspace";
import { checkDeploy, renderStatus, status } from "./lib/dr/status";
import { type DrDeps, DrStepError, systemClock } from "./lib/dr/types";

const projectDir = path.resolve(__dirname, "..");

async function confirmOnTerminal(summary: string, yes: boolean): Promise<boolean> {
    if (yes) return true;
    if (!process.stdin.isTTY) {
        console.error(`${summary}\nno terminal to confirm on: pass --yes`);
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

export async function main(argv: readonly string[], deps?: Partial<DrDeps>): Promise<number> {
    let options: CliOptions;
    try {
        const parsed = parseArgs(argv);
        if ("help" in parsed) {
            console.log(parsed.help);
            return 0;
        }
        options = parsed;
    } catch (error) {
        if (error instanceof UsageError) {
            console.error(usageErrorLine("dr", error));
            return 2;
        }
        throw error;
    }
    const all: DrDeps = {
        workspace: deps?.workspace ?? new PulumiWorkspace(projectDir),
        store: deps?.store ?? new AwsCliBackupStore({ endpointUrl: options.s3EndpointUrl }),
        database: deps?.database ?? new KubectlDatabase(),
        http: deps?.http ?? fetchGet,
        clock: deps?.clock ?? systemClock,
        log: deps?.log ?? ((line) => console.log(line)),
    };
    const confirm = (summary: string) => confirmOnTerminal(summary, options.yes);

    try {
        switch (options.command) {
            case "status": {
                const report = await status(all, {
                    drStack: options.drStack,
                    productionStack: options.productionStack,
                    rpoMs: options.maxBackupAgeMs,
                    edgeHostname: options.edgeHostname,
                });
                all.log(options.json ? JSON.stringify(report, null, 2) : renderStatus(report));
                return report.problems.length === 0 ? 0 : 1;
            }
            case "activate":
                await activate(all, { ...options, confirm });
                return 0;
            case "failback":
                await failback(all, { ...options, confirm });
                return 0;
            case "check-deploy":
                all.log(await checkDeploy(all, options.drStack));
                return 0;
        }
    } catch (error) {
        if (error instanceof DrStepError) {
            console.error(
                `\nFAILED at step "${error.step}":\n  ${error.problem.replace(/\n/g, "\n  ")}\nwhat to do:\n  ${error.remedy}`,
            );
            return 1;
        }
        throw error;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error) => {
            console.error(`dr: unexpected error: ${(error as Error).stack ?? String(error)}`);
            process.exit(1);
        },
    );
}
