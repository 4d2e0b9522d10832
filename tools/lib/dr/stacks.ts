import { configKeys, stackOutputNames } from "../../../contracts/stack-outputs";
import { type DrStack, type DrWorkspace, StackNotFound } from "./types";

/**
 * Reading the two stacks the way the DR procedure needs them: what their stack files say
 * (role, flag, region) and what their last update left (bucket, edge hostname).
 */
export interface StackFacts {
    readonly stack: DrStack;
    readonly role: string;
    /** What the stack file says now. */
    readonly drActive: boolean;
    readonly region: string;
    readonly outputs: Record<string, unknown>;
}

export const installRemedy =
    "install the Pulumi CLI (https://www.pulumi.com/docs/install/), log in to the project's backend with `pulumi login`, and run this from the repository root";

/** Selects a stack; a missing stack and a missing CLI get their own message. */
export async function selectStack(workspace: DrWorkspace, name: string): Promise<DrStack> {
    try {
        return await workspace.selectStack(name);
    } catch (error) {
        if (error instanceof StackNotFound) {
            throw new Error(
                `stack "${name}" does not exist in the Pulumi backend you are logged in to (check \`pulumi whoami\` and the stack name)`,
            );
        }
        throw error;
    }
}

export function parseFlag(value: string | undefined): boolean {
    return value?.trim() === "true";
}

/** Reads config and outputs of a selected stack. */
export async function readFacts(stack: DrStack): Promise<StackFacts> {
    const config = await stack.config();
    const region = config[configKeys.region];
    if (!region) throw new Error(`stack "${stack.name}" has no aws:region in its stack file`);
    return {
        stack,
        role: config[configKeys.role] ?? "primary",
        drActive: parseFlag(config[configKeys.drActive]),
        region,
        outputs: await stack.outputs(),
    };
}

/** A string output, or undefined when the stack has not exported it (yet). */
export function stringOutput(facts: StackFacts, name: string): string | undefined {
    const value = facts.outputs[name];
    return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** The backup bucket an up of this stack created; throws with the fix when absent. */
export function backupBucket(facts: StackFacts): string {
    const bucket = stringOutput(facts, stackOutputNames.backupBucketName);
    if (!bucket) {
        throw new Error(
            `stack "${facts.stack.name}" has no output "${stackOutputNames.backupBucketName}": it has not been deployed with the data layer`,
        );
    }
    return bucket;
}

/**
 * Where the edge answers. In order: the operator's `--edge-hostname`, the dr stack's output,
 * the dr stack's edge config (`mcp-platform:edge` → `hostname`), the production stack's output
 * (read last: production may be unreachable in a disaster).
 */
export async function resolveEdgeHostname(
    override: string | undefined,
    dr: StackFacts,
    readProduction: () => Promise<StackFacts>,
): Promise<{ hostname: string; source: string }> {
    if (override) return { hostname: override, source: "--edge-hostname" };
    const fromOutput = stringOutput(dr, stackOutputNames.edgeHostname);
    if (fromOutput) return { hostname: fromOutput, source: `${dr.stack.name} output` };
    const edgeConfig = (await dr.stack.config())["mcp-platform:edge"];
    if (edgeConfig) {
        try {
            const hostname = (JSON.parse(edgeConfig) as { hostname?: unknown }).hostname;
            if (typeof hostname === "string" && hostname) {
                return { hostname, source: `${dr.stack.name} config mcp-platform:edge.hostname` };
            }
        } catch {
            // not JSON: fall through to the production stack
        }
    }
    let productionProblem = "";
    try {
        const production = await readProduction();
        const fromProduction = stringOutput(production, stackOutputNames.edgeHostname);
        if (fromProduction) {
            return { hostname: fromProduction, source: `${production.stack.name} output` };
        }
    } catch (error) {
        productionProblem = ` (reading the production stack failed: ${(error as Error).message})`;
    }
    throw new Error(
        `no edge hostname: neither the ${dr.stack.name} stack nor the production stack exports "${stackOutputNames.edgeHostname}"${productionProblem}`,
    );
}
