/**
 * Offline synth: `npm run synth -- <stack>`.
 *
 * Runs the real program (index.ts) under Pulumi's mock runtime with the stack's config,
 * writes what it declares to `out/<stack>/` (design.md's output contract), runs the policy
 * pack's policies against it, prints a summary and exits non-zero on invalid config or any
 * mandatory policy violation. No Pulumi CLI, plugin or cloud account is involved.
 *
 * Options (for tests and fixtures):
 *   --out <dir>          write somewhere other than out/<stack>
 *   --stack-file <file>  read config from this file instead of Pulumi.<stack>.yaml
 *   --program <file>     run this program instead of index.ts
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policy } from "@pulumi/policy";
import { runPolicies, type PolicyReport } from "./lib/policy-runner";
import { toPlainJson } from "./lib/records";
import { runProgram } from "./lib/run-program";
import { listStacks, readStackConfig } from "./lib/stack-file";
import { writers } from "./lib/writers";

const projectDir = path.resolve(__dirname, "..");

interface Options {
    stack?: string;
    out?: string;
    stackFile?: string;
    program?: string;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
    const options: Options = {};
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        const value = () => {
            const next = argv[++i];
            if (next === undefined) throw new UsageError(`${arg} needs a value`);
            return next;
        };
        if (arg === "--out") options.out = value();
        else if (arg === "--stack-file") options.stackFile = value();
        else if (arg === "--program") options.program = value();
        else if (arg.startsWith("--")) throw new UsageError(`unknown option ${arg}`);
        else if (options.stack === undefined) options.stack = arg;
        else throw new UsageError(`unexpected argument ${arg}`);
    }
    return options;
}

function summarize(
    stack: string,
    records: { type: string }[],
    artifacts: string[],
    report: PolicyReport,
    policies: readonly Policy[],
    outDir: string,
): string {
    const counts = new Map<string, number>();
    for (const record of records) counts.set(record.type, (counts.get(record.type) ?? 0) + 1);
    const lines = [
        `synth ${stack}: ${records.length} resources -> ${path.relative(process.cwd(), outDir) || "."}`,
    ];
    for (const [type, count] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
        lines.push(`  ${String(count).padStart(4)}  ${type}`);
    }
    const folders = new Set(artifacts.map((file) => file.split(path.sep)[0]));
    lines.push(
        `artifacts: resources.json, policy-report.json${[...folders].map((f) => `, ${f}/`).join("")}`,
    );
    const byLevel = (level: string) => report.results.filter((r) => r.level === level).length;
    lines.push(
        `policies: ${report.ran.length} ran; ${byLevel("mandatory")} mandatory, ${byLevel("advisory")} advisory violation(s)`,
    );
    const remediation = new Map(policies.map((p) => [p.name, p.remediationSteps]));
    for (const result of report.results) {
        lines.push(`  [${result.level}] ${result.policy}: ${result.resource}`);
        lines.push(`      ${result.message}`);
        const fix = remediation.get(result.policy);
        if (fix && result.level === "mandatory") lines.push(`      fix: ${fix}`);
    }
    return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
    const options = parseArgs(argv);
    const stacks = listStacks(projectDir);
    if (options.stack === undefined || (!options.stackFile && !stacks.includes(options.stack))) {
        const given =
            options.stack === undefined ? "no stack given" : `unknown stack "${options.stack}"`;
        process.stderr.write(
            `${given}; stacks in this project: ${stacks.join(", ")}\nusage: npm run synth -- <stack>\n`,
        );
        return 2;
    }
    const stack = options.stack;
    const stackFile = path.resolve(
        options.stackFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`),
    );
    const program = path.resolve(options.program ?? path.join(projectDir, "index.ts"));
    const outDir = path.resolve(options.out ?? path.join(projectDir, "out", stack));

    const { project, config, secretKeys } = readStackConfig(projectDir, stackFile);
    const run = await runProgram({
        project,
        stack,
        region: config["aws:region"] ?? "us-east-1",
        config,
        secretKeys,
        load: () => import(program),
    });

    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    const records = run.records.map(({ type, name, urn, parent, provider, custom, inputs }) => ({
        type,
        name,
        urn,
        parent,
        provider,
        custom,
        inputs,
    }));
    fs.writeFileSync(path.join(outDir, "resources.json"), `${JSON.stringify(records, null, 2)}\n`);
    const outputs = toPlainJson(run.outputs) as Record<string, unknown>;
    fs.writeFileSync(path.join(outDir, "outputs.json"), `${JSON.stringify(outputs, null, 2)}\n`);
    const artifacts = writers.flatMap((writer) =>
        writer.write({ stack, outDir, records, outputs }),
    );

    // Imported here, not at the top, so a config error is reported before the pack loads.
    const { policies, packEnforcementLevel } = await import("../policies/policies");
    const stackUrn = `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
    const report = await runPolicies(policies, records, packEnforcementLevel, stackUrn);
    fs.writeFileSync(
        path.join(outDir, "policy-report.json"),
        `${JSON.stringify(report, null, 2)}\n`,
    );

    process.stdout.write(`${summarize(stack, records, artifacts, report, policies, outDir)}\n`);
    const mandatory = report.results.filter((r) => r.level === "mandatory").length;
    if (mandatory > 0) {
        process.stderr.write(
            `synth ${stack}: ${mandatory} mandatory policy violation(s); see above.\n`,
        );
        return 1;
    }
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
        // Config errors and usage errors are the user's to fix: print the message alone.
        const known =
            error instanceof UsageError ||
            (error instanceof Error && (error.name === "ConfigError" || error.name === "RunError"));
        process.stderr.write(
            `${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
        );
        process.exit(known && error instanceof UsageError ? 2 : 1);
    },
);
