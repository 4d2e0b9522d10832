import { configKeys } from "../../../contracts/stack-outputs";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    ConcurrentUpdateError,
    LocalWorkspace,
    PulumiCommand,
    Stack,
    StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { isDeepStrictEqual } from "node:util";
import { parse } from "yaml";
import { type DrStack, type DrWorkspace, StackNotFound, type UpdateInfo } from "./types";

/**
 * The real {@link DrWorkspace}: the Pulumi Automation API driving the Pulumi CLI over this
 * repository (a local program: `Pulumi.yaml` and `Pulumi.<stack>.yaml` in `projectDir`), in
 * whatever backend the user is logged in to. Every `up` runs the policy pack in `policies/`,
 * as the deploy workflow does.
 */
export class PulumiWorkspace implements DrWorkspace {
    private command?: PulumiCommand;

    constructor(
        private readonly projectDir: string,
        private readonly policyPackDir = path.join(projectDir, "policies"),
    ) {}

    private async pulumi(): Promise<PulumiCommand> {
        if (!this.command) {
            try {
                this.command = await PulumiCommand.get();
            } catch (error) {
                const message = (error as Error).message;
                throw new Error(
                    /ENOENT/.test(message)
                        ? "the Pulumi CLI (`pulumi`) is not on PATH"
                        : `the Pulumi CLI cannot be used: ${message.split("\n")[0]}`,
                );
            }
        }
        return this.command;
    }

    async selectStack(name: string): Promise<DrStack> {
        const pulumiCommand = await this.pulumi();
        const workspace = await LocalWorkspace.create({ workDir: this.projectDir, pulumiCommand });
        try {
            const stack = await Stack.select(name, workspace);
            return new PulumiStack(stack, this.stackFile(name), this.policyPackDir);
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
        private readonly policyPackDir: string,
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

    async up(onOutput: (text: string) => void) {
        try {
            const result = await this.stack.up({
                onOutput,
                color: "never",
                policyPacks: [this.policyPackDir],
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
        }
    }

    async checkCanUpdate(): Promise<void> {
        checkPolicyPack(this.policyPackDir);
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

/** Throws unless the policy pack in `dir` has its dependencies installed (`up` runs it). */
export function checkPolicyPack(dir: string): void {
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
