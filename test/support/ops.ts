import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { freePort } from "./free-port";
import { pgBin, psqlArgs } from "./postgres-cli";
export { freePort };

/**
 * Real servers for the ops/ script tests, on loopback, in temporary directories: PostgreSQL 15
 * and Redis from Debian's packages, s3rver as the S3 endpoint, and the AWS CLI. A missing tool
 * fails the test with the command that installs it (tests never skip).
 */

export const projectDir = path.resolve(__dirname, "../..");
export const opsDir = path.join(projectDir, "ops");
export { pgBin };
const installHint =
    "apt-get install -y --no-install-recommends postgresql redis-server redis-sentinel haproxy prometheus-redis-exporter awscli shellcheck";

/** Scripts run as this user when the tests run as root (initdb refuses root). */
const isRoot = process.getuid?.() === 0;

function found(command: string, args: string[] = ["--version"]): boolean {
    const probe = spawnSync(command, args, { encoding: "utf8" });
    return !probe.error && probe.status === 0;
}

/** The AWS CLI to use: Debian's /usr/bin/aws when present, else the one on PATH. */
export function awsCliDir(): string {
    if (fs.existsSync("/usr/bin/aws") && found("/usr/bin/aws")) return "/usr/bin";
    const which = spawnSync("sh", ["-c", "command -v aws"], { encoding: "utf8" });
    if (which.status === 0 && found(which.stdout.trim())) return path.dirname(which.stdout.trim());
    throw new Error(`the AWS CLI is required for this test: ${installHint}`);
}

export function requireTools(
    ...tools: (
        "postgres" | "redis" | "sentinel" | "haproxy" | "redis-exporter" | "aws" | "shellcheck"
    )[]
): void {
    for (const tool of tools) {
        const ok =
            tool === "postgres"
                ? fs.existsSync(path.join(pgBin, "initdb")) && found(path.join(pgBin, "pg_ctl"))
                : tool === "redis"
                  ? found("redis-server") && found("redis-cli")
                  : tool === "sentinel"
                    ? found("redis-sentinel")
                    : tool === "shellcheck"
                      ? found("shellcheck")
                      : tool === "haproxy"
                        ? found("haproxy", ["-v"])
                        : tool === "redis-exporter"
                          ? found("prometheus-redis-exporter", ["--version"])
                          : awsCliDir() !== "";
        if (!ok) throw new Error(`${tool} is required for this test: ${installHint}`);
    }
}

/** A fresh temporary directory any user can write (scripts may run as `postgres`). */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    fs.chmodSync(dir, 0o777);
    return dir;
}

export interface RunResult {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
    /** Every stdout and stderr line parsed as JSON (throws if one is not). */
    logLines(): Record<string, unknown>[];
}

export interface RunOptions {
    readonly env?: Record<string, string | undefined>;
    /** Run as the unprivileged `postgres` user when the tests run as root. @default false */
    readonly unprivileged?: boolean;
    readonly input?: string;
    readonly timeoutMs?: number;
    /** @default the system's temporary directory */
    readonly cwd?: string;
}

/** Runs a command asynchronously (in-process servers keep answering meanwhile). */
export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    const env = Object.fromEntries(
        Object.entries({ ...process.env, ...options.env }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>;
    let file = command;
    let argv = args;
    if (options.unprivileged && isRoot) {
        // runuser resets nothing we pass through `env`.
        file = "runuser";
        argv = [
            "-u",
            "postgres",
            "--",
            "env",
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
            command,
            ...args,
        ];
    }
    return new Promise((resolve, reject) => {
        const child = spawn(file, argv, { env, cwd: options.cwd ?? os.tmpdir() });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({
                status: code ?? -1,
                stdout,
                stderr,
                logLines: () =>
                    [...stdout.split("\n"), ...stderr.split("\n")]
                        .filter((l) => l.trim() !== "")
                        .map((l) => {
                            try {
                                return JSON.parse(l) as Record<string, unknown>;
                            } catch {
                                throw new Error(`not a JSON log line: ${l}`);
                            }
                        }),
            });
        });
        if (options.input !== undefined) child.stdin.end(options.input);
        else child.stdin.end();
    });
}

