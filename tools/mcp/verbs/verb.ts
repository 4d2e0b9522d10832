import type { VerbSpec } from "../catalog";
import type { Io } from "../lib/context";

/** One `mcp` verb: its catalog entry (usage forms, options) and what it does. */
export interface Verb {
    readonly spec: VerbSpec;
    /** Returns the exit code; throws UsageError (exit 2) or CliError (its own code). */
    run(argv: readonly string[], io: Io): Promise<number>;
}
