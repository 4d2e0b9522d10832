import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";
import { ConfigError, parseConfig, type PlatformConfig } from "../../../config";
import { groupConfig } from "../../../config/lib/raw";
import { listStacks, readStackConfig, StackFileError } from "../../lib/stack-file";
import { CliError, exitCodes, UsageError } from "./cli";

/** The repository root: stack files, Pulumi.yaml and the policy pack live there. */
export const projectDir = path.resolve(__dirname, "..", "..", "..");

/**
 * The stack a verb acts on: `--stack`, else `$MCP_STACK`, else the Pulumi CLI's selected
 * stack (`pulumi stack --show-name`, the last segment of `<org>/<stack>`). It must be one of
 * the project's stack files (production, dr).
 */
export async function resolveStackName(
    given: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
    dir = projectDir,
): Promise<string> {
    const stacks = listStacks(dir);
    let name = given ?? (env.MCP_STACK || undefined);
    let from = given !== undefined ? "--stack" : "MCP_STACK";
    if (name === undefined) {
        name = await selectedPulumiStack(dir);
        from = "the selected Pulumi stack";
    }
    if (name === undefined) {
        throw new UsageError(
            `no stack given: pass --stack (${stacks.join(" or ")}), set MCP_STACK, or run \`pulumi stack select <stack>\``,
        );
    }
    const bare = name.split("/").pop()!;
    if (!stacks.includes(bare)) {
        throw new UsageError(
            `unknown stack "${name}" (from ${from}); stacks in this project: ${stacks.join(", ")}`,
        );
    }
    return bare;
}

async function selectedPulumiStack(dir: string): Promise<string | undefined> {
    try {
        const { stdout } = await promisify(execFile)("pulumi", ["stack", "--show-name"], {
            cwd: dir,
            timeout: 15_000,
        });
        return stdout.trim() || undefined;
    } catch {
        return undefined;
    }
}

/**
 * The stack's validated configuration, read from `Pulumi.<stack>.yaml` exactly as the
 * program reads it (secrets are not needed and are not decrypted).
 */
export function loadStackConfig(stack: string, dir = projectDir): PlatformConfig {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    try {
        const { config, secretKeys } = readStackConfig(dir, file);
        return parseConfig(
            groupConfig(config, (key) => secretKeys.includes(key)),
            stack,
        );
    } catch (error) {
        if (error instanceof ConfigError || error instanceof StackFileError) {
            throw new CliError(
                `Pulumi.${stack}.yaml is not valid:\n${(error as Error).message}`,
                `fix the keys named above; \`npm run synth -- ${stack}\` shows the same problems`,
                exitCodes.usage,
            );
        }
        throw error;
    }
}
