/**
 * Where backups live in the backup bucket and when they are stale: shared by the backup
 * CronJobs, the alert catalog, `mcp backup` and the DR procedure (docs/data.md).
 */
import { longestGapSeconds } from "./cron";
import { parseDuration } from "./durations";
import { type BackupPrefix, backupRootOfStandby } from "./names";

/** Where a stack's own backups of one kind go: `postgres` (no root) or `dr/postgres`. */
export function ownBackupPrefix(kind: BackupPrefix, root?: string): string {
    return root === undefined ? kind : `${root}/${kind}`;
}

/** The pointer object the postgres-backup CronJob writes after every successful dump. */
export const latestPointerKey = `${ownBackupPrefix("postgres")}/latest.json`;

/**
 * The pointer the dr stack's own postgres-backup writes once activated, under its own root,
 * so production's replication never overwrites it. Failback reads the final DR backup here.
 */
export const drPointerKey = `${ownBackupPrefix("postgres", backupRootOfStandby)}/latest.json`;

/** The age of the last success above which a CronJob is stale: its period plus the grace. */
export function staleAfterSeconds(schedule: string, grace: string): number {
    return longestGapSeconds(schedule) + parseDuration(grace);
}
