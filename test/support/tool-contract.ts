import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { type Invocation, shellInvocations } from "./shell-commands";
import { testTiers, type Tier } from "../../dev/lib/test-tiers";
import { reachableModules, spawnCommands } from "./spawn-commands";

/**
 * The tool contract: every command a workflow job runs — in its `run` steps, in the npm
 * scripts and repository scripts those call, and in the processes the tools/ modules they
 * start spawn — is installed by that job's own setup (its container image, setup actions,
 * `apt-get install`, `npm ci`) or, on a self-hosted runner, by the runner's boot script.
 * Debian packages are resolved with the real dpkg database of this machine (.ci/run installs
 * the same packages), npm binaries with package-lock.json.
 */

export interface Need {
    readonly command: string;
    /** Where the need comes from, e.g. `step "npm ci"` or `npm run dr → tools/dr.ts:32`. */
    readonly from: string;
}

export interface JobReport {
    readonly job: string;
    readonly needs: Need[];
    /** Command → what installs it. */
    readonly provided: Map<string, string>;
    readonly missing: Need[];
    /** Spawns in reached tools/ modules that could not be resolved. */
    readonly unresolved: string[];
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
export type ContractJob = {
    "runs-on"?: string | string[];
    container?: { image: string } | string;
    steps: Step[];
};

/** Shell builtins and keywords: never installed, always there. */
export const builtins = new Set(
    (
        ". : [ alias bg break builtin cd command compgen complete continue declare dirs disown " +
        "echo enable eval exec exit export false fc fg getopts hash help history jobs kill let " +
        "local logout mapfile popd printf pushd pwd read readarray readonly return set shift " +
        "shopt source suspend test times trap true type typeset ulimit umask unalias unset wait"
    ).split(" "),
);

/** What the image of a container job ships besides Debian's essential set. */
export const imageCommands: Record<string, string[]> = {
    // Node's official image: Node.js and npm on buildpack-deps (apt, git, curl).
    node: ["node", "npm", "npx", "corepack", "apt-get", "git", "curl"],
};

/** What an action installs, by action (owner/name). */
export const actionCommands: Record<string, string[]> = {
    "actions/setup-node": ["node", "npm", "npx"],
    "actions/setup-go": ["go", "gofmt"],
    // With `pulumi-version`, pulumi/actions installs that exact CLI.
    "pulumi/actions": ["pulumi"],
};

function run(command: string, args: string[]): string {
    const child = spawnSync(command, args, { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
    if (child.error || child.status !== 0) {
        throw new Error(
            `${command} ${args.join(" ")} failed: ${child.error?.message ?? child.stderr.trim()}`,
        );
    }
    return child.stdout;
}

const binDir = /^\/(usr\/)?(local\/)?s?bin\/([^/]+)$/;

/** Files of installed Debian packages (dpkg -L), /usr-merged, with the package of each. */
function debianFiles(
    packages: readonly string[],
    required: readonly string[] = packages,
): Map<string, string> {
    const files = new Map<string, string>();
    for (const pkg of packages) {
        const listed = spawnSync("dpkg", ["-L", pkg], { encoding: "utf8" });
        // A dependency's alternatives (`a | b`) are listed too; only one need be installed.
        if (listed.status !== 0 && !required.includes(pkg)) continue;
        if (listed.status !== 0) {
            throw new Error(
                `dpkg -L ${pkg}: not installed on this machine; install .ci/run's apt-get list first`,
            );
        }
        for (const file of listed.stdout.split("\n").filter(Boolean)) {
            files.set(file.startsWith("/usr/") ? file : `/usr${file}`, pkg);
        }
    }
    return files;
}

/** Commands (PATH names and absolute paths) the packages and their dependencies install. */
const debianMemo = new Map<string, Map<string, string>>();

export function debianCommands(packages: readonly string[]): Map<string, string> {
    const key = [...packages].sort().join(" ");
    if (!debianMemo.has(key)) debianMemo.set(key, debianCommandsOf(packages));
    return debianMemo.get(key)!;
}

function debianCommandsOf(packages: readonly string[]): Map<string, string> {
    const closure = run("apt-cache", [
        "depends",
        "--recurse",
        "--installed",
        "--no-recommends",
        "--no-suggests",
        "--no-conflicts",
        "--no-breaks",
        "--no-replaces",
        "--no-enhances",
        ...packages,
    ])
        .split("\n")
        .filter((line) => line && !line.startsWith(" ") && !line.startsWith("<"))
        .map((line) => line.replace(/:\w+$/, ""));
    const commands = new Map<string, string>();
    for (const [file, pkg] of debianFiles([...new Set(closure)], packages)) {
        const by = `apt ${pkg}`;
        commands.set(file, by);
        const m = binDir.exec(file);
        if (m) commands.set(m[3], by);
    }
    return commands;
}

/** Debian's essential packages on this machine (dpkg-query), whose commands are always there. */
let essentialMemo: Map<string, string> | undefined;

export function essentialCommands(): Map<string, string> {
    essentialMemo ??= essentialCommandsOf();
    return essentialMemo;
}

function essentialCommandsOf(): Map<string, string> {
    const essential = run("dpkg-query", ["-W", "-f", "${Package} ${Essential}\\n"])
        .split("\n")
        .filter((line) => line.endsWith(" yes"))
        .map((line) => line.split(" ")[0]);
    const out = new Map<string, string>();
    for (const [file, pkg] of debianFiles(essential)) {
        const m = binDir.exec(file);
        out.set(file, `essential ${pkg}`);
        if (m) out.set(m[3], `essential ${pkg}`);
    }
    return out;
}

/** The binaries `npm ci` puts in node_modules/.bin (top-level packages of package-lock.json). */
export function npmBins(projectDir: string): Set<string> {
    const lock = JSON.parse(fs.readFileSync(path.join(projectDir, "package-lock.json"), "utf8"));
    const bins = new Set<string>();
    for (const [key, entry] of Object.entries<{ bin?: string | Record<string, string> }>(
        lock.packages,
    )) {
        if (!/^node_modules\/(@[^/]+\/)?[^/]+$/.test(key) || !entry.bin) continue;
        const name = key.replace(/^node_modules\//, "");
        for (const bin of typeof entry.bin === "string"
            ? [name.split("/").pop()!]
            : Object.keys(entry.bin)) {
            bins.add(bin);
        }
    }
    return bins;
}

export interface ContractContext {
    readonly projectDir: string;
    /** Commands a self-hosted runner's boot script installs, command → what installs it. */
    readonly runnerCommands: Map<string, string>;
}

/** Replaces `${{ … }}` expressions with a placeholder word. */
function withoutExpressions(script: string): string {
    return script.replace(/\$\{\{[^}]*\}\}/g, "EXPR");
}

/**
 * The modules `file` runs with `args`. The mcp CLI (tools/mcp/main.ts) loads each verb's module
 * only for that verb (`await import("./verbs/<verb>")`): given a verb, only its module is
 * followed among tools/mcp/verbs/; without one, every verb.
 */
function modulesRun(projectDir: string, file: string, args: readonly string[]): string[] {
    const entry = path.join(projectDir, file);
    const verbsDir = path.join(projectDir, "tools/mcp/verbs");
    const verb = args.find((a) => !a.startsWith("-"));
    const verbFile = verb && path.join(verbsDir, `${verb}.ts`);
    if (file !== "tools/mcp/main.ts" || !verbFile || !fs.existsSync(verbFile)) {
        return reachableModules(entry);
    }
    const otherVerb = (f: string) =>
        path.dirname(f) === verbsDir && f !== verbFile && !f.endsWith("/verb.ts");
    return [
        ...new Set([...reachableModules(entry, otherVerb), ...reachableModules(verbFile)]),
    ].sort();
}

/** The needs of one script, following npm scripts, repository scripts and tools/ modules. */
function scriptNeeds(
    script: string,
    from: string,
    ctx: ContractContext,
    out: Need[],
    unresolved: string[],
    depth = 0,
): void {
    if (depth > 6) throw new Error(`tool contract: scripts nest too deep at ${from}`);
    const scripts: Record<string, string> = JSON.parse(
        fs.readFileSync(path.join(ctx.projectDir, "package.json"), "utf8"),
    ).scripts;
    const repoFile = (file: string | undefined) =>
        file && !file.startsWith("$") && fs.existsSync(path.join(ctx.projectDir, file))
            ? file
            : undefined;
    const spawnsOf = (file: string, via: string, args: readonly string[] = []) => {
        const report = spawnCommands(modulesRun(ctx.projectDir, file, args), ctx.projectDir);
        for (const s of report.spawns) out.push({ command: s.command, from: `${via} → ${s.at}` });
        unresolved.push(...report.unresolved);
    };
    const follow = (inv: Invocation) => {
        const [first, ...rest] = inv.args.filter((a) => a !== "-s" && a !== "--silent");
        if (inv.command === "npm") {
            const name = first === "run" || first === "run-script" ? rest[0] : first;
            if (name && scripts[name] && ["run", "run-script", "test", "start"].includes(first)) {
                scriptNeeds(
                    scripts[name],
                    `${from} → npm run ${name}`,
                    ctx,
                    out,
                    unresolved,
                    depth + 1,
                );
            }
            return;
        }
        if (inv.command === "npx" || inv.command === "tsx" || inv.command === "node") {
            const args =
                inv.command === "npx" ? inv.args.filter((a) => !a.startsWith("-")) : inv.args;
            const bin = inv.command === "npx" ? args[0] : inv.command;
            if (inv.command === "npx" && bin) out.push({ command: bin, from });
            const file = repoFile(inv.command === "npx" ? args[1] : args[0]);
            if ((bin === "tsx" || bin === "node") && file && /\.(ts|mts|mjs|js)$/.test(file)) {
                const after = args.slice(args.indexOf(file) + 1);
                spawnsOf(file, `${from} → ${bin} ${file}`, after);
            }
            return;
        }
        if (inv.command === "bash" || inv.command === "sh") {
            const file = repoFile(inv.args.find((a) => !a.startsWith("-")));
            if (file) {
                const text = fs.readFileSync(path.join(ctx.projectDir, file), "utf8");
                scriptNeeds(text, `${from} → ${file}`, ctx, out, unresolved, depth + 1);
            }
        }
    };
    for (const inv of shellInvocations(withoutExpressions(script))) {
        // A program named by a variable or a relative path is one the script itself placed.
        if (!inv.command.startsWith("$") && !inv.command.startsWith("./")) {
            out.push({ command: inv.command, from });
        }
        follow(inv);
    }
}

/** The binaries `npm run engines` builds (dev/engines/build.sh). */
export function engineBinaries(projectDir: string): string[] {
    const text = fs.readFileSync(path.join(projectDir, "dev/engines/build.sh"), "utf8");
    const names = [...text.matchAll(/^\s*build\s+(["']?)([\w.-]+)\1\s/gm)].map((m) => m[2]);
    for (const loop of text.matchAll(/for (\w+) in ([^;]+); do\s+build "\$\1"/g)) {
        names.push(...loop[2].trim().split(/\s+/));
    }
    return [...new Set(names)];
}

/** The linters dev/peers/install.sh installs. */
export function peerBinaries(projectDir: string): string[] {
    const text = fs.readFileSync(path.join(projectDir, "dev/peers/install.sh"), "utf8");
    return [
        ...[...text.matchAll(/^install_go_tool ([\w-]+)/gm)].map((m) => m[1]),
        ...[...text.matchAll(/"\$dir\/bin\/([\w-]+)"/g)].map((m) => m[1]),
    ];
}

/** The test tiers a test command runs: `npm test [-- --tier X | --fast]`, dev/run-tests.sh. */
export function tiersOf(args: readonly string[]): Tier[] {
    const at = args.indexOf("--tier");
    if (at >= 0) return [args[at + 1] as Tier];
    return args.includes("--fast") ? ["apt"] : ["apt", "engines"];
}

const tierSpawns = new Map<string, { command: string; at: string }[]>();

/** The programs the suites of a tier start (their modules' spawns and harness lookups). */
function suiteNeeds(projectDir: string, tier: Tier): { command: string; at: string }[] {
    const key = `${projectDir}:${tier}`;
    if (!tierSpawns.has(key)) {
        const modules = new Set<string>();
        for (const file of testTiers(projectDir)[tier]) {
            for (const m of reachableModules(path.join(projectDir, file))) modules.add(m);
        }
        // The suites' own programs; the tools/ modules they import are checked where a job runs
        // them (a suite exercises a tool with its own stand-ins for kubectl or the cloud).
        const own = [...modules].filter((m) => path.relative(projectDir, m).startsWith("test/"));
        tierSpawns.set(key, spawnCommands(own, projectDir).spawns);
    }
    return tierSpawns.get(key)!;
}

/** The contract of one job: what it needs, what its setup installs, what is missing. */
export function jobContract(label: string, job: ContractJob, ctx: ContractContext): JobReport {
    const provided = new Map<string, string>();
    const provide = (commands: Iterable<string>, by: string) => {
        for (const c of commands) if (!provided.has(c)) provided.set(c, by);
    };
    provide(builtins, "shell builtin");
    const selfHosted = [job["runs-on"]].flat().includes("self-hosted");
    const essential = essentialCommands();
    if (selfHosted) {
        for (const [c, by] of ctx.runnerCommands) provided.set(c, by);
        // Amazon Linux ships GNU coreutils, bash, grep, sed, findutils and util-linux too.
        for (const [c, by] of essential) {
            if (/ (coreutils|bash|grep|sed|findutils|util-linux)$/.test(by)) provide([c], by);
        }
    } else {
        for (const [c, by] of essential) provide([c], by);
        const image = typeof job.container === "string" ? job.container : job.container?.image;
        const base = image?.split(":")[0];
        if (base && imageCommands[base]) provide(imageCommands[base], `image ${image}`);
    }

    const needs: Need[] = [];
    const unresolved: string[] = [];
    const bins = npmBins(ctx.projectDir);
    for (const [index, step] of job.steps.entries()) {
        const action = step.uses?.split("@")[0];
        if (action && actionCommands[action]) {
            const pinned = action !== "pulumi/actions" || step.with?.["pulumi-version"];
            if (pinned) provide(actionCommands[action], `${action} (step ${index + 1})`);
        }
        if (!step.run) continue;
        const name = `step ${index + 1} "${step.run.trim().split("\n")[0]}"`;
        const invocations = shellInvocations(withoutExpressions(step.run));
        for (const inv of invocations) {
            if (inv.command === "apt-get" && inv.args.includes("install")) {
                const packages = inv.args.filter((a) => !a.startsWith("-") && a !== "install");
                for (const [c, by] of debianCommands(packages)) provide([c], by);
            }
            if (inv.command === "npm" && inv.args[0] === "ci" && !inv.args.includes("--prefix")) {
                provide(bins, `npm ci (step ${index + 1})`);
            }
            if (inv.command === "npm" && inv.args.join(" ").startsWith("run engines")) {
                provide(engineBinaries(ctx.projectDir), `npm run engines (step ${index + 1})`);
            }
            // `go install <module>/cmd/<name>@<version>` puts <name> in GOPATH/bin.
            if (inv.command === "go" && inv.args[0] === "install") {
                for (const arg of inv.args.slice(1).filter((a) => /@/.test(a))) {
                    const name = arg.split("@")[0].split("/").pop();
                    if (name) provide([name], `go install (step ${index + 1})`);
                }
            }
            if (inv.command === "bash" && inv.args[0] === "dev/peers/install.sh") {
                provide(peerBinaries(ctx.projectDir), `dev/peers/install.sh (step ${index + 1})`);
            }
            const runsTests =
                (inv.command === "npm" && inv.args[0] === "test") ||
                (inv.command === "bash" && inv.args[0] === "dev/run-tests.sh");
            if (runsTests) {
                for (const tier of tiersOf(inv.args)) {
                    for (const s of suiteNeeds(ctx.projectDir, tier)) {
                        needs.push({
                            command: s.command,
                            from: `${name} → ${tier} tier → ${s.at}`,
                        });
                    }
                }
            }
        }
        scriptNeeds(step.run, name, ctx, needs, unresolved);
    }
    const missing = needs.filter((n) => !provided.has(n.command));
    return { job: label, needs, provided, missing, unresolved };
}

/** One line per command a job needs: `command ← what installs it`. */
export function describe(report: JobReport): string {
    const commands = [...new Set(report.needs.map((n) => n.command))].sort();
    return (
        `${report.job}: ` +
        commands.map((c) => `${c} ← ${report.provided.get(c) ?? "NOTHING"}`).join(", ")
    );
}
