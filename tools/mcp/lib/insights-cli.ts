import type { SavedQuery } from "../../../contracts/logging";
import { CliError, exitCodes } from "./cli";
import { type AwsCli, SourceUnreachable } from "./update-sources";

/**
 * A Logs Insights query through the AWS CLI, as an operator would run it by hand:
 * `aws logs start-query`, then `aws logs get-query-results` until it is Complete.
 * `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS` points the CLI at another endpoint.
 */
export type Row = Readonly<Record<string, string>>;

export interface QueryOutcome {
    readonly key: string;
    readonly description: string;
    readonly rows: readonly Row[];
}

interface StartQuery {
    readonly queryId: string;
}
interface QueryResults {
    readonly status: string;
    readonly results?: readonly (readonly { field: string; value: string }[])[];
}

function unreachable(error: unknown): never {
    if (error instanceof SourceUnreachable) {
        throw new CliError(
            `CloudWatch Logs: ${error.message}`,
            error.remedy,
            exitCodes.unreachable,
        );
    }
    throw error;
}

export async function runInsightsQuery(
    aws: AwsCli,
    logGroup: string,
    query: SavedQuery,
    sinceMs: number,
    { now = Date.now(), intervalMs = 1000, timeoutMs = 120_000 } = {},
): Promise<QueryOutcome> {
    const start = (await aws([
        "logs",
        "start-query",
        "--log-group-name",
        logGroup,
        "--start-time",
        String(Math.floor((now - sinceMs) / 1000)),
        "--end-time",
        String(Math.floor(now / 1000)),
        "--query-string",
        query.queryString,
    ]).catch(unreachable)) as StartQuery;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const answer = (await aws(["logs", "get-query-results", "--query-id", start.queryId]).catch(
            unreachable,
        )) as QueryResults;
        if (answer.status === "Complete") {
            const rows = (answer.results ?? []).map((fields) =>
                Object.fromEntries(
                    fields.filter((f) => f.field !== "@ptr").map((f) => [f.field, f.value]),
                ),
            );
            return { key: query.key, description: query.description, rows };
        }
        if (["Failed", "Cancelled", "Timeout", "Unknown"].includes(answer.status)) {
            throw new CliError(
                `the query ${query.key} over ${logGroup} ended ${answer.status}`,
                "run it in the console (Logs Insights, saved queries) to see why",
                exitCodes.unreachable,
            );
        }
        if (Date.now() + intervalMs > deadline) {
            throw new CliError(
                `the query ${query.key} over ${logGroup} did not complete within ${Math.round(timeoutMs / 1000)}s`,
                "narrow --since, or run it in the console",
                exitCodes.unreachable,
            );
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
