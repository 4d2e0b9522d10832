/**
 * Offline synth: `npm run synth -- <stack>`.
 *
 * Runs the real program (index.ts) under Pulumi's mock runtime with the stack's config,
 * writes what it declares to `out/<stack>/` (resources.json, k8s/, prometheus/,
 * alertmanager/, worker/, policy-report.json; docs/architecture.md), runs the policy pack's
 * policies against it, prints a summary and exits non-zero on invalid config or any
 * mandatory policy violation. No Pulumi CLI, plugin or cloud account is involved.
 *
 * Progress lines go to stderr as each step finishes (the run takes several seconds); the
 * summary on stdout opens with one line: resources, policies and violations. `--help` lists
 * every form and option, `--version` the repository's version; a usage error prints one line
 * and exits 2 (tools/lib/cli/program.ts, the convention of every entry point).
 */
import "./lib/compile-cache";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { UsageError } from "./lib/cli/errors";
import type { OptionSpecs, ParsedCommandLine } from "./lib/cli/options";
import { runScript, type ScriptCommand } from "./lib/cli/program";
import { type PolicyPackConfig, runPolicies, type PolicyReport } from "./lib/policy-runner";
import { toPlainJson } from "./lib/records";
import { runProgram } from "./lib/run-program";
import { listStacks, readStackConfig, resolveStack } from "./lib/stack-file";
import { writers } from "./lib/writers";

const projectDir = path.resolve(__dirname, "..");

/** The command line: every form, every option (tools/lib/cli/, as every entry point). */
const command = {
    program: "synth",
    invocation: "npm run synth --",
    help: {
        synopsis: [
            "npm run synth -- <stack> [--verbose | --quiet] [--out DIR]",
            "npm run synth -- <stack> --stack-file FILE [--program FILE]",
            "npm run synth -- <stack> --policy-config FILE",
        ],
        summary:
            "Runs index.ts offline under Pulumi's mock runtime with Pulumi.<stack>.yaml, writes\nout/<stack>/ and runs the policy pack; exits 1 on invalid config or a mandatory violation,\n2 on a usage error.",
    },
    options: {
        verbose: { type: "boolean", help: "also list the resources by type in the summary" },
        quiet: {
            type: "boolean",
            help: "no progress lines on stderr (errors and violations still print)",
        },
        out: { type: "string", value: "DIR", help: "write somewhere other than out/<stack>" },
        "stack-file": {
            type: "string",
            value: "FILE",
            help: "read config from this file instead of Pulumi.<stack>.yaml",
        },
        program: {
            type: "string",
            value: "FILE",
            help: "run this program instead of index.ts (tests, fixtures)",
        },
        "policy-config": {
            type: "string",
            value: "FILE",
            help: "a policy-pack config (JSON), as pulumi up --policy-pack-config takes it",
        },
    },
    helpSuffix: () => `stacks in this project: ${listStacks(projectDir).join(", ")}`,
} as const satisfies ScriptCommand<OptionSpecs>;

