import type { ResourceRecord } from "../records";

/** Context handed to every artifact writer of the synth. */
export interface SynthContext {
    readonly stack: string;
    /** `out/<stack>`: every writer writes below it. */
    readonly outDir: string;
    readonly records: readonly ResourceRecord[];
    /** The program's stack outputs (secrets redacted). */
    readonly outputs: Record<string, unknown>;
}

/**
 * Writes one folder of the synth's output contract (`out/<stack>/`, listed in README.md).
 * Returns the paths it wrote, relative to `outDir`, for the summary.
 */
export interface ArtifactWriter {
    readonly name: string;
    write(context: SynthContext): string[];
}
