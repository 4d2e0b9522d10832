import { main } from "../../../tools/mcp/main";

/**
 * Runs `mcp …` in this process, as tools/mcp/bin.mjs would, with its own environment and its
 * output collected; the real clients talk to whatever the environment points them at.
 */
export interface McpRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

export async function mcp(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<McpRun> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        out: (line) => out.push(line),
        err: (line) => err.push(line),
    });
    return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

/** The JSON a `--json` run printed. */
export function json<T = any>(run: McpRun): T {
    try {
        return JSON.parse(run.stdout) as T;
    } catch {
        throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    }
}
