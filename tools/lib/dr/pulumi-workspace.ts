import { configKeys } from "../../../contracts/stack-outputs";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    ConcurrentUpdateError,
    LocalWorkspace,
    PulumiCommand,
    type PulumiFn,
    Stack,
    StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { installRemedy } from "./stacks";
import {
    type DrStack,
    type DrWorkspace,
    StackNotFound,
    Unreachable,
    type UpdateInfo,
} from "./types";

/**
 * How {@link PulumiWorkspace} runs the program. By default the CLI found on PATH runs the
 * project in `projectDir` (`index.ts`) with the pack in `<projectDir>/policies`.
 */
export interface PulumiWorkspaceOptions {
    /**
     * The policy pack every `up` runs: a pack directory, or an executable policy-pack file
     * (the CLI starts it as the analyzer). @default `<projectDir>/policies`
     */
    readonly policyPack?: string;
    /** An Automation API inline program run instead of the project's `main`. */
    readonly program?: PulumiFn;
    /** The CLI to drive. @default the `pulumi` on PATH */
    readonly pulumiCommand?: PulumiCommand;
    /** Environment of every CLI call (backend URL, passphrase, PULUMI_HOME). */
    readonly envVars?: Record<string, string>;
    /**
     * The pack's config for every `up` (policy name → level, or → `{ enforcementLevel, … }`);
     * a call's own levels apply on top. @default none
     */
    readonly policyConfig?: Readonly<Record<string, unknown>>;
}

/**
 * The real {@link DrWorkspace}: the Pulumi Automation API driving the Pulumi CLI over this
 * repository (a local program: `Pulumi.yaml` and `Pulumi.<stack>.yaml` in `projectDir`), in
 * whatever backend the user is logged in to. Every `up` runs the policy pack, as the deploy
 * workflow does. The end-to-end tier gives it the in-cluster layer as an inline program and
 * the pack as an executable file (test/support/e2e-dr.ts): the same class, the real CLI.
 */
export class PulumiWorkspace implements DrWorkspace {
    private command?: PulumiCommand;
    private readonly policyPack: string;

    constructor(
        private readonly projectDir: string,
        private readonly options: PulumiWorkspaceOptions = {},
    ) {
        this.policyPack = options.policyPack ?? path.join(projectDir, "policies");
        this.command = options.pulumiCommand;
    }

    private async pulumi(): Promise<PulumiCommand> {
        if (!this.command) {
            try {
                this.command = await PulumiCommand.get();
            } catch (error) {
                const message = (error as Error).message;
                throw /ENOENT/.test(message)
                    ? new Unreachable("the Pulumi CLI (`pulumi`) is not on PATH", installRemedy)
                    : new Error(`the Pulumi CLI cannot be used: ${message.split("\n")[0]}`);
            }
        }
        return this.command;
    }

    async selectStack(name: string): Promise<DrStack> {
        const pulumiCommand = await this.pulumi();
        const workspace = await LocalWorkspace.create({
            workDir: this.projectDir,
            pulumiCommand,
            program: this.options.program,
            envVars: this.options.envVars,
        });
        try {
            const stack = await Stack.select(name, workspace);
            return new PulumiStack(
                stack,
                this.stackFile(name),
                this.policyPack,
                this.options.policyConfig,
            );
        } catch (error) {
            if (error instanceof StackNotFoundError) throw new StackNotFound(name);
            throw error;
        }
    }

    /** `my-org/dr` → `<projectDir>/Pulumi.dr.yaml`, as the CLI resolves it. */
    stackFile(name: string): string {
        return path.join(this.projectDir, `Pulumi.${name.split("/").pop()}.yaml`);
    }
}

class PulumiStack implements DrStack {
    readonly name: string;

    constructor(
        private readonly stack: Stack,
        private readonly stackFile: string,
        private readonly policyPack: string,
        private readonly basePolicyConfig: Readonly<Record<string, unknown>> = {},
    ) {
        this.name = stack.name;
    }

    async config(): Promise<Record<string, string>> {
        const all = await this.stack.getAllConfig();
        const plain: Record<string, string> = {};
        for (const [key, value] of Object.entries(all)) plain[key] = value.value;
        return plain;
    }

    async setDrActive(active: boolean): Promise<void> {
        // `pulumi config set` (and so `Stack.setConfig`) stores a top-level value as a string;
        // the project declares drActive a boolean, so the flag is written as a YAML boolean,
        // keeping the file's comments and layout for the commit that follows.
        await setStackFileFlag(this.stackFile, configKeys.drActive, active);
    }

    async outputs(): Promise<Record<string, unknown>> {
        const all = await this.stack.outputs();
        const plain: Record<string, unknown> = {};
        for (const [key, output] of Object.entries(all)) plain[key] = output.value;
        return plain;
    }

