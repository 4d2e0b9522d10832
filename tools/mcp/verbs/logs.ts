import {
    CloudWatchLogsClient,
    CloudWatchLogsServiceException,
    FilterLogEventsCommand,
    GetQueryResultsCommand,
    StartQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { PlatformConfig } from "../../../config";
import {
    CliError,
    exitCodes,
    jsonOption,
    jsonOptionHelp,
    parseCount,
    parseDuration,
    parseVerbArgs,
    UsageError,
} from "../lib/cli";
import { type Io, stackContext } from "../lib/context";
import { resolveService } from "../lib/services";
import type { Verb } from "./verb";
import {
    logGroupName,
    logGroupPrefix,
    otherGroupSuffix,
    requestIdPlaceholder,
    savedQueries,
} from "../../../contracts/logging";

/** Levels at or above each `--level`, as the services write them (lowercased). */
export const levelsAtOrAbove: Readonly<Record<string, readonly string[]>> = {
    debug: ["debug", "info", "warn", "warning", "error", "critical", "fatal"],
    info: ["info", "warn", "warning", "error", "critical", "fatal"],
    warn: ["warn", "warning", "error", "critical", "fatal"],
    error: ["error", "critical", "fatal"],
};

const serviceField = "coalesce(service, kubernetes.labels.app, kubernetes.container_name)";

export interface LogQuery {
    /** The saved query it runs (`mcp-platform/<stack>/<key>`), when it runs one. */
    readonly saved?: string;
    readonly queryString: string;
    readonly logGroupNames: readonly string[];
    readonly sinceMs: number;
}

export interface LogOptions {
    readonly service?: string;
    readonly level?: string;
    readonly search?: string;
    readonly requestId?: string;
    readonly summary?: boolean;
    readonly slow?: boolean;
    readonly since?: string;
    readonly limit: number;
}

/** `"` and `\` escaped for a Logs Insights string literal. */
function literal(text: string): string {
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * The Logs Insights query for the options: the saved queries of components/logging for the
 * manual's searches (`--request-id` → request-trace, `--summary` → errors-by-service,
 * `--slow` → slow-requests), else the matching events, newest first.
 */
export function buildQuery(cfg: PlatformConfig, options: LogOptions): LogQuery {
    const prefix = logGroupPrefix(cfg.stack);
    const namespaces = options.service
        ? [...new Set(resolveService(cfg, options.service).map((w) => w.namespace))]
        : [...cfg.logging.namespaces, otherGroupSuffix];
    const logGroupNames = namespaces.map((ns) => logGroupName(prefix, ns));
    const saved = Object.fromEntries(
        savedQueries(cfg.logging.slowRequestThresholdMs).map((q) => [q.key, q]),
    );
    const folder = `mcp-platform/${cfg.stack}`;
    const pick = (key: string, text = saved[key].queryString) => ({
        saved: `${folder}/${key}`,
        queryString: text,
        logGroupNames,
        sinceMs: parseDuration("--since", options.since ?? saved[key].since),
    });
    const exclusive = [
        options.requestId && "--request-id",
        options.summary && "--summary",
        options.slow && "--slow",
    ].filter(Boolean);
    if (exclusive.length > 1) throw new UsageError(`${exclusive.join(" and ")} do not go together`);
    if (options.requestId !== undefined) {
        if (!/^[A-Za-z0-9._:-]{1,128}$/.test(options.requestId)) {
            throw new UsageError("--request-id expects letters, digits, '.', '_', ':' or '-'");
        }
        return pick(
            "request-trace",
            saved["request-trace"].queryString.replace(requestIdPlaceholder, options.requestId),
        );
    }
    if (options.summary) {
        if (options.level && options.level !== "error")
            throw new UsageError(
                "--summary counts error-level events: give --level error or no --level",
            );
        return pick("errors-by-service");
    }
    if (options.slow) return pick("slow-requests");
    const filters: string[] = [];
    if (options.level) {
        const levels = levelsAtOrAbove[options.level];
        if (!levels)
            throw new UsageError(
                `--level expects one of ${Object.keys(levelsAtOrAbove).join(", ")}`,
            );
        filters.push(`| filter ${levels.map((l) => `lvl = ${literal(l)}`).join(" or ")}`);
    }
    if (options.service) {
        const names = resolveService(cfg, options.service).map((w) => w.name);
        filters.push(`| filter ${names.map((n) => `svc = ${literal(n)}`).join(" or ")}`);
    }
    if (options.search) filters.push(`| filter strcontains(@message, ${literal(options.search)})`);
    return {
        queryString: [
            `fields @timestamp, ${serviceField} as svc, tolower(level) as lvl, @message`,
            ...filters,
            `| sort @timestamp desc`,
            `| limit ${options.limit}`,
        ].join("\n"),
        logGroupNames,
        sinceMs: parseDuration("--since", options.since ?? "1h"),
    };
}

function awsFailure(what: string, error: unknown): CliError {
    if (error instanceof CloudWatchLogsServiceException) {
        return new CliError(
            `${what}: CloudWatch Logs answered ${error.name}: ${error.message}`,
            error.name === "AccessDeniedException"
                ? "use credentials that may read the log groups (logs:StartQuery, logs:GetQueryResults, logs:FilterLogEvents) and kms:Decrypt on alias/mcp-platform/<stack>/logs"
                : "check the stack (--stack) and the region",
        );
    }
    return new CliError(
        `${what}: cannot reach CloudWatch Logs: ${(error as Error).message}`,
        "check the network and AWS credentials (`aws sts get-caller-identity`)",
        exitCodes.unreachable,
    );
}

export const logs: Verb = {
    name: "logs",
    help: {
        synopsis: [
            "mcp logs [service] [--level error] [--since 1h] [--search TEXT] [--limit 100] [--json]",
            "mcp logs --request-id ID | --summary | --slow [--since 24h]",
            "mcp logs [service] -f [--level warn] [--search TEXT]",
        ],
        summary:
            "Searches the cluster's logs in CloudWatch Logs Insights (one log group per namespace, /mcp-platform/<stack>/<namespace>). --request-id, --summary (errors per service) and --slow run the saved queries request-trace, errors-by-service and slow-requests of docs/logging.md; -f follows new events.",
        options: [
            { flag: "--level LEVEL", text: "debug, info, warn or error: that level and above" },
            {
                flag: "--since DURATION",
                text: "how far back (default 1h; the saved queries' own range otherwise)",
            },
            { flag: "--search TEXT", text: "events whose message contains TEXT" },
            {
                flag: "--request-id ID",
                text: "every event of one request (saved query request-trace)",
            },
            {
                flag: "--summary",
                text: "error-level events per service (saved query errors-by-service)",
            },
            {
                flag: "--slow",
                text: "requests slower than logging.slowRequestThresholdMs (saved query slow-requests)",
            },
            { flag: "--limit N, --tail N", text: "at most N events, newest first (default 100)" },
            { flag: "-f, --follow", text: "keep printing new events (Ctrl-C stops)" },
            jsonOptionHelp,
        ],
        notes: [
            "AWS credentials from the SDK's default chain; region of the stack. Exit 0 with results or none; 3 CloudWatch unreachable.",
        ],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...jsonOption,
            level: { type: "string" },
            since: { type: "string" },
            search: { type: "string" },
            "request-id": { type: "string" },
            summary: { type: "boolean" },
            slow: { type: "boolean" },
            limit: { type: "string" },
            tail: { type: "string" },
            follow: { type: "boolean", short: "f" },
        });
        if (positionals.length > 1) throw new UsageError("give at most one service");
        const { cfg } = await stackContext(values.stack, io);
        const options: LogOptions = {
            service: positionals[0],
            level: values.level,
            search: values.search,
            requestId: values["request-id"],
            summary: values.summary,
            slow: values.slow,
            since: values.since,
            limit: parseCount(
                values.tail !== undefined ? "--tail" : "--limit",
                values.tail ?? values.limit ?? "100",
                1,
            ),
        };
        const query = buildQuery(cfg, options);
        const client = new CloudWatchLogsClient({ region: cfg.region });
        if (values.follow) {
            if (options.requestId || options.summary || options.slow)
                throw new UsageError(
                    "-f follows events; it does not go with --request-id, --summary or --slow",
                );
            return follow(client, query, options, io);
        }
        const end = Date.now();
        let queryId: string | undefined;
        try {
            queryId = (
                await client.send(
                    new StartQueryCommand({
                        logGroupNames: [...query.logGroupNames],
                        queryString: query.queryString,
                        startTime: Math.floor((end - query.sinceMs) / 1000),
                        endTime: Math.floor(end / 1000),
                    }),
                )
            ).queryId;
        } catch (error) {
            throw awsFailure(`start the query${query.saved ? ` ${query.saved}` : ""}`, error);
        }
        for (;;) {
            let result;
            try {
                result = await client.send(new GetQueryResultsCommand({ queryId }));
            } catch (error) {
                throw awsFailure("read the query results", error);
            }
            if (result.status === "Running" || result.status === "Scheduled") {
                await new Promise((resolve) => setTimeout(resolve, 1000));
                continue;
            }
            if (result.status !== "Complete") {
                throw new CliError(
                    `the Logs Insights query ended ${result.status}`,
                    "run it again; a narrower --since helps a timed-out query",
                );
            }
            const rows = (result.results ?? []).map((fields) =>
                Object.fromEntries(
                    fields.filter((f) => f.field !== "@ptr").map((f) => [f.field!, f.value ?? ""]),
                ),
            );
            if (values.json) io.out(JSON.stringify(rows, null, 2));
            else if (rows.length === 0)
                io.out(
                    `no events in the last ${options.since ?? "range"} in ${query.logGroupNames.join(", ")}`,
                );
            else for (const row of rows) io.out(Object.values(row).join("  "));
            return exitCodes.ok;
        }
    },
};

