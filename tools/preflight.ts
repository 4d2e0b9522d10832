/**
 * `npm run preflight -- <stack>`: what `Pulumi.<stack>.yaml` still needs before a real deploy.
 *
 * Offline (no Pulumi CLI, no cloud account): it lists every unset credential, every example
 * value the committed stack files ship with (the AWS account 111111111111, Cloudflare ids,
 * placeholder ALB targets and certificate ARNs, `organization/` stack names, example images
 * and example.com addresses) and every value the config validation rejects, grouped, each
 * with its key path and the `pulumi config set` command that sets it. Exit 0 when nothing is
 * left, 1 while anything is (or the file cannot be read: one line naming file and line),
 * 2 on a usage error. No credential value is ever printed.
 */
import * as path from "node:path";
import { UsageError } from "./lib/cli/errors";
import {
    type OptionSpecs,
    outputFormat,
    outputOptions,
    type ParsedCommandLine,
    renderData,
} from "./lib/cli/options";
import { runScript, type ScriptCommand } from "./lib/cli/program";
import { preflight, renderText, StackFileError } from "./lib/preflight/report";
import { listStacks, resolveStack } from "./lib/stack-file";

const projectDir = path.resolve(__dirname, "..");

const command = {
    program: "preflight",
    invocation: "npm run preflight --",
    help: {
        synopsis: [
            "npm run preflight -- <stack> [-o json|yaml]",
            "npm run preflight -- <stack> --stack-file FILE [-o json|yaml]",
        ],
        summary:
            "Lists what Pulumi.<stack>.yaml still needs before a real deploy: unset secrets, example\nvalues and invalid values, each with the command that sets it. Offline. Exits 0 when\nnothing is left, 1 while anything is, 2 on a usage error.",
    },
    options: {
        ...outputOptions,
        "stack-file": {
            type: "string",
            value: "FILE",
            help: "read this file instead of Pulumi.<stack>.yaml",
        },
    },
    helpSuffix: () => `stacks in this project: ${listStacks(projectDir).join(", ")}`,
} as const satisfies ScriptCommand<OptionSpecs>;

function main({ values, positionals }: ParsedCommandLine<typeof command.options>): number {
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    const format = outputFormat(values);
    const { stack, stackFile } = resolveStack(projectDir, positionals[0], values["stack-file"]);
    const report = preflight(projectDir, stack, stackFile);
    process.stdout.write(
        `${format === "text" ? renderText(report) : renderData(format, report)}\n`,
    );
    return report.ready ? 0 : 1;
}

void runScript(command, (parsed) => {
    try {
        return main(parsed);
    } catch (error) {
        // A stack file that cannot be read: one line naming file and line, no stack trace.
        if (!(error instanceof StackFileError)) throw error;
        process.stderr.write(`preflight: ${error.message.split("\n")[0]}\n`);
        return 1;
    }
});
