/**
 * Recovery targets (the runbooks' `DisasterRecovery`: recovery_point_objective 1 h,
 * recovery_time_objective 30 min) and how the reports print a duration. Durations on the
 * command line are parsed by tools/lib/cli/options.ts (`duration`), the one parser of every CLI.
 */

const minute = 60_000;
const hour = 60 * minute;

/** The newest usable backup may be at most this old when DR is activated. */
export const rpoMs = 1 * hour;

/** From the decision to activate until traffic is served from the DR region. */
export const rtoMs = 30 * minute;

/** How long `activate`/`failback` poll the edge for the new active region. */
export const defaultEdgeDeadlineMs = 5 * minute;

/** Between two edge polls. */
export const defaultEdgePollIntervalMs = 10_000;

/** A backup timestamp may be this far in the future (clock skew) before it is rejected. */
export const clockSkewMs = 5 * minute;

/** `3725000` → `1h2m5s`; `0` → `0s`. */
export function formatDuration(ms: number): string {
    const sign = ms < 0 ? "-" : "";
    let seconds = Math.round(Math.abs(ms) / 1000);
    const parts: string[] = [];
    for (const [unit, size] of [
        ["d", 86_400],
        ["h", 3600],
        ["m", 60],
    ] as const) {
        if (seconds >= size) {
            parts.push(`${Math.floor(seconds / size)}${unit}`);
            seconds %= size;
        }
    }
    if (seconds > 0 || parts.length === 0) parts.push(`${seconds}s`);
    return sign + parts.join("");
}
