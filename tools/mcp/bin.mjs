#!/usr/bin/env node
// `mcp`, the operators' CLI: runs tools/mcp/main.ts (TypeScript) through tsx, passing the
// arguments, the terminal and the exit code through.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const main = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");
let tsx;
try {
    tsx = createRequire(import.meta.url).resolve("tsx/cli");
} catch {
    console.error("mcp: tsx is not installed; run `npm ci` in the repository first");
    process.exit(1);
}
const result = spawnSync(process.execPath, [tsx, main, ...process.argv.slice(2)], {
    stdio: "inherit",
});
if (result.error) {
    console.error(`mcp: cannot start node: ${result.error.message}`);
    process.exit(1);
}
process.exit(result.status ?? 1);
