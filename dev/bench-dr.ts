/**
 * `npm run bench:dr`: Postgres DR by continuous WAL archiving, measured on loopback with real
 * PostgreSQL 15 and barman-cloud against an S3 server (s3rver): for each database size, a
 * primary archiving WAL, a standby replaying the archive, continuous writes, SIGKILL to the
 * primary at a random moment, promotion of the standby (ops/wal-promote.sh). One line per run:
 *
 *   postgres DR: RPO <s> s (rows lost <n> of <m>), RTO <s> s, db <size>
 *
 * RPO is the span of acknowledged commits that did not survive; RTO runs from the kill until
 * the promoted standby accepted a write. docs/dr.md ("RPO and RTO") explains the figures.
 * Options: see `usage` (`npm run bench:dr -- --help`).
 */
import { parseStrict, UsageError, usageErrorLine } from "../tools/lib/cli-args";
import { resultLine, runDr } from "./lib/wal-bench";

interface Options {
    sizesMb: number[];
    archiveTimeoutSeconds: number;
}

const usage = `usage: npm run bench:dr -- [options]

Kills a PostgreSQL primary that archives WAL to a loopback S3 server and promotes the standby
that replays the archive; prints one "postgres DR:" line per database size.

options:
  --sizes <mb,...>           database sizes to load, in MB (default: 30,300)
  --archive-timeout <s>      archive_timeout of the primary, 1-60 s (default: 30, as
                             data.postgres.archiveTimeoutSeconds in production)
  -h, --help                 print this help`;

function parseArgs(argv: string[]): Options | undefined {
    const { values } = parseStrict({
        args: argv,
        options: {
            sizes: { type: "string" },
            "archive-timeout": { type: "string" },
            help: { type: "boolean", short: "h" },
        },
        allowPositionals: false,
        strict: true,
    });
    if (values.help) return undefined;
    const sizesMb = (values.sizes ?? "30,300").split(",").map((s) => Number(s));
    if (sizesMb.some((n) => !Number.isInteger(n) || n < 1 || n > 100_000)) {
        throw new UsageError(
            `--sizes needs comma-separated sizes in MB such as 30,300 (got "${values.sizes}")`,
        );
    }
    const timeout = Number(values["archive-timeout"] ?? "30");
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60) {
        throw new UsageError(
            `--archive-timeout needs 1 to 60 seconds (got "${values["archive-timeout"]}")`,
        );
    }
    return { sizesMb, archiveTimeoutSeconds: timeout };
}

async function main(): Promise<void> {
    let options: Options | undefined;
    try {
        options = parseArgs(process.argv.slice(2));
    } catch (error) {
        if (error instanceof UsageError) {
            console.error(usageErrorLine("bench:dr", error));
            process.exit(2);
        }
        throw error;
    }
    if (options === undefined) {
        console.log(usage);
        return;
    }
    const started = Date.now();
    const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
    for (const sizeMb of options.sizesMb) {
        const result = await runDr({
            sizeMb,
            archiveTimeoutSeconds: options.archiveTimeoutSeconds,
            // At least one archive_timeout of writes, so the kill can fall anywhere in a cycle.
            writeSeconds: {
                min: options.archiveTimeoutSeconds,
                max: options.archiveTimeoutSeconds * 2,
            },
            progress: (line) => console.error(`[${elapsed()}, ${sizeMb} MB] ${line}`),
        });
        console.log(resultLine(result));
    }
}

main().catch((error: unknown) => {
    console.error(`bench:dr: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
});
