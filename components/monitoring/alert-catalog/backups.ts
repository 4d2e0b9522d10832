import { longestGapSeconds } from "../../../contracts/cron";
import { backupCronJobNames, dataNamespace } from "../../../contracts/names";
import { formatDuration } from "./promql";
import type { AlertRule, RuleGroup, Severity } from "./types";
import { staleAfterSeconds } from "../../../contracts/backups";

/**
 * BackupStale: a backup CronJob with no successful run within its period (plus a grace for
 * the run itself). The period comes from the schedule in `cfg.backups.schedules`, so the
 * alert follows the schedule when it changes.
 */

/** The backup CronJobs of components/data, by their key in `cfg.backups.schedules`. */
export const backupCronJobs: Readonly<Record<string, { cronjob: string; severity: Severity }>> = {
    /** RPO 1 h: a stale database backup pages. */
    postgres: { cronjob: backupCronJobNames.postgres, severity: "critical" },
    appData: { cronjob: backupCronJobNames.appData, severity: "critical" },
    redis: { cronjob: backupCronJobNames.redis, severity: "warning" },
    verify: { cronjob: backupCronJobNames.verify, severity: "warning" },
};

export interface BackupTarget {
    readonly cronjob: string;
    readonly schedule: string;
    readonly severity: Severity;
}

/**
 * The CronJobs to watch, from the stack's schedules. A key without an entry in
 * {@link backupCronJobs} is assumed to be the CronJob `<kebab-key>-backup`, warning.
 */
export function backupTargets(schedules: Readonly<Record<string, string>>): BackupTarget[] {
    return Object.entries(schedules).map(([key, schedule]) => {
        const known = backupCronJobs[key];
        const cronjob =
            known?.cronjob ?? `${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-backup`;
        return { cronjob, schedule, severity: known?.severity ?? "warning" };
    });
}

/**
 * The longest gap between two consecutive runs of a cron schedule (UTC), in seconds: 3600
 * for `0 * * * *`, 86400 for `0 3 * * *`, 2678400 (31 days) for `0 4 1 * *`. Looks at two
 * years of runs from a fixed date, so the result does not depend on when it is computed.
 */
export function schedulePeriodSeconds(schedule: string): number {
    return longestGapSeconds(schedule);
}

function staleRule(target: BackupTarget, grace: string): AlertRule {
    const threshold = staleAfterSeconds(target.schedule, grace);
    const job = `namespace="${dataNamespace}", cronjob="${target.cronjob}"`;
    // Stale when the last success is too old, or when the CronJob has existed that long
    // without any success; suspended CronJobs (a standby region) are not expected to run.
    const expr = [
        `(`,
        `  time() - kube_cronjob_status_last_successful_time{${job}} > ${threshold}`,
        `  or`,
        `  (time() - kube_cronjob_created{${job}} > ${threshold}`,
        `    unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${job}})`,
        `)`,
        `unless on (namespace, cronjob) (kube_cronjob_spec_suspend{${job}} == 1)`,
    ].join("\n");
    return {
        alert: "BackupStale",
        expr,
        for: "5m",
        // The CronJob's name is already a label of the series; as a rule label it also keeps
        // the rules of two CronJobs apart (promtool rejects identical name + labels).
        labels: { severity: target.severity, cronjob: target.cronjob },
        annotations: {
            summary: "A backup CronJob has not succeeded within its schedule.",
            description: `CronJob {{ $labels.namespace }}/{{ $labels.cronjob }} (schedule "${target.schedule}") has had no successful run for more than ${formatDuration(threshold)} (its period plus ${grace}).`,
        },
    };
}

export interface BackupOptions {
    readonly schedules: Readonly<Record<string, string>>;
    /** `monitoring.backupStaleGrace`. */
    readonly grace: string;
}

export function backupsGroup(options: BackupOptions): RuleGroup {
    return {
        name: "backups",
        rules: backupTargets(options.schedules).map((target) => staleRule(target, options.grace)),
    };
}
