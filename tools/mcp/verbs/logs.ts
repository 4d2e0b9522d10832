import {
    CloudWatchLogsClient,
    CloudWatchLogsServiceException,
    FilterLogEventsCommand,
    GetQueryResultsCommand,
    StartQueryCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import type { PlatformConfig } from "../../../config";
import { logs as spec } from "../catalog";
import {
    CliError,
    count,
    duration,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    UsageError,
} from "../lib/cli";
import { eventFields, literal, type LogFilter, parseFilter } from "../lib/log-filter";
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
    /** `--filter` (tools/mcp/lib/log-filter.ts). */
    readonly filter?: string;
    readonly requestId?: string;
    readonly summary?: boolean;
    readonly slow?: boolean;
    readonly since?: string;
    readonly limit: number;
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
        sinceMs: duration("--since", options.since ?? saved[key].since),
    });
    const exclusive = [
        options.requestId && "--request-id",
        options.summary && "--summary",
        options.slow && "--slow",
    ].filter(Boolean);
    if (exclusive.length > 1) throw new UsageError(`${exclusive.join(" and ")} do not go together`);
    if (exclusive.length > 0 && options.filter !== undefined)
        throw new UsageError(`${exclusive[0]} runs a saved query; it does not take --filter`);
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
    if (options.filter !== undefined)
        filters.push(`| filter ${parseFilter(options.filter).insights}`);
    return {
        queryString: [
            `fields @timestamp, ${serviceField} as svc, tolower(level) as lvl, ${options.filter?.match(/request[_-]?id:/i) ? "request_id, " : ""}@message`,
            ...filters,
            `| sort @timestamp desc`,
            `| limit ${options.limit}`,
        ].join("\n"),
        logGroupNames,
        sinceMs: duration("--since", options.since ?? "1h"),
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
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        if (positionals.length > 1) throw new UsageError("give at most one service");
        const { cfg } = await stackContext(values.stack, io);
        const options: LogOptions = {
            service: positionals[0],
            level: values.level,
            search: values.search,
            filter: values.filter,
            requestId: values["request-id"],
            summary: values.summary,
            slow: values.slow,
            since: values.since,
            limit: count(
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
            if (format !== "text") io.out(renderData(format, rows));
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
    const filter: LogFilter | undefined =
        options.filter === undefined ? undefined : parseFilter(options.filter);
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
                    if (filter && !filter.matches(eventFields(message))) continue;
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
