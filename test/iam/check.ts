import { stackFileVariant, synth } from "../support/synth";
import { type Evaluation, evaluate } from "./evaluate";
import { type StackModel, stackModel } from "./model";
import type { CallerFile } from "./requests";

/**
 * Runs every caller file against the synthesized stacks: each request must be allowed, each
 * outside request denied, and every role a stack declares must have a caller file.
 */

/** The three synths: production, dr on standby, dr activated (restore Job declared). */
export function synthVariants(): StackModel[] {
    const active = stackFileVariant("dr", (d) => {
        d.config["mcp-platform:drActive"] = true;
        (d.config["mcp-platform:backups"] as { restore: Record<string, unknown> }).restore.from =
            "dump";
    });
    const runs: [string, string, ReturnType<typeof synth>][] = [
        ["production", "us-east-1", synth("production")],
        ["dr", "us-west-2", synth("dr")],
        ["dr-active", "us-west-2", synth("dr", { stackFile: active })],
    ];
    return runs.map(([variant, region, run]) => {
        if (run.status !== 0)
            throw new Error(`synth ${variant} failed: ${run.stderr.slice(-2000)}`);
        return stackModel(variant, region, run.resources());
    });
}

export interface Unexpected {
    readonly kind: "denied" | "allowed" | "error" | "uncovered";
    readonly message: string;
}

export interface CheckResult {
    readonly roles: number;
    readonly allowed: Evaluation[];
    readonly denied: Evaluation[];
    readonly unexpected: Unexpected[];
}

function line(e: Evaluation): string {
    return (
        `[${e.variant}] ${e.caller} (${e.file}): ${e.principal} ${e.action} on ${e.resource} ` +
        `→ ${e.result}; deciding: ${e.deciding}`
    );
}

/**
 * Evaluates every caller file in every variant; production and dr see each other's policies.
 * With `everyRole` (the default) a role no caller file names is reported too.
 */
export async function checkAll(
    models: StackModel[],
    files: CallerFile[],
    everyRole = true,
): Promise<CheckResult> {
    const allowed: Evaluation[] = [];
    const denied: Evaluation[] = [];
    const unexpected: Unexpected[] = [];
    let roles = 0;
    for (const model of models) {
        roles += model.roles.size;
        // Production replicates into the dr stack's bucket and key; dr reads production's names.
        const peer = model.variant === "production" ? "dr" : "production";
        const peers = models.filter((m) => m.variant === peer);
        for (const role of model.roles.keys()) {
            if (everyRole && !files.some((f) => f.roles.includes(role))) {
                unexpected.push({
                    kind: "uncovered",
                    message: `[${model.variant}] role ${role} has no caller file in test/iam/requests`,
                });
            }
        }
        for (const file of files) {
            const applies = (variants?: string[]) => !variants || variants.includes(model.variant);
            if (!applies(file.variants)) continue;
            const as = file.principal ? [undefined] : file.roles.filter((r) => model.roles.has(r));
            for (const [list, expectAllowed, roleName] of as.flatMap((r) => [
                [file.requests, true, r] as const,
                [file.outside, false, r] as const,
            ])) {
                for (const request of list) {
                    if (!applies(request.variants)) continue;
                    const e = await evaluate(file, request, { model, peers }, roleName);
                    if (e.result === "Error") {
                        unexpected.push({ kind: "error", message: `${line(e)} (${request.what})` });
                    } else if ((e.result === "Allowed") !== expectAllowed) {
                        unexpected.push({
                            kind: expectAllowed ? "denied" : "allowed",
                            message: `${line(e)} (${request.what})`,
                        });
                    } else {
                        (expectAllowed ? allowed : denied).push(e);
                    }
                }
            }
        }
    }
    return { roles, allowed, denied, unexpected };
}
