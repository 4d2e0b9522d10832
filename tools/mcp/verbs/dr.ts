import { main as drMain } from "../../dr";
import type { DrDeps } from "../../lib/dr/types";
import { dr as spec } from "../catalog";
import type { Io } from "../lib/context";
import type { Verb } from "./verb";

/**
 * `mcp dr status|activate|failback|check-deploy`: the DR procedure of tools/dr.ts (docs/dr.md);
 * `npm run dr -- …` is the same command. It acts on both stacks, named by `--dr-stack` and
 * `--production-stack`, so the common `--stack` does not apply.
 *
 * `deps`: the workspace, store, edge and clock of tools/lib/dr/types.ts (tests inject fakes).
 */
export function drVerb(deps: Partial<DrDeps> = {}): Verb {
    return {
        spec,
        async run(argv, io: Io) {
            return drMain(argv, { log: (line) => io.out(line), ...deps }, io);
        },
    };
}

export const dr = drVerb();
