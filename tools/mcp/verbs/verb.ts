import type { VerbHelp } from "../lib/cli";
import type { Io } from "../lib/context";

/** One `mcp` verb: its help and what it does; `run` returns the exit code. */
export interface Verb {
    readonly name: string;
    readonly help: VerbHelp;
    run(argv: readonly string[], io: Io): Promise<number>;
}
