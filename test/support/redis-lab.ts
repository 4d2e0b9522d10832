import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    redisAuthConfig,
    type RedisUserPasswords,
    sentinelUsersConfig,
} from "../../components/data/redis-acl";
import { freePort, opsDir, run, scriptPath, tempDir } from "./ops";

/**
 * The redis StatefulSet's topology on loopback: N redis-server and N redis-sentinel processes
 * (Debian's), each started by ops/redis-start.sh exactly as the pods start them, with the
 * component's ACL users (redis-auth.conf on the servers, sentinel-users.conf on the Sentinels:
 * replication and Sentinel as their own users) and the production Sentinel timing (the
 * script's defaults) unless a test says otherwise.
 */

export interface RedisLabNode {
    readonly index: number;
    readonly port: number;
    readonly sentinelPort: number;
    readonly dir: string;
    server?: ChildProcess;
    sentinel?: ChildProcess;
}

export interface RedisLab {
    readonly nodes: RedisLabNode[];
    /** The `default` user's password (the administrator's, as REDISCLI_AUTH in the pods). */
    readonly password: string;
    /** Every ACL user's password (`admin` is {@link password}). */
    readonly users: RedisUserPasswords;
    readonly master: string;
    /** Every Sentinel as `127.0.0.1:port`, space-separated (REDIS_SENTINELS). */
    sentinels(): string;
    /** redis-cli against a port with the password; the trimmed reply. */
    cli(port: number, ...args: string[]): Promise<string>;
    /** The port the first answering Sentinel names as the primary. */
    primaryPort(): Promise<number>;
    /** `SENTINEL MASTER` of every Sentinel as records. */
    sentinelStates(): Promise<Record<string, string>[]>;
    logOf(node: RedisLabNode, kind: "server" | "sentinel"): string;
    /** The environment ops/redis-start.sh gets for this node, as in its pod. */
    startEnv(node: RedisLabNode, auth?: RedisLabAuth): Record<string, string>;
    startServer(node: RedisLabNode, auth?: RedisLabAuth): void;
    startSentinel(node: RedisLabNode, extra?: Record<string, string>, auth?: RedisLabAuth): void;
    /** SIGKILL a process and wait until it is gone (its port is free again). */
    kill(child: ChildProcess | undefined): Promise<void>;
    stop(): Promise<void>;
}

/**
 * How the servers and Sentinels authenticate: `users`, the component's ACL users (today's
 * pods); `password`, one password for everything (requirepass and masterauth, Sentinel's
 * auth-pass: the pods before the ACL users, for the upgrade test).
 */
export type RedisLabAuth = "users" | "password";

export interface RedisLabOptions {
    readonly nodes?: number;
    /** @default "users" */
    readonly auth?: RedisLabAuth;
    readonly password?: string;
    /** Extra environment of every Sentinel (e.g. SENTINEL_FAILOVER_TIMEOUT_MS). */
    readonly sentinelEnv?: Record<string, string>;
}

/** `SENTINEL MASTER mcp-cache` (and similar) as a record of its flat field list. */
export function fields(reply: string): Record<string, string> {
    const lines = reply.split("\n");
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < lines.length; i += 2) record[lines[i]] = lines[i + 1];
    return record;
}

