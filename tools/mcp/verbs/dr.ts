import { main as drMain } from "../../dr";
import { commands, commandUsage, usage } from "../../lib/dr/args";
import type { DrDeps } from "../../lib/dr/types";
import { exitCodes, UsageError } from "../lib/cli";
import type { Io } from "../lib/context";
import type { Verb } from "./verb";

/**
 * `mcp dr status|activate|failback|check-deploy`: the DR procedure of tools/dr.ts (docs/dr.md),
 * unchanged; `npm run dr -- …` is the same command. It acts on both stacks, named by
 * `--dr-stack` and `--production-stack`, so the common `--stack` does not apply.
 */
/** `deps`: the workspace, store, edge and clock of tools/lib/dr/types.ts (tests inject fakes). */
export function drVerb(deps: Partial<DrDeps> = {}): Verb {
    return {
        name: "dr",
        help: {
            synopsis: ["mcp dr status|activate|failback|check-deploy [options]"],
            summary:
                "Disaster recovery by stack switching (docs/dr.md): status of both regions and the newest replicated backup against the RPO, activation of the dr stack, failback.",
            options: [],
            notes: ["`mcp dr <command> --help` lists the options of one command."],
        },
        async run(argv, io: Io) {
            const args = [...argv];
            if (args.some((a) => a === "--stack" || a.startsWith("--stack="))) {
                throw new UsageError(
                    "mcp dr acts on both stacks: use --dr-stack and --production-stack",
                );
            }
            if (args.includes("--help") || args.includes("-h")) {
                const command = args.find((a) => (commands as readonly string[]).includes(a));
                const text = command ? commandUsage(command as (typeof commands)[number]) : usage;
                io.out(text.replace(/npm run dr --/g, "mcp dr"));
                return exitCodes.ok;
            }
            return drMain(args, { log: (line) => io.out(line), ...deps });
        },
    };
}

export const dr = drVerb();
