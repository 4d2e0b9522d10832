import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./free-port";
import { pgBin, psqlArgs } from "./postgres-cli";

/**
 * A loopback copy of the Postgres DR path (docs/dr.md): an S3 server (s3rver) holding the WAL
 * archive, a PostgreSQL 15 primary archiving into it through ops/wal-archive.sh, and a standby
 * restored from its base backup by ops/postgres-start.sh that replays the archive through
 * ops/wal-restore.sh — the same scripts and the same barman-cloud tools the pods run. Used by
 * `npm run bench:dr` and by the tests in test/ops/wal-*.test.ts.
 */

const projectDir = path.resolve(__dirname, "../..");
export { pgBin };
const installHint =
    "apt-get install -y --no-install-recommends postgresql-15 barman-cli-cloud python3-boto3";
const isRoot = process.getuid?.() === 0;
const bucket = "mcp-platform-backups-dr-lab";

/** Fails with the install command when a tool of the lab is missing. */
export function requireLabTools(): void {
    for (const tool of [
        path.join(pgBin, "initdb"),
        "barman-cloud-wal-archive",
        "barman-cloud-backup",
        "python3",
    ]) {
        const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
        if (probe.error || probe.status !== 0) {
            throw new Error(`${path.basename(tool)} is required: ${installHint}`);
        }
    }
}

function tempDir(root: string, name: string): string {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    return dir;
}

