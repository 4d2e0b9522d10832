import * as fs from "node:fs";
import * as path from "node:path";

/**
 * The two tiers of the test suite, as the pull-request workflow runs them in two jobs:
 * - `engines`: every test file that reaches, through its relative imports, a module that runs
 *   a Go-built engine or a Go module (`builtEngine(`, `goModuleDir(`, test/support/engines.ts)
 *   or the peer linters (test/peers/peers.ts). Its job installs Go and builds them first.
 * - `apt`: every other test file; its job installs the Debian packages .ci/run installs.
 * The tiers are derived from the sources on every run, so a new suite that starts the test
 * control plane lands in the engines tier without a list to keep.
 */
export type Tier = "apt" | "engines";

const sourceExtensions = [".ts", ".mts", ".mjs", ".js"];

/** Marker modules: they run an engine or the peer linters. Paths relative to the root. */
export function isEngineModule(relativePath: string, source: string): boolean {
    if (relativePath === "test/peers/peers.ts") return true;
    if (relativePath === "test/support/engines.ts") return false; // defines; its users decide
    const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    return /\b(builtEngine|goModuleDir)\(/.test(code);
}

/** The relative imports of one source file (static, dynamic and re-exports). */
export function relativeImports(source: string): string[] {
    const found: string[] = [];
    const pattern =
        /(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\bexport\s+\*\s+from\s+)["'](\.{1,2}\/[^"']+)["']/g;
    for (const match of source.matchAll(pattern)) found.push(match[1]);
    return found;
}

function resolve(fromFile: string, specifier: string): string | undefined {
    const base = path.resolve(path.dirname(fromFile), specifier);
    const candidates = [
        base,
        ...sourceExtensions.map((ext) => base + ext),
        ...sourceExtensions.map((ext) => path.join(base, `index${ext}`)),
    ];
    if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, ".ts"));
    return candidates.find((file) => fs.existsSync(file) && fs.statSync(file).isFile());
}

function walk(dir: string, out: string[] = []): string[] {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(full, out);
        else if (entry.name.endsWith(".test.ts")) out.push(full);
    }
    return out;
}

/** Every test file vitest runs (`test/**\/*.test.ts`), relative to `root`, by tier. */
export function testTiers(root: string): Record<Tier, string[]> {
    const memo = new Map<string, boolean>();
    const reachesEngine = (file: string, seen: Set<string>): boolean => {
        const known = memo.get(file);
        if (known !== undefined) return known;
        if (seen.has(file)) return false;
        seen.add(file);
        const source = fs.readFileSync(file, "utf8");
        const relative = path.relative(root, file).split(path.sep).join("/");
        const result =
            isEngineModule(relative, source) ||
            relativeImports(source).some((spec) => {
                const target = resolve(file, spec);
                return target !== undefined && reachesEngine(target, seen);
            });
        memo.set(file, result);
        return result;
    };
    const tiers: Record<Tier, string[]> = { apt: [], engines: [] };
    for (const file of walk(path.join(root, "test")).sort()) {
        const relative = path.relative(root, file).split(path.sep).join("/");
        tiers[reachesEngine(file, new Set()) ? "engines" : "apt"].push(relative);
    }
    return tiers;
}

// `tsx dev/lib/test-tiers.ts <apt|engines>` prints that tier's files, one a line (for
// dev/run-tests.sh).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
    const tier = process.argv[2];
    if (tier !== "apt" && tier !== "engines") {
        process.stderr.write("usage: tsx dev/lib/test-tiers.ts apt|engines\n");
        process.exit(2);
    }
    const root = path.resolve(__dirname, "../..");
    process.stdout.write(testTiers(root)[tier].join("\n") + "\n");
}