/** Poll `probe` every 200 ms until it returns a value; throw after `seconds`. */
export async function until<T>(
    what: string,
    seconds: number,
    probe: () => Promise<T | undefined>,
): Promise<T> {
    const deadline = Date.now() + seconds * 1000;
    let last: unknown;
    while (Date.now() < deadline) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (error) {
            last = error;
        }
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out after ${seconds} s waiting for ${what} ${last ? String(last) : ""}`);
}

/** Start the servers (redis-0 first, the initial primary) and the Sentinels; wait until they agree. */
export async function startRedisLab(options: RedisLabOptions = {}): Promise<RedisLab> {
    const count = options.nodes ?? 3;
    const password = options.password ?? "lab-pass";
    const users: RedisUserPasswords = {
        admin: password,
        app: `${password}-app`,
        backup: `${password}-backup`,
        replication: `${password}-replication`,
        sentinel: `${password}-sentinel`,
        proxy: `${password}-proxy`,
        exporter: `${password}-exporter`,
    };
    const master = "mcp-cache";
    const nodes: RedisLabNode[] = [];
    const authDir = tempDir("redis-auth");
    fs.writeFileSync(path.join(authDir, "redis-auth.conf"), redisAuthConfig(users));
    fs.writeFileSync(path.join(authDir, "sentinel-users.conf"), sentinelUsersConfig(users));
    for (let index = 0; index < count; index++) {
        const dir = tempDir(`redis-${index}`);
        fs.mkdirSync(path.join(dir, "sentinel"));
        nodes.push({ index, port: await freePort(), sentinelPort: await freePort(), dir });
    }
    const sentinels = () => nodes.map((n) => `127.0.0.1:${n.sentinelPort}`).join(" ");
    const cli = async (port: number, ...args: string[]) => {
        const result = await run("redis-cli", ["--no-auth-warning", "-p", String(port), ...args], {
            env: { REDISCLI_AUTH: password },
            timeoutMs: 10_000,
        });
        return result.stdout.trim();
    };
    const logOf = (node: RedisLabNode, kind: string) => path.join(node.dir, `${kind}.log`);
    const defaultAuth = options.auth ?? "users";
    const startEnv = (node: RedisLabNode, auth = defaultAuth): Record<string, string> => ({
        PATH: scriptPath(),
        REDIS_SELF: `127.0.0.1:${node.port}`,
        REDIS_INITIAL_PRIMARY: `127.0.0.1:${nodes[0].port}`,
        REDIS_SENTINELS: sentinels(),
        REDIS_SENTINEL_MASTER: master,
        REDISCLI_AUTH: password,
        ...(auth === "users"
            ? {
                  REDIS_SERVERS: nodes.map((n) => `127.0.0.1:${n.port}`).join(" "),
                  REDIS_USERS_FILE: path.join(authDir, "redis-auth.conf"),
              }
            : {}),
    });
    const startServer = (node: RedisLabNode, auth = defaultAuth) => {
        const base = path.join(node.dir, "redis.conf");
        fs.writeFileSync(
            base,
            [
                "bind 127.0.0.1",
                `port ${node.port}`,
                `dir ${node.dir}`,
                "appendonly yes",
                "appendfsync everysec",
                "repl-diskless-sync-delay 0",
                ...(auth === "users"
                    ? [`include ${path.join(authDir, "redis-auth.conf")}`]
                    : [`requirepass ${password}`, `masterauth ${password}`]),
                "",
            ].join("\n"),
        );
        const out = fs.openSync(logOf(node, "server"), "a");
        node.server = spawn("bash", [path.join(opsDir, "redis-start.sh"), "server"], {
            env: {
                ...startEnv(node, auth),
                REDIS_BASE_CONFIG: base,
                REDIS_RUN_CONFIG: path.join(node.dir, "run.conf"),
            },
            stdio: ["ignore", out, out],
        });
    };
    const startSentinel = (
        node: RedisLabNode,
        extra: Record<string, string> = {},
        auth = defaultAuth,
    ) => {
        const out = fs.openSync(logOf(node, "sentinel"), "a");
        node.sentinel = spawn("bash", [path.join(opsDir, "redis-start.sh"), "sentinel"], {
            env: {
                ...startEnv(node, auth),
                SENTINEL_PORT: String(node.sentinelPort),
                SENTINEL_BIND: "127.0.0.1",
                SENTINEL_CONFIG: path.join(node.dir, "sentinel", "sentinel.conf"),
                ...(auth === "users"
                    ? { SENTINEL_USERS_FILE: path.join(authDir, "sentinel-users.conf") }
                    : {}),
                ...options.sentinelEnv,
                ...extra,
            },
            stdio: ["ignore", out, out],
        });
    };
    const kill = (child: ChildProcess | undefined) =>
        new Promise<void>((resolve) => {
            if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
        });
    const lab: RedisLab = {
        nodes,
        password,
        users,
        master,
        sentinels,
        cli,
        logOf,
        startEnv,
        startServer,
        startSentinel,
        kill,
        async primaryPort() {
            for (const node of nodes) {
                const reply = await cli(
                    node.sentinelPort,
                    "sentinel",
                    "get-master-addr-by-name",
                    master,
                );
                const port = Number(reply.split("\n")[1]);
                if (Number.isInteger(port) && port > 0) return port;
            }
            throw new Error("no Sentinel names a primary");
        },
        async sentinelStates() {
            const states: Record<string, string>[] = [];
            for (const node of nodes) {
                states.push(fields(await cli(node.sentinelPort, "sentinel", "master", master)));
            }
            return states;
        },
        async stop() {
            for (const node of nodes) {
                await kill(node.sentinel);
                await kill(node.server);
            }
        },
    };
    // redis-0 first: no Sentinel answers yet, so it is the initial primary; then the others.
    startServer(nodes[0]);
    await until("redis-0 to answer", 30, async () =>
        (await cli(nodes[0].port, "ping")) === "PONG" ? true : undefined,
    );
    for (const node of nodes.slice(1)) startServer(node);
    for (const node of nodes) startSentinel(node);
    await until("the Sentinels to see every replica and each other", 120, async () => {
        for (const state of await lab.sentinelStates()) {
            if (
                state["num-slaves"] !== String(count - 1) ||
                state["num-other-sentinels"] !== String(count - 1)
            ) {
                return undefined;
            }
        }
        return true;
    });
    return lab;
}
