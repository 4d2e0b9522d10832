import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { PolicyReport } from "../../tools/lib/policy-runner";
import type { ResourceRecord } from "../../tools/lib/records";

/**
 * Runs the real synth CLI (`tsx tools/synth.ts`) in a child process, exactly as
 * `npm run synth` does, into a temporary folder, and reads back what it wrote.
 */
export const projectDir = path.resolve(__dirname, "../..");

export interface SynthOptions {
    /** A stack file to use instead of `Pulumi.<stack>.yaml`. */
    readonly stackFile?: string;
    /** A program to run instead of `index.ts`. */
    readonly program?: string;
}

export interface SynthResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
    readonly outDir: string;
    /** `resources.json`. */
    resources(): ResourceRecord[];
    /** `policy-report.json`. */
    policyReport(): PolicyReport;
    /** Any file of the output, relative to `out/<stack>`. */
    read(file: string): string;
}

export function synth(stack: string, options: SynthOptions = {}): SynthResult {
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `synth-${stack}-`));
    const args = [
        path.join(projectDir, "node_modules/.bin/tsx"),
        "tools/synth.ts",
        stack,
        "--out",
        outDir,
    ];
    if (options.stackFile) args.push("--stack-file", options.stackFile);
    if (options.program) args.push("--program", options.program);
    const child = spawnSync(process.execPath, args, {
        cwd: projectDir,
        encoding: "utf8",
        timeout: 120_000,
    });
    const read = (file: string) => fs.readFileSync(path.join(outDir, file), "utf8");
    return {
        status: child.status ?? -1,
        stdout: child.stdout,
        stderr: child.stderr,
        outDir,
        read,
        resources: () => JSON.parse(read("resources.json")) as ResourceRecord[],
        policyReport: () => JSON.parse(read("policy-report.json")) as PolicyReport,
    };
}

/**
 * Writes a variant of a stack file for a test: `edit` receives the parsed YAML and changes
 * it in place. Returns the new file's path.
 */
export function stackFileVariant(
    stack: string,
    edit: (doc: { config: Record<string, unknown> }) => void,
): string {
    const doc = parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), "utf8"));
    edit(doc);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile-"));
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(file, stringify(doc));
    return file;
}
