import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { installRemedy } from "../../lib/dr/stacks";
import { CliError, exitCodes } from "./cli";
import { projectDir } from "./stack";

/**
 * Writes stack config through the Pulumi Automation API (`pulumi config set [--path]
 * [--secret]`): the value lands in `Pulumi.<stack>.yaml` of this checkout — commit it in a
 * pull request so the deploy workflow's `pulumi up` keeps it (docs/operations.md#ground-rules).
 */
export interface ConfigWriter {
    set(
        stack: string,
        key: string,
        value: string,
        options: { path: boolean; secret: boolean },
    ): Promise<void>;
}

export interface PulumiConfigWriterOptions {
    /** Environment of the Pulumi CLI (backend, passphrase); @default the process's */
    readonly envVars?: Record<string, string>;
    /** A Pulumi installation (`<root>/bin/pulumi`); @default `pulumi` on PATH */
    readonly pulumiRoot?: string;
}

export class PulumiConfigWriter implements ConfigWriter {
    constructor(
        private readonly dir = projectDir,
        private readonly options: PulumiConfigWriterOptions = {},
    ) {}

    async set(
        stack: string,
        key: string,
        value: string,
        options: { path: boolean; secret: boolean },
    ): Promise<void> {
        let command: PulumiCommand;
        try {
            command = await PulumiCommand.get(
                this.options.pulumiRoot
                    ? { root: this.options.pulumiRoot, skipVersionCheck: true }
                    : undefined,
            );
        } catch (error) {
            throw new CliError(
                `the Pulumi CLI cannot be used: ${(error as Error).message.split("\n")[0]}`,
                installRemedy,
                exitCodes.unreachable,
            );
        }
        try {
            const workspace = await LocalWorkspace.create({
                workDir: this.dir,
                pulumiCommand: command,
                envVars: this.options.envVars,
            });
            const selected = await Stack.select(stack, workspace);
            await selected.setConfig(key, { value, secret: options.secret }, options.path);
        } catch (error) {
            throw new CliError(
                `pulumi config set ${key} on the ${stack} stack failed: ${pulumiProblem(error)}`,
                "log in to the stack's backend (`pulumi login`) and check the key",
                exitCodes.unreachable,
            );
        }
    }
}

/** The CLI's own `error:` line from an Automation API failure, else its first line. */
function pulumiProblem(error: unknown): string {
    const lines = String((error as Error)?.message ?? error).split("\n");
    const own = lines.find((l) => l.trim().startsWith("error:"));
    return (own ?? lines.find((l) => l.trim()) ?? "").trim();
}