    async up(
        onOutput: (text: string) => void,
        options: { readonly policyConfig?: Readonly<Record<string, string>> } = {},
    ) {
        let configDir: string | undefined;
        try {
            let policyPackConfigs: string[] | undefined;
            const policyConfig = mergePolicyConfig(this.basePolicyConfig, options.policyConfig);
            if (Object.keys(policyConfig).length > 0) {
                configDir = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-policy-config-"));
                const file = path.join(configDir, "policy-config.json");
                fs.writeFileSync(file, JSON.stringify(policyConfig));
                policyPackConfigs = [file];
            }
            const result = await this.stack.up({
                onOutput,
                color: "never",
                policyPacks: [this.policyPack],
                policyPackConfigs,
                message: "npm run dr",
            });
            return { resourceChanges: result.summary.resourceChanges ?? {} };
        } catch (error) {
            if (error instanceof ConcurrentUpdateError) {
                throw new Error(
                    `another update of ${this.name} is running: wait for it, or if it is dead, \`pulumi cancel -s ${this.name}\``,
                );
            }
            const text = (error as Error).message;
            // The CommandError message carries the CLI's whole stderr; its last lines say why.
            throw new Error(text.split("\n").filter(Boolean).slice(-8).join("\n"));
        } finally {
            if (configDir) fs.rmSync(configDir, { recursive: true, force: true });
        }
    }

    async checkCanUpdate(): Promise<void> {
        checkPolicyPack(this.policyPack);
    }

    async lastUpdate(): Promise<UpdateInfo | undefined> {
        const info = await this.stack.info();
        if (!info) return undefined;
        return {
            kind: info.kind,
            result: info.result,
            endTime: info.endTime ? new Date(info.endTime).toISOString() : undefined,
        };
    }
}

/**
 * `base` with `levels` on top: a level replaces a plain level, and sets `enforcementLevel` of
 * a policy whose base config is an object (its other properties are kept). Exported for tests.
 */
export function mergePolicyConfig(
    base: Readonly<Record<string, unknown>>,
    levels: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...base };
    for (const [policy, level] of Object.entries(levels)) {
        const current = merged[policy];
        merged[policy] =
            current !== null && typeof current === "object"
                ? { ...current, enforcementLevel: level }
                : level;
    }
    return merged;
}

/**
 * Throws unless the policy pack can run: an executable pack file, or a pack directory with
 * its dependencies installed (`up` runs it).
 */
export function checkPolicyPack(dir: string): void {
    if (fs.statSync(dir, { throwIfNoEntry: false })?.isFile()) {
        try {
            fs.accessSync(dir, fs.constants.X_OK);
        } catch {
            throw new Error(`the policy-pack file ${dir} is not executable`);
        }
        return;
    }
    if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
        throw new Error(`no policy pack in ${dir}`);
    }
    if (!fs.existsSync(path.join(dir, "node_modules", "@pulumi", "policy"))) {
        throw new Error(
            `the policy pack's dependencies are not installed in ${dir}: run \`npm ci --prefix policies\``,
        );
    }
}

/**
 * Sets `config.<key>` in a stack file to a YAML boolean. The edit is textual — the key's line
 * is replaced, or added after `mcp-platform:role` — so comments, flow maps and line breaks
 * of everyone else's blocks stay byte for byte; the result is then parsed and must differ
 * from the original in that one key only, or nothing is written. Exported for tests.
 */
export async function setStackFileFlag(file: string, key: string, value: boolean): Promise<void> {
    const before = await fs.promises.readFile(file, "utf8");
    const old = parse(before) as { config?: Record<string, unknown> } | null;
    if (!old || typeof old.config !== "object" || old.config === null) {
        throw new Error(`${file} has no config: map`);
    }
    const lines = before.split("\n");
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const keyLine = new RegExp(`^(\\s+)${escaped}:[^#]*?(\\s+#.*)?$`);
    const at = lines.findIndex((line) => keyLine.test(line));
    if (at >= 0) {
        const [, indent, comment] = keyLine.exec(lines[at])!;
        lines[at] = `${indent}${key}: ${value}${comment ?? ""}`;
    } else {
        const anchor = lines.findIndex((line) => /^\s+mcp-platform:role:/.test(line));
        const configLine = lines.findIndex((line) => /^config:\s*(#.*)?$/.test(line));
        const after = anchor >= 0 ? anchor : configLine;
        if (after < 0) throw new Error(`${file}: cannot find where to add ${key}`);
        const indent = anchor >= 0 ? /^(\s+)/.exec(lines[anchor])![1] : "  ";
        lines.splice(after + 1, 0, `${indent}${key}: ${value}`);
    }
    const text = lines.join("\n");
    const updated = parse(text) as { config: Record<string, unknown> };
    const expected = { ...old, config: { ...old.config, [key]: value } };
    if (!isDeepStrictEqual(updated, expected)) {
        throw new Error(
            `${file}: could not set ${key} without changing other keys; edit it by hand`,
        );
    }
    await fs.promises.writeFile(file, text);
}
