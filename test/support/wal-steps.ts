import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { archivedEnd, lsnBytes } from "../../dev/lib/wal-bench";
import { type LabServer, pgBin, runAs, type WalLab } from "./wal-lab";
import { asPostgres } from "./wal-lab-process";

/**
 * Steps the WAL archive tests and the e2e DR switch share: the operators' and the pods'
 * actions on a lab (test/support/wal-lab.ts).
 */

export const minutes = (n: number) => n * 60_000;

export async function waitFor<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    ms = minutes(3),
): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await probe().catch(() => undefined);
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 500));
    }
}

/** Closes the current segment and waits until the archive under `prefix` holds it. */
export async function switchAndArchive(
    lab: WalLab,
    server: LabServer = lab.primary,
    prefix = "wal",
): Promise<void> {
    const lsn = lsnBytes(await server.sql("SELECT pg_switch_wal()"));
    await waitFor("the segment in the archive", async () =>
        (await archivedEnd(lab, prefix)) >= lsn ? true : undefined,
    );
}

/** The PG* variables reaching a lab server as the superuser over its socket. */
export const pgEnv = (server: LabServer): Record<string, string> => ({
    PGHOST: server.socketDir,
    PGPORT: String(server.port),
    PGUSER: "postgres",
    PGDATABASE: "postgres",
});

/** ops/wal-promote.sh against `server`, replaying the lab's archive unless `env` says other. */
export function promote(lab: WalLab, server: LabServer, env: Record<string, string> = {}) {
    return lab.script("wal-promote.sh", [], {
        ...pgEnv(server),
        WAL_SOURCE_URL: lab.archiveUrl,
        ...env,
    });
}

/** One base backup of `server` (ops/wal-base-backup.sh), into the lab's archive by default. */
export async function baseBackup(
    lab: WalLab,
    server: LabServer,
    env: Record<string, string> = {},
): Promise<void> {
    const result = await lab.script("wal-base-backup.sh", [], { ...pgEnv(server), ...env });
    if (result.status !== 0 || result.stderr !== "") {
        throw new Error(`wal-base-backup.sh exited ${result.status}: ${result.stderr}`);
    }
}

/** Immediate shutdown of a lab server. */
export const stop = (lab: WalLab, server: LabServer) =>
    runAs(
        path.join(pgBin, "pg_ctl"),
        ["-D", server.dataDir, "-m", "immediate", "-w", "stop"],
        lab.env,
    );

/** Base backup ids of an archive (barman-cloud-backup-list), oldest first. */
export async function baseBackupIds(lab: WalLab, archiveUrl = lab.archiveUrl): Promise<string[]> {
    const listed = await runAs(
        "barman-cloud-backup-list",
        [
            "--endpoint-url",
            lab.env.S3_ENDPOINT_URL,
            "--format",
            "json",
            archiveUrl,
            "postgres-primary",
        ],
        lab.env,
    );
    if (listed.status !== 0) throw new Error(`backup-list failed: ${listed.stderr}`);
    return (
        JSON.parse(listed.stdout) as { backups_list: { backup_id: string; status: string }[] }
    ).backups_list
        .filter((b) => b.status === "DONE")
        .map((b) => b.backup_id)
        .sort();
}

/**
 * The `base-backup` sidecar of postgres-primary (ops/wal-base-backup.sh --loop 24) next to
 * `server`, checking every 2 s instead of 5 minutes.
 */
export function startSidecar(
    lab: WalLab,
    server: LabServer,
    env: Record<string, string> = {},
): { log(): string; stop(): void } {
    const logFile = path.join(lab.root, `sidecar-${server.port}.log`);
    const out = fs.openSync(logFile, "a");
    const fullEnv = {
        ...(process.env as Record<string, string>),
        ...lab.env,
        ...pgEnv(server),
        PGDATA: server.dataDir,
        WAL_LOOP_CHECK_SECONDS: "2",
        ...env,
    };
    const [file, args] = asPostgres(
        "bash",
        [path.join(lab.opsDir, "wal-base-backup.sh"), "--loop", "24"],
        fullEnv,
    );
    const child = spawn(file, args, { env: fullEnv, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    return {
        log: () => fs.readFileSync(logFile, "utf8"),
        stop: () => {
            // runuser forwards the signal to the loop.
            child.kill("SIGTERM");
        },
    };
}

/** Until the server's postmaster is gone (after a stop that was not waited for). */
export const stopped = (server: LabServer) =>
    waitFor("the server to stop", async () =>
        fs.existsSync(path.join(server.dataDir, "postmaster.pid")) ? undefined : true,
    );

/** The last JSON line of a script's stderr. */
export function lastError(stderr: string): Record<string, unknown> {
    return JSON.parse(stderr.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
}
