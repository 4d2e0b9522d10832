import { spawn } from "node:child_process";
import * as path from "node:path";
import { pgBin, runAs, startWalLab, type WalLab } from "../../test/support/wal-lab";

/**
 * One run of the Postgres DR measurement (`npm run bench:dr`, docs/dr.md): load a database of
 * the given size, take a base backup, start a standby from the archive, write continuously,
 * kill the primary with SIGKILL at a random moment, promote the standby with
 * ops/wal-promote.sh and compare what the client saw committed with what survived.
 */

export interface DrRunOptions {
    /** Approximate database size to load before the measurement, in MB. */
    readonly sizeMb: number;
    readonly archiveTimeoutSeconds: number;
    /** Seconds of continuous writes before the kill: uniformly random in [min, max]. */
    readonly writeSeconds: { readonly min: number; readonly max: number };
    /** Called with progress lines (stderr of the bench). */
    readonly progress?: (line: string) => void;
}

export interface DrRunResult {
    /** Seconds of commits lost: last acknowledged commit minus the newest surviving one. */
    readonly rpoSeconds: number;
    readonly rowsLost: number;
    readonly rowsCommitted: number;
    /** Seconds from the kill until the promoted standby accepted a write. */
    readonly rtoSeconds: number;
    /** pg_database_size of the database on the promoted server, bytes. */
    readonly dbBytes: number;
    /** Committed rows whose commit lies in an archived segment but are missing (must be 0). */
    readonly archivedRowsLost: number;
    /** End LSN (bytes) of the newest archived segment at the kill. */
    readonly archivedEndLsn: bigint;
    readonly killedAfterSeconds: number;
}

interface Ack {
    readonly id: number;
    readonly at: number;
    /** pg_current_wal_insert_lsn() after the commit: its commit record ends at or before it. */
    readonly lsn: bigint;
}

