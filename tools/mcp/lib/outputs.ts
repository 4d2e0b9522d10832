import { PulumiWorkspace } from "../../lib/dr/pulumi-workspace";
import { type DrWorkspace, Unreachable } from "../../lib/dr/types";
import { CliError, exitCodes } from "./cli";
import { projectDir } from "./stack";

/**
 * A stack output (e.g. `backupBucketName`) read through the Pulumi Automation API — the
 * workspace tools/dr.ts uses — unless the operator gave the value directly (`--bucket`,
 * an environment variable), which needs no Pulumi CLI.
 */
export async function stackOutput(
    stack: string,
    name: string,
    how: string,
    workspace?: DrWorkspace,
): Promise<string> {
    const value = await stackOutputValue(stack, name, how, workspace);
    if (typeof value !== "string" || value === "") {
        throw new CliError(`the ${stack} stack's output ${name} is not a name`, how);
    }
    return value;
}

/** Any stack output (a string, an object such as `kubeconfig`). */
export async function stackOutputValue(
    stack: string,
    name: string,
    how: string,
    workspace: DrWorkspace = new PulumiWorkspace(projectDir),
): Promise<unknown> {
    let value: unknown;
    try {
        value = (await (await workspace.selectStack(stack)).outputs())[name];
    } catch (error) {
        throw new CliError(
            `cannot read the output ${name} of the ${stack} stack: ${(error as Error).message.split("\n")[0]}`,
            error instanceof Unreachable
                ? `${error.remedy}; or ${how}`
                : `log in to the stack's Pulumi backend (\`pulumi login\`), or ${how}`,
            exitCodes.unreachable,
        );
    }
    if (value === undefined || value === null || value === "") {
        throw new CliError(
            `the ${stack} stack has no output ${name} (not deployed yet?)`,
            `deploy the stack, or ${how}`,
        );
    }
    return value;
}