let readableOps: string | undefined;
/**
 * ops/ as the unprivileged user can read it: the checkout may live where only root may look
 * (a CI home directory), so scripts run as `postgres` come from a world-readable copy.
 */
function opsCopy(): string {
    if (readableOps === undefined) {
        readableOps = tempDir("ops");
        for (const file of fs.readdirSync(opsDir)) {
            fs.copyFileSync(path.join(opsDir, file), path.join(readableOps, file));
            fs.chmodSync(path.join(readableOps, file), 0o755);
        }
    }
    return readableOps;
}

/** Runs an ops/ script with bash. */
export function runScript(
    script: string,
    args: string[],
    options: RunOptions = {},
): Promise<RunResult> {
    const dir = options.unprivileged && isRoot ? opsCopy() : opsDir;
    return run("bash", [path.join(dir, script), ...args], options);
}

/** PATH for the scripts: PostgreSQL 15's binaries and the AWS CLI first. */
export function scriptPath(): string {
    return [pgBin, awsCliDir(), "/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"].join(
        ":",
    );
}

// --- S3 ---------------------------------------------------------------------------------------

export interface S3Server {
    readonly endpoint: string;
    readonly bucket: string;
    /** Environment for the scripts: credentials, endpoint, bucket. */
    readonly env: Record<string, string>;
    put(key: string, body: Buffer | string): Promise<void>;
    get(key: string): Promise<Buffer>;
    /** Keys under a prefix. */
    list(prefix: string): Promise<string[]>;
    close(): Promise<void>;
}

export async function startS3(bucket = "mcp-platform-backups-test"): Promise<S3Server> {
    const S3rver = (await import("s3rver" as string)).default;
    const instance = new S3rver({
        address: "127.0.0.1",
        port: 0,
        silent: true,
        directory: tempDir("s3rver"),
        configureBuckets: [{ name: bucket }],
    });
    const address = (await instance.run()) as AddressInfo;
    const endpoint = `http://127.0.0.1:${address.port}`;
    const url = (key: string) => `${endpoint}/${bucket}/${key}`;
    return {
        endpoint,
        bucket,
        env: {
            AWS_ACCESS_KEY_ID: "S3RVER",
            AWS_SECRET_ACCESS_KEY: "S3RVER",
            AWS_DEFAULT_REGION: "us-east-1",
            AWS_EC2_METADATA_DISABLED: "true",
            AWS_CONFIG_FILE: "/dev/null",
            AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
            AWS_MAX_ATTEMPTS: "2",
            AWS_RETRY_MODE: "standard",
            S3_ENDPOINT_URL: endpoint,
            BACKUP_BUCKET: bucket,
        },
        async put(key, body) {
            const response = await fetch(url(key), { method: "PUT", body });
            if (response.status !== 200) throw new Error(`PUT ${key}: ${response.status}`);
        },
        async get(key) {
            const response = await fetch(url(key));
            if (response.status !== 200) throw new Error(`GET ${key}: ${response.status}`);
            return Buffer.from(await response.arrayBuffer());
        },
        async list(prefix) {
            const response = await fetch(
                `${endpoint}/${bucket}?prefix=${encodeURIComponent(prefix)}`,
            );
            const xml = await response.text();
            return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
        },
        close: () => instance.close(),
    };
}

// --- PostgreSQL -------------------------------------------------------------------------------

export interface PostgresServer {
    readonly port: number;
    readonly dataDir: string;
    readonly socketDir: string;
    /** libpq variables reaching the server over TCP as `user`. */
    env(user?: string, database?: string): Record<string, string>;
    /** psql -At as the superuser over the socket; throws on error. */
    sql(query: string, database?: string): Promise<string>;
    stop(): Promise<void>;
}

async function asPostgres(command: string, args: string[], env: Record<string, string> = {}) {
    const result = await run(path.join(pgBin, command), args, { env, unprivileged: true });
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
    }
    return result;
}