export function lsnBytes(lsn: string): bigint {
    const [high, low] = lsn.split("/");
    return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** End (exclusive) of the newest archived WAL segment, in bytes of WAL; 0 when none. */
export async function archivedEnd(lab: WalLab, prefix = "wal"): Promise<bigint> {
    const names = (await lab.listArchive(`${prefix}/postgres-primary/wals/`))
        .map((k) => k.split("/").pop() ?? "")
        .filter((n) => /^[0-9A-F]{24}\.gz$/.test(n))
        .map((n) => n.slice(8, 24))
        .sort();
    const newest = names.pop();
    if (newest === undefined) return 0n;
    const segment = (BigInt(`0x${newest.slice(0, 8)}`) << 8n) | BigInt(`0x${newest.slice(8)}`);
    return (segment + 1n) * 16n * 1024n * 1024n;
}

/** Loads rows into `bench_load` until the database holds `sizeMb` (not part of the measurement). */
export async function loadDatabase(lab: WalLab, sizeMb: number): Promise<void> {
    await lab.primary.sql(
        "CREATE TABLE bench_load (id bigint PRIMARY KEY, payload text NOT NULL);" +
            "CREATE TABLE bench_writes (id bigserial PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT clock_timestamp(), payload text NOT NULL);",
    );
    const target = sizeMb * 1024 * 1024;
    let next = 1;
    for (;;) {
        const size = Number(await lab.primary.sql("SELECT pg_database_size('postgres')"));
        if (size >= target) break;
        // ~130 bytes per row with its index; md5 text does not compress away.
        const rows = Math.max(1000, Math.min(500_000, Math.ceil((target - size) / 130)));
        await lab.primary.sql(
            `INSERT INTO bench_load SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(${next}, ${next + rows - 1}) g`,
        );
        next += rows;
    }
    await lab.primary.sql("CHECKPOINT");
}

/** A psql session that inserts one row per statement and reports each acknowledged commit. */
function startWriter(lab: WalLab, intervalMs: number) {
    const acks: Ack[] = [];
    const child = spawn(
        path.join(pgBin, "psql"),
        [
            "-X",
            "-q",
            "-At",
            "-h",
            "127.0.0.1",
            "-p",
            String(lab.primary.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ],
        { stdio: ["pipe", "pipe", "pipe"] },
    );
    let pending = "";
    let lastId = 0;
    child.stdout.on("data", (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
            if (/^\d+$/.test(line)) lastId = Number(line);
            else if (/^[0-9A-F]+\/[0-9A-F]+$/.test(line)) {
                acks.push({ id: lastId, at: Date.now(), lsn: lsnBytes(line) });
            }
        }
    });
    child.stderr.resume();
    child.stdin.on("error", () => undefined);
    const timer = setInterval(() => {
        if (child.stdin.writable) {
            child.stdin.write(
                "INSERT INTO bench_writes (payload) VALUES (md5(random()::text)) RETURNING id;\nSELECT pg_current_wal_insert_lsn();\n",
            );
        }
    }, intervalMs);
    return {
        acks,
        stop() {
            clearInterval(timer);
            child.kill("SIGKILL");
        },
    };
}

export async function runDr(options: DrRunOptions): Promise<DrRunResult> {
    const say = options.progress ?? (() => undefined);
    const lab = await startWalLab({ archiveTimeoutSeconds: options.archiveTimeoutSeconds });
    try {
        say(`loading ~${options.sizeMb} MB`);
        await loadDatabase(lab, options.sizeMb);
        say("base backup (ops/wal-base-backup.sh)");
        const backup = await lab.script("wal-base-backup.sh", [], {
            PGHOST: lab.primary.socketDir,
            PGPORT: String(lab.primary.port),
            PGUSER: "postgres",
        });
        if (backup.status !== 0) throw new Error(`wal-base-backup.sh failed: ${backup.stderr}`);
        say("standby from the archive (ops/postgres-start.sh)");
        const standby = await lab.startStandby();
        if ((await standby.sql("SELECT pg_is_in_recovery()")) !== "t") {
            throw new Error("the standby is not in recovery");
        }

        const writer = startWriter(lab, 20);
        const { min, max } = options.writeSeconds;
        const writeSeconds = min + Math.random() * (max - min);
        say(`writing for ${writeSeconds.toFixed(1)} s, then SIGKILL to the primary`);
        await new Promise((r) => setTimeout(r, writeSeconds * 1000));
        lab.killPrimary();
        const killedAt = Date.now();
        writer.stop();
        const acks = writer.acks.filter((a) => a.at <= killedAt);
        const endLsn = await archivedEnd(lab);

        say("promoting the standby (ops/wal-promote.sh)");
        const promote = await lab.script("wal-promote.sh", [], {
            PGHOST: standby.socketDir,
            PGPORT: String(standby.port),
            PGUSER: "postgres",
            PGDATABASE: "postgres",
            WAL_SOURCE_URL: lab.archiveUrl,
        });
        if (promote.status !== 0) {
            throw new Error(`wal-promote.sh failed: ${promote.stderr || promote.stdout}`);
        }
        await standby.sql("INSERT INTO bench_writes (payload) VALUES ('after promotion')");
        const rtoSeconds = (Date.now() - killedAt) / 1000;

        const surviving = new Set(
            (await standby.sql("SELECT id FROM bench_writes WHERE payload <> 'after promotion'"))
                .split("\n")
                .filter(Boolean)
                .map(Number),
        );
        const lost = acks.filter((a) => !surviving.has(a.id));
        const kept = acks.filter((a) => surviving.has(a.id));
        const lastAck = acks.length ? acks[acks.length - 1].at : killedAt;
        const newestKept = kept.length ? kept[kept.length - 1].at : killedAt - writeSeconds * 1000;
        const dbBytes = Number(await standby.sql("SELECT pg_database_size('postgres')"));
        await runAs(
            path.join(pgBin, "pg_ctl"),
            ["-D", standby.dataDir, "-m", "fast", "-w", "stop"],
            lab.env,
        );
        return {
            rpoSeconds: lost.length === 0 ? 0 : (lastAck - newestKept) / 1000,
            rowsLost: lost.length,
            rowsCommitted: acks.length,
            rtoSeconds,
            dbBytes,
            archivedRowsLost: lost.filter((a) => a.lsn <= endLsn).length,
            archivedEndLsn: endLsn,
            killedAfterSeconds: writeSeconds,
        };
    } finally {
        await lab.close();
    }
}

/** The bench's result line (docs/dr.md quotes it). */
export function resultLine(r: DrRunResult): string {
    const mb = r.dbBytes / (1024 * 1024);
    return `postgres DR: RPO ${r.rpoSeconds.toFixed(1)} s (rows lost ${r.rowsLost} of ${r.rowsCommitted}), RTO ${r.rtoSeconds.toFixed(1)} s, db ${mb.toFixed(0)} MB`;
}