async function follow(
    client: CloudWatchLogsClient,
    query: LogQuery,
    options: LogOptions,
    io: Io,
): Promise<number> {
    let since = Date.now() - 60_000;
    const seen = new Set<string>();
    const levels = options.level ? levelsAtOrAbove[options.level] : undefined;
    if (options.level && !levels)
        throw new UsageError(`--level expects one of ${Object.keys(levelsAtOrAbove).join(", ")}`);
    for (;;) {
        for (const group of query.logGroupNames) {
            let token: string | undefined;
            do {
                let page;
                try {
                    page = await client.send(
                        new FilterLogEventsCommand({
                            logGroupName: group,
                            startTime: since,
                            nextToken: token,
                            filterPattern: options.search ? literal(options.search) : undefined,
                        }),
                    );
                } catch (error) {
                    if (
                        error instanceof CloudWatchLogsServiceException &&
                        error.name === "ResourceNotFoundException"
                    )
                        break;
                    throw awsFailure(`follow ${group}`, error);
                }
                for (const event of page.events ?? []) {
                    if (seen.has(event.eventId!)) continue;
                    seen.add(event.eventId!);
                    since = Math.max(since, event.timestamp ?? since);
                    const message = event.message ?? "";
                    if (
                        levels &&
                        !levels.some((l) => message.toLowerCase().includes(`"level":"${l}"`))
                    )
                        continue;
                    io.out(
                        `${new Date(event.timestamp ?? 0).toISOString()}  ${event.logStreamName}  ${message.trim()}`,
                    );
                }
                token = page.nextToken;
            } while (token);
        }
        await new Promise((resolve) => setTimeout(resolve, 5000));
    }
}