export interface PostgresOptions {
    /** pg_hba.conf contents. @default trust for everything on loopback */
    readonly hba?: string;
    /** Extra server settings (`-c name=value`). */
    readonly settings?: readonly string[];
    /** An existing data directory (a replica's clone) instead of initdb. */
    readonly dataDir?: string;
    /** Environment of the server process (e.g. PGPASSWORD for a standby's walreceiver). */
    readonly serverEnv?: Record<string, string>;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
    const root = tempDir("pg");
    const dataDir = options.dataDir ?? path.join(root, "data");
    const socketDir = path.join(root, "sock");
    fs.mkdirSync(socketDir, { mode: 0o777 });
    fs.chmodSync(socketDir, 0o777);
    if (!options.dataDir) {
        await asPostgres("initdb", [
            "-D",
            dataDir,
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]);
    }
    if (options.hba !== undefined) {
        fs.writeFileSync(path.join(dataDir, "pg_hba.conf"), options.hba, { mode: 0o600 });
        if (isRoot) spawnSync("chown", ["postgres", path.join(dataDir, "pg_hba.conf")]);
    }
    const port = await freePort();
    const serverOptions = [
        `-p ${port}`,
        "-c listen_addresses=127.0.0.1",
        `-c unix_socket_directories=${socketDir}`,
        "-c fsync=off",
        "-c full_page_writes=off",
        ...(options.settings ?? []).map((s) => `-c ${s}`),
    ].join(" ");
    await asPostgres(
        "pg_ctl",
        [
            "-D",
            dataDir,
            "-l",
            path.join(root, "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            serverOptions,
            "start",
        ],
        options.serverEnv,
    );
    const server: PostgresServer = {
        port,
        dataDir,
        socketDir,
        env: (user = "postgres", database = "postgres") => ({
            PGHOST: "127.0.0.1",
            PGPORT: String(port),
            PGUSER: user,
            PGDATABASE: database,
        }),
        async sql(query, database = "postgres") {
            const result = await run(
                path.join(pgBin, "psql"),
                psqlArgs(socketDir, port, database),
                { input: query },
            );
            if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
            return result.stdout.trim();
        },
        async stop() {
            await run(
                path.join(pgBin, "pg_ctl"),
                ["-D", dataDir, "-m", "immediate", "-w", "stop"],
                {
                    unprivileged: true,
                },
            );
        },
    };
    return server;
}

// --- Redis ------------------------------------------------------------------------------------

export interface RedisServer {
    readonly port: number;
    readonly dir: string;
    /** redis-cli with the password; returns the trimmed reply. */
    cli(...args: string[]): Promise<string>;
    stop(): Promise<void>;
    /** SHUTDOWN SAVE and start again on the same directory and port. */
    restart(): Promise<void>;
}

export async function startRedis(password: string, extra: string[] = []): Promise<RedisServer> {
    const dir = tempDir("redis");
    const port = await freePort();
    const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--requirepass",
        password,
        "--appendonly",
        "yes",
        "--repl-diskless-sync-delay",
        "0",
        "--daemonize",
        "yes",
        "--pidfile",
        path.join(dir, "redis.pid"),
        "--logfile",
        path.join(dir, "redis.log"),
        ...extra,
    ];
    const cli = async (...cmd: string[]) => {
        const result = await run("redis-cli", ["--no-auth-warning", "-p", String(port), ...cmd], {
            env: { REDISCLI_AUTH: password },
        });
        if (result.status !== 0) throw new Error(`redis-cli ${cmd.join(" ")}: ${result.stderr}`);
        return result.stdout.replace(/\n$/, "");
    };
    const start = async () => {
        const started = await run("redis-server", args);
        if (started.status !== 0) throw new Error(`redis-server failed: ${started.stderr}`);
        for (let i = 0; i < 100; i++) {
            if ((await cli("ping").catch(() => "")) === "PONG") return;
            await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(
            `redis-server did not start: ${fs.readFileSync(path.join(dir, "redis.log"), "utf8")}`,
        );
    };
    await start();
    const stop = async (mode: "nosave" | "save") => {
        await cli("shutdown", mode).catch(() => "");
        for (let i = 0; i < 100 && fs.existsSync(path.join(dir, "redis.pid")); i++) {
            await new Promise((r) => setTimeout(r, 50));
        }
    };
    return {
        port,
        dir,
        cli,
        stop: () => stop("nosave"),
        async restart() {
            await stop("save");
            await start();
        },
    };
}
