import { Writable } from "node:stream";
import * as k8s from "@kubernetes/client-node";
import { dataNamespace } from "../../../contracts/names";
import {
    CliError,
    exitCodes,
    jsonOption,
    jsonOptionHelp,
    parseVerbArgs,
    table,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, kubeOptionHelp, kubeOptions, stackContext } from "../lib/context";
import { type Kube, kubeError } from "../lib/kube";
import type { Verb } from "./verb";
import { postgresNames } from "../../../contracts/data";

/** Client connections by user, application and state, with the server's limit. */
export const connectionsSql = [
    "SELECT coalesce(usename, ''), coalesce(application_name, ''), coalesce(state, ''), count(*), current_setting('max_connections')",
    "FROM pg_stat_activity WHERE backend_type = 'client backend'",
    "GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3",
].join(" ");

/** The psql command run in postgres-primary-0 (local socket, as the runbooks do). */
export const psqlCommand = [
    "psql",
    "-U",
    postgresNames.user,
    "-d",
    postgresNames.database,
    "-X",
    "-A",
    "-t",
    "-F",
    "\t",
    "-c",
    connectionsSql,
];

export interface ConnectionGroup {
    readonly user: string;
    readonly application: string;
    readonly state: string;
    readonly count: number;
}

export interface Connections {
    readonly total: number;
    readonly maxConnections: number;
    readonly groups: readonly ConnectionGroup[];
}

/** Parses psql's unaligned, tuples-only output of {@link connectionsSql}. */
export function parseConnections(output: string, maxFallback = 0): Connections {
    const groups: ConnectionGroup[] = [];
    let max = maxFallback;
    for (const line of output.split("\n")) {
        if (!line.trim()) continue;
        const cells = line.split("\t");
        if (cells.length !== 5 || !/^\d+$/.test(cells[3])) {
            throw new CliError(
                `unexpected psql output line: ${JSON.stringify(line.slice(0, 120))}`,
                "run the query by hand: kubectl exec -it postgres-primary-0 -n mcp-production -- psql -U mcp_user -d mcp_db",
            );
        }
        groups.push({
            user: cells[0],
            application: cells[1],
            state: cells[2],
            count: Number(cells[3]),
        });
        max = Number(cells[4]);
    }
    return { total: groups.reduce((sum, g) => sum + g.count, 0), maxConnections: max, groups };
}

async function execInPod(
    kube: Kube,
    pod: string,
    container: string,
    command: string[],
): Promise<string> {
    let stdout = "";
    let stderr = "";
    const sink = (append: (s: string) => void) =>
        new Writable({
            write(chunk, _enc, done) {
                append(String(chunk));
                done();
            },
        });
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
        new k8s.Exec(kube.config)
            .exec(
                dataNamespace,
                pod,
                container,
                command,
                sink((s) => (stdout += s)),
                sink((s) => (stderr += s)),
                null,
                false,
                resolve,
            )
            .then((ws) => ws.on("error", reject))
            .catch(reject);
    }).catch((error: unknown) => {
        throw kubeError(`exec in pod/${pod} (${dataNamespace})`, kube.server, error);
    });
    if (status.status !== "Success") {
        throw new CliError(
            `psql in pod/${pod} failed: ${stderr.trim() || status.message || status.reason}`,
            `check the primary: kubectl exec -it ${pod} -n ${dataNamespace} -- pg_isready -U ${postgresNames.user} -d ${postgresNames.database}`,
        );
    }
    return stdout;
}

export const db: Verb = {
    name: "db",
    help: {
        synopsis: ["mcp db connections [--warn-ratio 0.8] [--json]"],
        summary:
            "The primary's client connections (pg_stat_activity in postgres-primary-0, through the Kubernetes exec API, as `kubectl exec … psql` does): by user, application and state, against max_connections.",
        options: [
            {
                flag: "--warn-ratio R",
                text: "exit 1 when connections exceed R × max_connections (default 0.8)",
            },
            ...kubeOptionHelp,
            jsonOptionHelp,
        ],
        notes: ["Resetting connections means restarting their clients: mcp restart <service>."],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...kubeOptions,
            ...jsonOption,
            "warn-ratio": { type: "string" },
        });
        if (positionals[0] !== "connections" || positionals.length > 1)
            throw new UsageError("expected `mcp db connections`");
        const ratio = Number(values["warn-ratio"] ?? "0.8");
        if (!(ratio > 0 && ratio <= 1))
            throw new UsageError("--warn-ratio expects a number in (0, 1]");
        const { stack } = await stackContext(values.stack, io);
        const kube = await kubeFor(stack, values, io);
        const connections = parseConnections(
            await execInPod(kube, "postgres-primary-0", "postgres", psqlCommand),
        );
        const high =
            connections.maxConnections > 0 &&
            connections.total > ratio * connections.maxConnections;
        if (values.json) io.out(JSON.stringify({ stack, ...connections, high }, null, 2));
        else {
            io.out(
                `${connections.total} client connections of max_connections ${connections.maxConnections}${high ? " — HIGH" : ""}`,
            );
            for (const line of table([
                ["user", "application", "state", "count"],
                ...connections.groups.map((g) => [
                    g.user,
                    g.application || "-",
                    g.state || "-",
                    String(g.count),
                ]),
            ]))
                io.out(`  ${line}`);
        }
        return high ? exitCodes.problem : exitCodes.ok;
    },
};
