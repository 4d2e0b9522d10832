import * as nodeModule from "node:module";

/**
 * Imported first by the synth: Node keeps the compiled code of every module the synth loads —
 * the Pulumi SDKs, the program — in its on-disk compile cache, so the next run skips
 * compiling them. The cache is keyed by each module's source, so an edited file is compiled
 * afresh. An older Node than `engines` asks for (before 22.1) has no compile cache and runs
 * without it.
 */
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
