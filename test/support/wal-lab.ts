import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./free-port";
import { pgBin } from "./postgres-cli";
import {
    asPostgres,
    commonSettings,
    type LabServer,
    must,
    type Result,
    runAs,
    serverOf,
    tempDir,
    waitReady,
} from "./wal-lab-process";

export { type LabServer, runAs };

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
/** The lab's bucket unless the caller names one. */
const defaultBucket = "mcp-platform-backups-dr-lab";

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

/** A server started by ops/postgres-start.sh, as the postgres container runs it. */
export interface LabProcess {
    readonly server: LabServer;
    readonly child: ChildProcess;
    /** The heartbeat file postgres-start.sh touches while it prepares (postgres-probe.sh). */
    readonly preparingFile: string;
    /** Its stdout and stderr so far (the start script's JSON lines, then the server's log). */
    log(): string;
    /** The start script (or, after its exec, the server) is still running. */
    running(): boolean;
    /** Waits until the server accepts queries; throws when the process exits first. */
    ready(): Promise<LabServer>;
}

export interface StartOptions {
    /** The archive a standby restores from and replays. @default the primary's archive */
    readonly sourceUrl?: string;
    /** Where it archives (once promoted). @default `<archive>-promoted` */
    readonly archiveUrl?: string;
    /** More environment for postgres-start.sh (e.g. WAL_STANDBY=false: a new cluster). */
    readonly env?: Record<string, string>;
    /** Start on this data directory (a restart) instead of a new one. */
    readonly dataDir?: string;
    /** archive_mode, archive_command and restore_command as the pods set them. @default true */
    readonly archiving?: boolean;
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
     * `sourceUrl` (default: the primary's archive) and waits until it accepts queries; once
     * promoted it archives to `archiveUrl` (default: `<archive>-promoted`).
     */
    startStandby(options?: StartOptions): Promise<LabServer>;
    /** Starts ops/postgres-start.sh like the container does, without waiting for the server. */
    startServer(options?: StartOptions): Promise<LabProcess>;
    /** Stops the S3 server (the archive's region is unreachable) and starts it again. */
    stopS3(): Promise<void>;
    startS3(): Promise<void>;
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
    /** More environment of the primary's server, hence of its archive_command. */
    readonly primaryEnv?: Record<string, string>;
    /** The bucket of the archive (the e2e DR switch uses the dr stack's). @default a lab name */
    readonly bucket?: string;
}

export async function startWalLab(options: WalLabOptions): Promise<WalLab> {
    requireLabTools();
    const bucket = options.bucket ?? defaultBucket;
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "wal-lab-"));
    fs.chmodSync(root, 0o777);
    const opsDir = tempDir(root, "ops");
    for (const file of fs.readdirSync(path.join(projectDir, "ops"))) {
        fs.copyFileSync(path.join(projectDir, "ops", file), path.join(opsDir, file));
        fs.chmodSync(path.join(opsDir, file), 0o755);
    }
    const S3rver = (await import("s3rver" as string)).default;
    const s3Dir = tempDir(root, "s3");
    const newS3 = (port: number) =>
        new S3rver({
            address: "127.0.0.1",
            port,
            silent: true,
            directory: s3Dir,
            configureBuckets: [{ name: bucket }],
        });
    let s3 = newS3(0);
    const s3Port = ((await s3.run()) as AddressInfo).port;
    let s3Running = true;
    const endpoint = `http://127.0.0.1:${s3Port}`;
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
            { ...env, ...options.primaryEnv },
        ),
    );
    const primary = serverOf(primaryPort, primaryData, socketDir);
    const children: ChildProcess[] = [];
    const dataDirs = [primaryData];

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

    async function startServer(start: StartOptions = {}): Promise<LabProcess> {
        const index = children.length;
        const dataDir = start.dataDir ?? path.join(tempDir(root, `standby-${index}`), "data");
        dataDirs.push(dataDir);
        const port = await freePort();
        const logFile = path.join(root, `standby-${index}.log`);
        const preparingFile = path.join(root, `standby-${index}.preparing`);
        const out = fs.openSync(logFile, "a");
        const argv = [
            path.join(opsDir, "postgres-start.sh"),
            "postgres",
            ...commonSettings(port, socketDir),
            ...((start.archiving ?? true)
                ? [
                      "-c",
                      `restore_command=bash ${opsDir}/wal-restore.sh %f %p`,
                      // Once promoted it archives to its own prefix, as the dr stack does.
                      "-c",
                      "archive_mode=on",
                      "-c",
                      `archive_command=bash ${opsDir}/wal-archive.sh %p`,
                  ]
                : []),
        ];
        const fullEnv = {
            ...(process.env as Record<string, string>),
            ...env,
            PGDATA: dataDir,
            WAL_STANDBY: "true",
            WAL_SOURCE_URL: start.sourceUrl ?? archiveUrl,
            WAL_ARCHIVE_URL: start.archiveUrl ?? `${archiveUrl}-promoted`,
            POSTGRES_PREPARING_FILE: preparingFile,
            ...start.env,
        };
        const [file, args] = asPostgres("bash", argv, fullEnv);
        const child = spawn(file, args, { env: fullEnv, stdio: ["ignore", out, out] });
        fs.closeSync(out);
        children.push(child);
        const server = serverOf(port, dataDir, socketDir);
        return {
            server,
            child,
            preparingFile,
            log: () => fs.readFileSync(logFile, "utf8"),
            running: () => child.exitCode === null && child.signalCode === null,
            async ready() {
                await waitReady(server, child, logFile);
                return server;
            },
        };
    }

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
        startServer,
        async startStandby(startOptions = {}) {
            return (await startServer(startOptions)).ready();
        },
        async stopS3() {
            if (s3Running) await s3.close();
            s3Running = false;
        },
        async startS3() {
            if (s3Running) return;
            s3 = newS3(s3Port);
            await s3.run();
            s3Running = true;
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
            for (const dir of new Set(dataDirs)) {
                if (fs.existsSync(path.join(dir, "postmaster.pid"))) {
                    await runAs(
                        path.join(pgBin, "pg_ctl"),
                        ["-D", dir, "-m", "immediate", "-w", "stop"],
                        env,
                    );
                }
            }
            for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
            if (s3Running) await s3.close();
            fs.rmSync(root, { recursive: true, force: true });
        },
    };
}
