import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDir } from "../support/synth";

/** `npm run bench:edge -- <args>` as a child process (tsx directly, as npm runs it). */
function run(args: readonly string[]) {
    const child = spawnSync(
        process.execPath,
        [path.join(projectDir, "node_modules/.bin/tsx"), "dev/bench-edge.ts", ...args],
        { cwd: projectDir, encoding: "utf8", timeout: 120_000 },
    );
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

describe("npm run bench:edge", () => {
    it.each([["--help"], ["-h"]])(
        "%s prints the usage with every option on stdout and exits 0",
        (flag) => {
            const result = run([flag]);
            expect(result.stderr).toBe("");
            expect(result.status).toBe(0);
            expect(result.stdout).toMatch(
                /^usage: npm run bench:edge -- \[--requests 4000\] \[--concurrency 8\] \[--write-docs\]\n/,
            );
            for (const option of ["--requests N", "--concurrency N", "--write-docs", "-h, --help"])
                expect(result.stdout).toContain(`  ${option} `);
            // Help starts nothing: no benchmark table.
            expect(result.stdout).not.toContain("| target |");
        },
    );

    it.each([
        [["--nope"], "unknown option --nope"],
        [["extra"], "unexpected argument extra"],
        [["--requests"], "--requests needs a value"],
        [["--requests", "0"], '--requests expects a whole number ≥ 1, got "0"'],
        [["--concurrency", "many"], '--concurrency expects a whole number ≥ 1, got "many"'],
        [["--write-docs=yes"], "--write-docs takes no value"],
    ])("%j exits 2 with one line naming the problem and no stack trace", (args, problem) => {
        const result = run(args);
        expect(result.status).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe(`bench:edge: ${problem}; see npm run bench:edge -- --help\n`);
        expect(result.stderr).not.toMatch(/^\s+at /m);
    });

    it("still runs the benchmark with --requests and --concurrency", () => {
        const result = run(["--requests", "20", "--concurrency", "2"]);
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(result.stdout).toContain("20 GET requests per target, 2 in flight");
        expect(result.stdout).toMatch(/^\| through our Worker \| [\d.]+ ms \|/m);
        expect(result.stdout).toMatch(/^\| through a bare pass-through Worker \| [\d.]+ ms \|/m);
        expect(result.stdout).toMatch(/^\| \*\*ours ÷ bare Worker\*\* \| \*\*[\d.]+×\*\* \|/m);
    });
});
