import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import type { PolicyReport } from "../../tools/lib/policy-runner";
import type { ResourceRecord } from "../../tools/lib/records";

/**
 * Runs the real synth CLI (`tsx tools/synth.ts`) in a child process, exactly as
 * `npm run synth` does, into a temporary folder, and reads back what it wrote.
 *
 * Several suites synthesize the same stack; a run is cached under the OS temp folder by a
 * hash of everything that can change its result (the program's sources, the stack file, the
 * lockfile), so each distinct synth runs once per test run and a source edit invalidates it.
 */
export const projectDir = path.resolve(__dirname, "../..");

/** Folders and files whose contents decide what the synth writes. */
const synthInputs = [
    "index.ts",
    "contracts",
    "platform",
    "Pulumi.yaml",
    "package-lock.json",
    "config",
    "components",
    "policies",
    "tools",
    "worker",
    "ops",
    "docs/runbooks",
    "test/fixtures",
];

function hashTree(hash: ReturnType<typeof createHash>, entry: string): void {
    const full = path.join(projectDir, entry);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
        for (const child of fs.readdirSync(full).sort()) {
            if (child === "node_modules" || child === "out" || child === "bin") continue;
            hashTree(hash, path.join(entry, child));
        }
        return;
    }
    hash.update(entry).update("\0").update(fs.readFileSync(full)).update("\0");
}

function cacheKey(stack: string, stackFile: string, program: string | undefined): string {
    const hash = createHash("sha256").update(`${stack}\0${program ?? ""}\0`);
    hash.update(fs.readFileSync(stackFile));
    for (const entry of synthInputs) hashTree(hash, entry);
    return hash.digest("hex").slice(0, 24);
}

interface CachedRun {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

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
    const stackFile = options.stackFile ?? path.join(projectDir, `Pulumi.${stack}.yaml`);
    const cacheRoot = path.join(os.tmpdir(), "mcp-platform-synth-cache");
    const key = fs.existsSync(stackFile) ? cacheKey(stack, stackFile, options.program) : undefined;
    const cachedDir = key ? path.join(cacheRoot, key) : undefined;
    let run: CachedRun;
    let outDir: string;
    if (cachedDir && fs.existsSync(path.join(cachedDir, "run.json"))) {
        outDir = path.join(cachedDir, "out");
        run = JSON.parse(fs.readFileSync(path.join(cachedDir, "run.json"), "utf8")) as CachedRun;
    } else {
        fs.mkdirSync(cacheRoot, { recursive: true });
        const workDir = fs.mkdtempSync(path.join(cacheRoot, `run-${stack}-`));
        outDir = path.join(workDir, "out");
        const args = [
            path.join(projectDir, "node_modules/.bin/tsx"),
            "tools/synth.ts",
            stack,
            "--out",
            outDir,
            // No progress lines: suites read stderr as errors and warnings only.
            "--quiet",
        ];
        if (options.stackFile) args.push("--stack-file", options.stackFile);
        if (options.program) args.push("--program", options.program);
        const child = spawnSync(process.execPath, args, {
            cwd: projectDir,
            encoding: "utf8",
            timeout: 180_000,
        });
        run = { status: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
        fs.writeFileSync(path.join(workDir, "run.json"), JSON.stringify(run));
        if (cachedDir) {
            try {
                fs.renameSync(workDir, cachedDir);
                outDir = path.join(cachedDir, "out");
            } catch {
                // Another suite cached the same synth first; ours stays valid where it is.
            }
        }
    }
    const read = (file: string) => fs.readFileSync(path.join(outDir, file), "utf8");
    return {
        ...run,
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