type Options = ParsedCommandLine<typeof command.options>;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function summarize(
    stack: string,
    records: { type: string }[],
    artifacts: string[],
    report: PolicyReport,
    policies: readonly Policy[],
    outDir: string,
    verbose: boolean,
): string {
    const byLevel = (level: string) => report.results.filter((r) => r.level === level).length;
    const totals = [
        plural(records.length, "resource", "resources"),
        plural(report.ran.length, "policy", "policies"),
        plural(byLevel("mandatory"), "mandatory violation", "mandatory violations"),
        `${byLevel("advisory")} advisory`,
    ];
    const lines = [`${stack}: ${totals.join(", ")}`];
    const folders = new Set(artifacts.map((file) => file.split(path.sep)[0]));
    lines.push(
        `artifacts in ${relative(outDir)}: resources.json, outputs.json, policy-report.json${[...folders].map((f) => `, ${f}/`).join("")}`,
    );
    if (verbose) {
        const counts = new Map<string, number>();
        for (const record of records) counts.set(record.type, (counts.get(record.type) ?? 0) + 1);
        lines.push("resources by type:");
        for (const [type, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
            lines.push(`  ${String(count).padStart(4)}  ${type}`);
        }
    }
    const remediation = new Map(policies.map((p) => [p.name, p.remediationSteps]));
    for (const result of report.results) {
        lines.push(`  [${result.level}] ${result.policy}: ${result.resource}`);
        lines.push(`      ${result.message}`);
        const fix = remediation.get(result.policy);
        if (fix && result.level === "mandatory") lines.push(`      fix: ${fix}`);
    }
    return lines.join("\n");
}

const relative = (file: string) => path.relative(process.cwd(), file) || ".";

/** A policy-pack config file: a JSON object, else a usage error naming the file. */
function readPolicyConfig(file: string): PolicyPackConfig {
    let parsed: unknown;
    try {
        parsed = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (error) {
        throw new UsageError(`--policy-config ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new UsageError(
            `--policy-config ${file}: expected a JSON object of policy name → enforcement level`,
        );
    }
    return parsed as PolicyPackConfig;
}

/** The oldest Node.js major the program supports (package.json engines). */
const minimumNodeMajor = 22;

async function main({ values, positionals }: Options): Promise<number> {
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    const nodeMajor = Number(process.versions.node.split(".")[0]);
    if (nodeMajor < minimumNodeMajor) {
        process.stderr.write(
            `synth: warning: Node.js ${process.version} is not supported (package.json engines: >=${minimumNodeMajor}); \`bash dev/quickstart.sh\` uses the pinned Node (dev/node.sh)\n`,
        );
    }
    const options = {
        verbose: values.verbose ?? false,
        quiet: values.quiet ?? false,
        out: values.out,
        program: values.program,
        policyConfig: values["policy-config"],
    };
    const { stack, stackFile } = resolveStack(projectDir, positionals[0], values["stack-file"]);
    const progress = (line: string) => {
        if (!options.quiet) process.stderr.write(`synth ${stack}: ${line}\n`);
    };
    const program = path.resolve(options.program ?? path.join(projectDir, "index.ts"));
    const outDir = path.resolve(options.out ?? path.join(projectDir, "out", stack));

    const { project, config, secretKeys } = readStackConfig(projectDir, stackFile);
    const packConfig = options.policyConfig ? readPolicyConfig(options.policyConfig) : {};
    progress(`config loaded from ${relative(stackFile)}`);
    progress(`running program ${relative(program)}`);
    // An unexpected error in the program prints its stack only with MCP_SYNTH_STACKS=1:
    // stack captures and source maps cost a third of the synth (tools/lib/run-program.ts).
    const captureStacks = process.env.MCP_SYNTH_STACKS === "1";
    if (!captureStacks) process.setSourceMapsEnabled(false);
    // The program reads the peer stack's file beside its own (config/network.ts).
    process.env.MCP_STACK_DIR = path.dirname(stackFile);
    const run = await runProgram({
        project,
        stack,
        region: config["aws:region"] ?? "us-east-1",
        config,
        secretKeys,
        load: () => import(program),
        captureStacks,
    });
    progress(`${plural(run.records.length, "resource", "resources")} registered`);

    progress(`writing ${relative(outDir)}`);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    // Registration order depends on when each `apply` resolves; URN order does not, so every
    // run writes the same files.
    const inUrnOrder = [...run.records].sort((a, b) =>
        a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0,
    );
    const records = inUrnOrder.map(
        ({ type, name, urn, parent, provider, custom, inputs, options }) => ({
            type,
            name,
            urn,
            parent,
            provider,
            custom,
            inputs,
            options,
        }),
    );
    fs.writeFileSync(path.join(outDir, "resources.json"), `${JSON.stringify(records, null, 2)}\n`);
    const outputs = toPlainJson(run.outputs) as Record<string, unknown>;
    fs.writeFileSync(path.join(outDir, "outputs.json"), `${JSON.stringify(outputs, null, 2)}\n`);
    const artifacts = writers.flatMap((writer) =>
        writer.write({ stack, outDir, records, outputs }),
    );

    // Imported here, not at the top, so a config error is reported before the pack loads.
    const { policies, packEnforcementLevel } = await import("../policies/policies");
    const stackUrn = `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
    // Policies see secrets unwrapped, as `pulumi preview --policy-pack` shows them; only
    // what is written above is redacted.
    const policyRecords = records.map((record, i) => ({
        ...record,
        inputs: inUrnOrder[i].policyInputs ?? record.inputs,
    }));
    const report = await runPolicies(
        policies,
        policyRecords,
        packEnforcementLevel,
        stackUrn,
        new Map(),
        packConfig,
    );
    progress(`policies: ${report.ran.length} ran`);
    fs.writeFileSync(
        path.join(outDir, "policy-report.json"),
        `${JSON.stringify(report, null, 2)}\n`,
    );

    process.stdout.write(
        `${summarize(stack, records, artifacts, report, policies, outDir, options.verbose)}\n`,
    );
    const mandatory = report.results.filter((r) => r.level === "mandatory").length;
    if (mandatory > 0) {
        process.stderr.write(
            `synth ${stack}: ${mandatory} mandatory policy violation(s); see above.\n`,
        );
        return 1;
    }
    return 0;
}

runScript(command, async (parsed) => {
    try {
        return await main(parsed);
    } catch (error) {
        // Config errors and the runner's own (an invoke the mocks do not answer) are the
        // user's to fix: the message alone, exit 1.
        const known =
            error instanceof Error &&
            (error.name === "ConfigError" ||
                error.name === "RunError" ||
                error.name === "StackFileError" ||
                pulumi.RunError.isInstance(error));
        if (!known) throw error;
        process.stderr.write(`${(error as Error).message}\n`);
        return 1;
    }
}).then((code) => process.exit(code));