export interface Result {
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs a command as `postgres` when we are root (PostgreSQL refuses root). */
export function runAs(
    command: string,
    args: string[],
    env: Record<string, string>,
    timeoutMs = 600_000,
): Promise<Result> {
    const fullEnv = { ...(process.env as Record<string, string>), ...env };
    const [file, argv] = isRoot
        ? [
              "/usr/sbin/runuser",
              [
                  "-u",
                  "postgres",
                  "--",
                  "env",
                  ...Object.entries(fullEnv).map(([k, v]) => `${k}=${v}`),
                  command,
                  ...args,
              ],
          ]
        : [command, args];
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

async function must(what: string, result: Promise<Result>): Promise<Result> {
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

export interface WalLab {
    readonly root: string;
    /** The ops/ scripts, copied where the `postgres` user can read them. */
    readonly opsDir: string;
    readonly archiveUrl: string;
    /** Environment of the scripts and servers: AWS credentials, endpoint, archive. */
    readonly env: Record<string, string>;
    readonly primary: LabServer;
    /** Object keys of the archive under a prefix (relative to the bucket). */
    listArchive(prefix?: string): Promise<string[]>;
    /** Path on disk of an archived object (s3rver's file store), to damage it in tests. */
    objectFile(key: string): string;
    /** Runs an ops/ script as `postgres` with the lab's environment plus `env`. */
    script(name: string, args: string[], env?: Record<string, string>): Promise<Result>;
    /**
     * Starts a standby with ops/postgres-start.sh (base backup + standby.signal) replaying
     * `sourceUrl` (default: the primary's archive); once promoted it archives to
     * `archiveUrl` (default: `<archive>-promoted`).
     */
    startStandby(options?: {
        sourceUrl?: string;
        archiveUrl?: string;
        /** More environment for postgres-start.sh (e.g. WAL_STANDBY=false: a new cluster). */
        env?: Record<string, string>;
    }): Promise<LabServer>;
    /** The S3 endpoint and bucket, to put or delete archive objects in tests. */
    readonly endpoint: string;
    readonly bucket: string;
    /** SIGKILL to the primary's postmaster and every child: a crash without warning. */
    killPrimary(): void;
    close(): Promise<void>;
}

export interface WalLabOptions {
    /** archive_timeout of the primary in seconds (production: data.postgres.archiveTimeoutSeconds). */
    readonly archiveTimeoutSeconds: number;
}

function serverOf(port: number, dataDir: string, socketDir: string): LabServer {
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

/** Server settings both servers share (the lab's stand-ins for the pods' settings). */
function commonSettings(port: number, socketDir: string): string[] {
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

async function waitReady(server: LabServer, process: ChildProcess | undefined, log: string) {
    for (let i = 0; i < 1200; i++) {
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

export async function startWalLab(options: WalLabOptions): Promise<WalLab> {
    requireLabTools();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "wal-lab-"));
    fs.chmodSync(root, 0o777);
    const opsDir = tempDir(root, "ops");
    for (const file of fs.readdirSync(path.join(projectDir, "ops"))) {
        fs.copyFileSync(path.join(projectDir, "ops", file), path.join(opsDir, file));
        fs.chmodSync(path.join(opsDir, file), 0o755);
    }
    const S3rver = (await import("s3rver" as string)).default;
    const s3Dir = tempDir(root, "s3");
    const s3 = new S3rver({
        address: "127.0.0.1",
        port: 0,
        silent: true,
        directory: s3Dir,
        configureBuckets: [{ name: bucket }],
    });
    const endpoint = `http://127.0.0.1:${((await s3.run()) as AddressInfo).port}`;
    const archiveUrl = `s3://${bucket}/wal`;
    const env: Record<string, string> = {
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        S3_ENDPOINT_URL: endpoint,
        WAL_ARCHIVE_URL: archiveUrl,
        WAL_SERVER_NAME: "postgres-primary",
        PATH: `${pgBin}:/usr/local/bin:/usr/bin:/bin`,
        TMPDIR: tempDir(root, "tmp"),
    };
    const socketDir = tempDir(root, "sock");
    const script = (name: string, args: string[], extra: Record<string, string> = {}) =>
        runAs("bash", [path.join(opsDir, name), ...args], { ...env, ...extra });

    // The primary: a fresh cluster archiving every segment (and every archive_timeout).
    const primaryData = path.join(tempDir(root, "primary"), "data");
    await must(
        "initdb",
        runAs(
            path.join(pgBin, "initdb"),
            ["-D", primaryData, "-U", "postgres", "--auth=trust", "--no-sync", "--no-instructions"],
            env,
        ),
    );
    const primaryPort = await freePort();
    const primaryLog = path.join(root, "primary.log");
    await must(
        "pg_ctl start (primary)",
        runAs(
            path.join(pgBin, "pg_ctl"),
            [
                "-D",
                primaryData,
                "-l",
                primaryLog,
                "-w",
                "-o",
                [
                    ...commonSettings(primaryPort, socketDir),
                    "-c archive_mode=on",
                    `-c archive_timeout=${options.archiveTimeoutSeconds}`,
                    `-c "archive_command=bash ${opsDir}/wal-archive.sh %p"`,
                ].join(" "),
                "start",
            ],
            env,
        ),
    );
    const primary = serverOf(primaryPort, primaryData, socketDir);
    const children: ChildProcess[] = [];

    const listArchive = async (prefix = "wal/") => {
        const keys: string[] = [];
        let marker = "";
        for (;;) {
            const response = await fetch(
                `${endpoint}/${bucket}?prefix=${encodeURIComponent(prefix)}&marker=${encodeURIComponent(marker)}`,
            );
            const xml = await response.text();
            const page = [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
            keys.push(...page);
            if (!xml.includes("<IsTruncated>true</IsTruncated>") || page.length === 0) return keys;
            marker = page[page.length - 1];
        }
    };

    return {
        root,
        opsDir,
        archiveUrl,
        env,
        primary,
        listArchive,
        objectFile: (key) => path.join(s3Dir, bucket, `${key}._S3rver_object`),
        script,
        endpoint,
        bucket,
        async startStandby(urls = {}) {
            const sourceUrl = urls.sourceUrl ?? archiveUrl;
            const ownArchive = urls.archiveUrl ?? `${archiveUrl}-promoted`;
            const dataDir = path.join(tempDir(root, `standby-${children.length}`), "data");
            const port = await freePort();
            const log = path.join(root, `standby-${children.length}.log`);
            const out = fs.openSync(log, "a");
            const argv = [
                path.join(opsDir, "postgres-start.sh"),
                "postgres",
                ...commonSettings(port, socketDir),
                "-c",
                `restore_command=bash ${opsDir}/wal-restore.sh %f %p`,
                // Once promoted it archives to its own prefix, as the dr stack does.
                "-c",
                "archive_mode=on",
                "-c",
                `archive_command=bash ${opsDir}/wal-archive.sh %p`,
            ];
            const fullEnv = {
                ...(process.env as Record<string, string>),
                ...env,
                PGDATA: dataDir,
                WAL_STANDBY: "true",
                WAL_SOURCE_URL: sourceUrl,
                WAL_ARCHIVE_URL: ownArchive,
                ...urls.env,
            };
            const [file, args] = isRoot
                ? [
                      "/usr/sbin/runuser",
                      [
                          "-u",
                          "postgres",
                          "--",
                          "env",
                          ...Object.entries(fullEnv).map(([k, v]) => `${k}=${v}`),
                          "bash",
                          ...argv,
                      ],
                  ]
                : ["bash", argv];
            const child = spawn(file, args as string[], {
                env: fullEnv,
                stdio: ["ignore", out, out],
            });
            children.push(child);
            const standby = serverOf(port, dataDir, socketDir);
            await waitReady(standby, child, log);
            return standby;
        },
        killPrimary() {
            const pid = Number(
                fs.readFileSync(path.join(primaryData, "postmaster.pid"), "utf8").split("\n")[0],
            );
            const kids = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], {
                encoding: "utf8",
            })
                .stdout.split("\n")
                .map((l) => Number(l.trim()))
                .filter((n) => n > 0);
            for (const target of [pid, ...kids]) {
                try {
                    process.kill(target, "SIGKILL");
                } catch {
                    // already gone
                }
            }
        },
        async close() {
            for (const dir of [
                primaryData,
                ...children.map((_, i) => path.join(root, `standby-${i}`, "data")),
            ]) {
                if (fs.existsSync(path.join(dir, "postmaster.pid"))) {
                    await runAs(
                        path.join(pgBin, "pg_ctl"),
                        ["-D", dir, "-m", "immediate", "-w", "stop"],
                        env,
                    );
                }
            }
            for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
            await s3.close();
            fs.rmSync(root, { recursive: true, force: true });
        },
    };
}
