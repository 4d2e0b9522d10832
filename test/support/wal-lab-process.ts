import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pgBin, psqlArgs } from "./postgres-cli";

/**
 * Processes of the WAL lab (wal-lab.ts): commands run as the `postgres` user when we are root
 * (PostgreSQL refuses root), the lab's servers reached over their Unix socket, and the wait
 * for a server to accept connections.
 */

const isRoot = process.getuid?.() === 0;

export interface Result {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** A directory any user may write (the lab's scripts run as `postgres`). */
export function tempDir(root: string, name: string): string {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    return dir;
}

/** `[file, argv]` that runs `command args` as `postgres` when we are root, with `env`. */
export function asPostgres(
    command: string,
    args: string[],
    env: Record<string, string>,
): [string, string[]] {
    if (!isRoot) return [command, args];
    return [
        "/usr/sbin/runuser",
        [
            "-u",
            "postgres",
            "--",
            "env",
            ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
            command,
            ...args,
        ],
    ];
}

/** Runs a command as `postgres` when we are root (PostgreSQL refuses root). */
export function runAs(
    command: string,
    args: string[],
    env: Record<string, string>,
    timeoutMs = 600_000,
): Promise<Result> {
    const fullEnv = { ...(process.env as Record<string, string>), ...env };
    const [file, argv] = asPostgres(command, args, fullEnv);
    return new Promise((resolve, reject) => {
        const child = spawn(file, argv, { env: fullEnv, cwd: os.tmpdir() });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ status: code ?? -1, stdout, stderr });
        });
        child.stdin.end();
    });
}

export async function must(what: string, result: Promise<Result>): Promise<Result> {
    const r = await result;
    if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r;
}

export interface LabServer {
    readonly port: number;
    readonly dataDir: string;
    readonly socketDir: string;
    /** psql -At as the superuser; throws on error. */
    sql(query: string): Promise<string>;
}

export function serverOf(port: number, dataDir: string, socketDir: string): LabServer {
    return {
        port,
        dataDir,
        socketDir,
        async sql(query) {
            const r = await must(
                "psql",
                runAs(path.join(pgBin, "psql"), [...psqlArgs(socketDir, port), "-c", query], {}),
            );
            return r.stdout.trim();
        },
    };
}

/** Server settings every lab server shares (the lab's stand-ins for the pods' settings). */
export function commonSettings(port: number, socketDir: string): string[] {
    return [
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${socketDir}`,
        "-c",
        "wal_level=replica",
        "-c",
        "max_wal_senders=4",
    ];
}

/** Waits until the server accepts queries; fails with its log when its process exits. */
export async function waitReady(
    server: LabServer,
    process: ChildProcess | undefined,
    log: string,
    attempts = 1200,
): Promise<void> {
    for (let i = 0; i < attempts; i++) {
        if (process && process.exitCode !== null) {
            throw new Error(
                `postgres exited (${process.exitCode}): ${fs.readFileSync(log, "utf8").slice(-3000)}`,
            );
        }
        if ((await server.sql("SELECT 1").catch(() => "")) === "1") return;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`postgres did not start: ${fs.readFileSync(log, "utf8").slice(-3000)}`);
}
