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
import { parseStrict, UsageError, usageErrorLine } from "./lib/cli-args";
import { preflight, renderText, StackFileError } from "./lib/preflight/report";
import { listStacks, resolveStack } from "./lib/stack-file";

const projectDir = path.resolve(__dirname, "..");

const usage = `usage: npm run preflight -- <stack> [options]

Lists what Pulumi.<stack>.yaml still needs before a real deploy: unset secrets, example
values and invalid values, each with the command that sets it. Offline. Exits 0 when
nothing is left, 1 while anything is, 2 on a usage error.

options:
  --json               print the report as JSON on stdout
  --stack-file <file>  read this file instead of Pulumi.<stack>.yaml
  -h, --help           print this help`;

function parseArgs(argv: string[]) {
    const { values, positionals } = parseStrict({
        args: argv,
        options: {
            json: { type: "boolean" },
            "stack-file": { type: "string" },
            help: { type: "boolean", short: "h" },
        },
        allowPositionals: true,
        strict: true,
    });
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    return {
        help: values.help ?? false,
        json: values.json ?? false,
        stack: positionals[0],
        stackFile: values["stack-file"],
    };
}

function main(argv: string[]): number {
    const options = parseArgs(argv);
    if (options.help) {
        const stacks = listStacks(projectDir).join(", ");
        process.stdout.write(`${usage}\n\nstacks in this project: ${stacks}\n`);
        return 0;
    }
    const { stack, stackFile } = resolveStack(projectDir, options.stack, options.stackFile);
    const report = preflight(projectDir, stack, stackFile);
    process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderText(report)}\n`,
    );
    return report.ready ? 0 : 1;
}

try {
    process.exitCode = main(process.argv.slice(2));
} catch (error) {
    if (error instanceof UsageError) {
        process.stderr.write(`${usageErrorLine("preflight", error)}\n`);
        process.exitCode = 2;
    } else {
        // A stack file that cannot be read, or anything unexpected: one line, no stack trace.
        const message = error instanceof Error ? error.message : String(error);
        const prefix = error instanceof StackFileError ? "" : "unexpected error: ";
        process.stderr.write(`preflight: ${prefix}${message.split("\n")[0]}\n`);
        process.exitCode = 1;
    }
}
