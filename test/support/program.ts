import * as path from "node:path";
import { vi } from "vitest";
import type { ResourceRecord } from "../../tools/lib/records";
import { runProgram } from "../../tools/lib/run-program";
import { readStackConfig } from "../../tools/lib/stack-file";
import { projectDir } from "./synth";

/**
 * Runs the real program (index.ts) in this process under the synth's mock runtime, with a
 * stack's file as `npm run synth` reads it, and returns its records. Unlike resources.json,
 * each record's non-enumerable `policyInputs` holds the inputs as the engine receives them
 * (secrets unwrapped; offline a credential is its `unset:<key>` placeholder), for checks that
 * need a value the synth writes redacted. The module registry is reset first, so the program
 * registers its resources on every call.
 */
export async function runStackProgram(stack: string): Promise<ResourceRecord[]> {
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const { project, config, secretKeys } = readStackConfig(projectDir, stackFile);
    // The program reads the peer stack's file beside its own (config/network.ts).
    process.env.MCP_STACK_DIR = projectDir;
    vi.resetModules();
    const run = await runProgram({
        project,
        stack,
        region: config["aws:region"] ?? "us-east-1",
        config,
        secretKeys,
        load: () => import("../../index"),
    });
    return run.records;
}

/** The engine's view of a record's inputs (see {@link runStackProgram}). */
export function engineInputs(record: ResourceRecord): Record<string, unknown> {
    if (record.policyInputs === undefined) throw new Error(`${record.urn}: no policyInputs`);
    return record.policyInputs;
}
