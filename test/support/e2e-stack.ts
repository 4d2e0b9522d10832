import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    type EngineEvent,
    LocalWorkspace,
    PulumiCommand,
    type PulumiFn,
    type Stack,
} from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { builtEngine, enginesDir } from "./engines";
import { projectDir } from "./synth";

/**
 * The real Pulumi CLI (built by `npm run engines`) driven through the Automation API: one
 * project directory holding the repository's `Pulumi.yaml` (its config schema: declared
 * secrets, defaults) and the stack files, a local file backend, the passphrase secrets
 * provider, a private PULUMI_HOME with the Go-built Kubernetes provider installed from its
 * file, and no automatic plugin download. Programs are inline (the CLI connects to a language
 * runtime inside this process), so no `pulumi-language-nodejs` is needed.
 *
 * Every operation's engine events are kept: each step's `op` (from `resourcePreEvent`), the
 * summary, diagnostics and policy events; checks are judged from them.
 */

/** The provider version `npm run engines` builds (dev/engines/build.sh) and the SDK pins. */
export const kubernetesProviderVersion = "4.25.0";

export interface Engine {
    readonly dir: string;
    readonly pulumi: PulumiCommand;
    readonly env: Record<string, string>;
    /** The executable policy-pack file that runs policies/ as the analyzer. */
    readonly policyPack: string;
}

/** Prepares a project directory and CLI environment under `dir` (which must exist). */
export async function startEngine(dir: string): Promise<Engine> {
    const cli = builtEngine("pulumi");
    const provider = builtEngine("pulumi-resource-kubernetes");
    const project = path.join(dir, "project");
    const state = path.join(dir, "state");
    fs.mkdirSync(project, { recursive: true });
    fs.mkdirSync(state, { recursive: true });
    // The project file as it is, but for `main`: the program is inline, not index.ts.
    const projectFile = parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
        main?: string;
    };
    delete projectFile.main;
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), stringify(projectFile));
    const env: Record<string, string> = {
        PULUMI_HOME: path.join(dir, "home"),
        PULUMI_BACKEND_URL: `file://${state}`,
        // Generated per run; the state's secrets (passwords, kubeconfig) are encrypted with it.
        PULUMI_CONFIG_PASSPHRASE: generatedPassphrase(),
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Only the plugins installed below, never a pulumi-* binary found on PATH.
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        NO_COLOR: "1",
    };
    const install = spawnSync(
        cli,
        [
            "plugin",
            "install",
            "resource",
            "kubernetes",
            kubernetesProviderVersion,
            "--file",
            provider,
        ],
        { env: { ...process.env, ...env }, encoding: "utf8" },
    );
    if (install.status !== 0) {
        throw new Error(`pulumi plugin install kubernetes failed:\n${install.stderr}`);
    }
    const pulumi = await PulumiCommand.get({ root: enginesDir, skipVersionCheck: true });
    return { dir: project, pulumi, env, policyPack: writePolicyPackFile(dir) };
}

function generatedPassphrase(): string {
    return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64url");
}

/**
 * The pack as an executable file: the CLI starts it as the analyzer with the engine's address
 * as its only argument and reads `PulumiPolicy.yaml` from the file's directory. It runs the
 * pack in policies/ with @pulumi/pulumi's run-policy-pack (which compiles it with its own
 * ts-node), so the policy pack needs no language host either.
 */
