import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/**
 * Where the real engines are: the binaries `npm run engines` (dev/engines/build.sh) builds
 * from pinned Go modules, and the Debian packages .ci/run installs. A missing engine is an
 * error that says how to get it; tests never skip for want of one.
 */
export const enginesDir =
    process.env.MCP_ENGINES_DIR ?? path.join(os.homedir(), ".cache/mcp-platform/engines");

/** A binary built by `npm run engines`, e.g. `kube-apiserver`. */
export function builtEngine(name: string): string {
    const file = path.join(enginesDir, "bin", name);
    try {
        fs.accessSync(file, fs.constants.X_OK);
    } catch {
        throw new Error(
            `${name} is not built: expected ${file}. Run \`npm run engines\` ` +
                "(dev/engines/build.sh; set MCP_ENGINES_DIR to use another cache directory).",
        );
    }
    return file;
}

/** A program on PATH, e.g. `etcd` from Debian's etcd-server package. */
export function systemTool(name: string, install: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const file = path.join(dir, name);
        try {
            fs.accessSync(file, fs.constants.X_OK);
            return file;
        } catch {
            // Not in this directory.
        }
    }
    throw new Error(`${name} is not on PATH: install it with \`${install}\``);
}

export interface GoModule {
    readonly module: string;
    readonly version: string;
    /** The module zip's hash as go.sum records it (`h1:…`). */
    readonly sum: string;
}

/**
 * The directory of a module version in the Go module cache, downloaded from the Go module
 * proxy if absent. The go command checks the zip against the checksum database; the pinned
 * `sum` is checked here too, so a version can never silently change under a test.
 */
export function goModuleDir(mod: GoModule): string {
    const go = systemTool("go", "see https://go.dev/doc/install; .ci/run expects Go on PATH");
    const child = spawnSync(go, ["mod", "download", "-json", `${mod.module}@${mod.version}`], {
        // Outside any go.mod, so the download is not resolved against one of ours.
        cwd: os.tmpdir(),
        encoding: "utf8",
        timeout: 300_000,
    });
    let info: { Dir?: string; Sum?: string; Error?: string } = {};
    try {
        info = JSON.parse(child.stdout) as typeof info;
    } catch {
        // Reported below with stderr.
    }
    if (child.status !== 0 || !info.Dir) {
        throw new Error(
            `go mod download ${mod.module}@${mod.version} failed: ${info.Error ?? child.stderr}`,
        );
    }
    if (info.Sum !== mod.sum) {
        throw new Error(
            `${mod.module}@${mod.version} has hash ${info.Sum}, pinned ${mod.sum}: not the version pinned`,
        );
    }
    return info.Dir;
}

/**
 * The version and hash of `module` as pinned by one of the Go modules under dev/engines/
 * (its go.mod's require and its go.sum), so a test reads the same files as the binary built
 * from that module.
 */
export function pinnedGoModule(engineModuleDir: string, module: string): GoModule {
    const dir = path.resolve(__dirname, "../../dev/engines", engineModuleDir);
    const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const goMod = fs.readFileSync(path.join(dir, "go.mod"), "utf8");
    const version = new RegExp(`^\\s*(?:require\\s+)?${escaped} (v\\S+)`, "m").exec(goMod)?.[1];
    if (!version) throw new Error(`${dir}/go.mod does not require ${module}`);
    const goSum = fs.readFileSync(path.join(dir, "go.sum"), "utf8");
    const sum = new RegExp(`^${escaped} ${version} (h1:\\S+)$`, "m").exec(goSum)?.[1];
    if (!sum) throw new Error(`${dir}/go.sum has no hash for ${module} ${version}`);
    return { module, version, sum };
}
