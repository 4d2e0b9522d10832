import { createHash } from "node:crypto";
import * as path from "node:path";
import { buildSync } from "esbuild";

/**
 * Bundles the edge Worker (worker/src/index.ts) into the single ES module that the
 * WorkersScript uploads, and that the synth writes to `out/<stack>/worker/`.
 *
 * The build is deterministic: esbuild runs from the repository root (so the path comments it
 * writes never depend on the caller's working directory), without minification, source maps
 * or timestamps. The same sources always give the same bytes and sha256.
 */

/** The module name the script declares as `mainModule`. */
export const workerMainModule = "worker.js";

const projectDir = path.resolve(__dirname, "../..");

export interface WorkerBundle {
    /** The module's source text, exactly as deployed. */
    readonly content: string;
    /** Hex sha256 of `content` (UTF-8). */
    readonly sha256: string;
    readonly mainModule: string;
}

let cached: WorkerBundle | undefined;

/** Builds the bundle once per process and returns it. */
export function bundleWorker(): WorkerBundle {
    if (cached) return cached;
    const result = buildSync({
        absWorkingDir: projectDir,
        entryPoints: ["worker/src/index.ts"],
        bundle: true,
        format: "esm",
        platform: "neutral",
        target: "es2022",
        conditions: ["workerd", "worker", "browser"],
        tsconfig: "worker/tsconfig.json",
        minify: false,
        sourcemap: false,
        legalComments: "none",
        charset: "utf8",
        write: false,
        outfile: workerMainModule,
        logLevel: "silent",
    });
    const file = result.outputFiles[0];
    const content = file.text;
    cached = {
        content,
        sha256: createHash("sha256").update(content, "utf8").digest("hex"),
        mainModule: workerMainModule,
    };
    return cached;
}
