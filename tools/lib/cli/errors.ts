/**
 * Exit codes and errors shared by every entry point (`mcp`, `npm run dr`, the synth, the
 * preflight, the benches), as docs/operations.md#the-mcp-cli documents them:
 *
 * - 0 done / healthy;
 * - 1 a check found a problem or an operation failed (what, and what to do, on stderr);
 * - 2 usage: the command line is wrong (one line naming the problem, no stack trace);
 * - 3 a system the command needs could not be reached, or the means to reach it are missing
 *   (no kubeconfig or context for the stack, the Pulumi CLI not installed), so nothing was
 *   checked or changed.
 */
export const exitCodes = { ok: 0, problem: 1, usage: 2, unreachable: 3 } as const;

/** A mistake on the command line: the CLI prints the message in one line and exits 2. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** A failure the operator can act on: what failed and what to do; printed without a stack. */
export class CliError extends Error {
    constructor(
        readonly problem: string,
        readonly remedy: string,
        readonly exitCode: number = exitCodes.problem,
    ) {
        super(problem);
        this.name = "CliError";
    }
}

/** The lines a CLI prints on stderr for a CliError: the problem, then what to do. */
export function cliErrorText(program: string, error: CliError): string {
    return `${program}: ${error.problem.replace(/\n/g, "\n  ")}\nwhat to do: ${error.remedy}`;
}