function writePolicyPackFile(dir: string): string {
    const packDir = path.join(dir, "policy-pack");
    fs.mkdirSync(packDir, { recursive: true });
    fs.copyFileSync(
        path.join(projectDir, "policies/PulumiPolicy.yaml"),
        path.join(packDir, "PulumiPolicy.yaml"),
    );
    const runner = path.join(projectDir, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
    const file = path.join(packDir, "mcp-platform-policies");
    fs.writeFileSync(
        file,
        // From the pack's directory, as the language host runs a pack: run-policy-pack reads
        // the tsconfig.json of its working directory.
        `#!/bin/sh\ncd "${path.join(projectDir, "policies")}" || exit 1\nexec "${process.execPath}" "${runner}" "$1" .\n`,
        { mode: 0o755 },
    );
    return file;
}

/** Opens (creating if needed) `stack` with `program`; its stack file is `stackFile`'s text. */
export async function openStack(
    engine: Engine,
    stack: string,
    stackFileText: string,
    program: PulumiFn,
): Promise<Stack> {
    fs.writeFileSync(path.join(engine.dir, `Pulumi.${stack}.yaml`), stackFileText);
    return LocalWorkspace.createOrSelectStack(
        { stackName: stack, projectName: "mcp-platform", program },
        {
            workDir: engine.dir,
            pulumiCommand: engine.pulumi,
            envVars: engine.env,
            secretsProvider: "passphrase",
        },
    );
}

/** What one engine operation reported, from its own event stream. */
export interface Operation {
    /** Steps by op (`create`, `update`, `same`, `replace`, `create-replacement`, …). */
    readonly ops: Record<string, number>;
    /** Each step: op, URN, the changed keys and those that force a replace (if any). */
    readonly steps: Step[];
    /** The summary's resource changes. */
    readonly changes: Record<string, number>;
    /** Error diagnostics, one line each (warnings are in `warnings`). */
    readonly errors: string[];
    readonly warnings: string[];
    /** Policy violations reported by the pack. */
    readonly violations: { policy: string; level: string; urn?: string; message: string }[];
    /** Names of the policies the pack ran (from its analyze summaries). */
    readonly policiesRun: Set<string>;
    /** The slowest steps: URN and seconds from the step's start to its outputs. */
    readonly slowest: { urn: string; seconds: number }[];
    /** Whether the CLI exited 0. */
    readonly ok: boolean;
    /** The CLI's error when it did not. */
    readonly failure?: string;
    readonly seconds: number;
}

export interface Step {
    readonly op: string;
    readonly urn: string;
    readonly type: string;
    readonly diffs?: string[];
    readonly replaceKeys?: string[];
}

export const replaceOps = new Set(["replace", "create-replacement", "delete-replaced"]);

/** Collects the events of one operation into an {@link Operation}. */
function collector() {
    const steps: Operation["steps"] = [];
    const errors: string[] = [];
    const warnings: string[] = [];
    const violations: Operation["violations"] = [];
    const policiesRun = new Set<string>();
    let changes: Record<string, number> = {};
    const started = new Map<string, number>();
    const durations: { urn: string; seconds: number }[] = [];
    const onEvent = (event: EngineEvent) => {
        const pre = event.resourcePreEvent?.metadata;
        if (pre) started.set(pre.urn, event.timestamp);
        const done = event.resOutputsEvent?.metadata;
        if (done && started.has(done.urn)) {
            durations.push({ urn: done.urn, seconds: event.timestamp - started.get(done.urn)! });
        }
        if (pre) {
            steps.push({
                op: pre.op,
                urn: pre.urn,
                type: pre.type,
                diffs: pre.diffs,
                replaceKeys: pre.keys,
            });
        }
        const d = event.diagnosticEvent;
        if (d && (d.severity === "error" || d.severity === "warning")) {
            const line = `${d.urn ?? ""} ${d.message.trim()}`.trim();
            (d.severity === "error" ? errors : warnings).push(line);
        }
        const p = event.policyEvent;
        if (p) {
            violations.push({
                policy: p.policyName,
                level: p.enforcementLevel,
                urn: p.resourceUrn,
                message: p.message.trim(),
            });
        }
        // Not in the SDK's typings: the engine's per-resource summaries and its stack summary.
        // CLI v3.276 lists a resource's policies (those that apply to it, passed or failed)
        // in the remediate summary; its analyze summary lists only failures.
        const raw = event as unknown as Record<string, { passed?: string[]; failed?: string[] }>;
        for (const key of [
            "policyRemediateSummaryEvent",
            "policyAnalyzeSummaryEvent",
            "policyAnalyzeStackSummaryEvent",
        ]) {
            for (const name of [...(raw[key]?.passed ?? []), ...(raw[key]?.failed ?? [])]) {
                policiesRun.add(name);
            }
        }
        if (event.summaryEvent) changes = { ...event.summaryEvent.resourceChanges };
    };
    const result = (ok: boolean, seconds: number, failure?: string): Operation => {
        const ops: Record<string, number> = {};
        for (const s of steps) ops[s.op] = (ops[s.op] ?? 0) + 1;
        const slowest = durations.sort((a, b) => b.seconds - a.seconds).slice(0, 5);
        return {
            ops,
            steps,
            changes,
            errors,
            warnings,
            violations,
            policiesRun,
            slowest,
            ok,
            failure,
            seconds,
        };
    };
    return { onEvent, result };
}

export interface RunOptions {
    readonly program?: PulumiFn;
    readonly policyPack?: string;
    /** The pack's config (JSON: policy name → settings), with `policyPack`. */
    readonly policyPackConfig?: string;
    /** Resolve with `ok: false` instead of rejecting when the CLI fails. */
    readonly allowFailure?: boolean;
}

/** `pulumi preview`, `up` or `destroy` of `stack`, judged from its events. */
export async function run(
    stack: Stack,
    kind: "preview" | "up" | "destroy",
    options: RunOptions = {},
): Promise<Operation> {
    const { onEvent, result } = collector();
    const started = Date.now();
    const common = {
        onEvent,
        color: "never" as const,
        ...(options.program ? { program: options.program } : {}),
        ...(options.policyPack ? { policyPacks: [options.policyPack] } : {}),
        ...(options.policyPackConfig ? { policyPackConfigs: [options.policyPackConfig] } : {}),
    };
    try {
        if (kind === "preview") await stack.preview({ ...common, diff: false });
        else if (kind === "up") await stack.up(common);
        else await stack.destroy({ onEvent, color: "never" });
        return result(true, (Date.now() - started) / 1000);
    } catch (error) {
        const message = (error as Error).message;
        const op = result(false, (Date.now() - started) / 1000, lastLines(message));
        if (options.allowFailure) return op;
        throw new Error(
            `pulumi ${kind} ${stack.name} failed:\n${[...op.errors, op.failure].join("\n")}`,
        );
    }
}

/** The CLI's error text without its long preamble. */
function lastLines(message: string, lines = 30): string {
    return message.split("\n").filter(Boolean).slice(-lines).join("\n");
}
