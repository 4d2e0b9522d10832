/**
 * Recovery targets (the runbooks' `DisasterRecovery`: recovery_point_objective 1 h,
 * recovery_time_objective 30 min) and the small duration helpers the CLI uses for them.
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

const units: Record<string, number> = { ms: 1, s: 1000, m: minute, h: hour, d: 24 * hour };

/**
 * Parses `90m`, `1h`, `1h30m`, `45s`, `2d`. Throws on anything else, including a bare number,
 * so that `--max-backup-age 2` is never silently read as 2 ms.
 */
export function parseDuration(text: string): number {
    const trimmed = text.trim();
    const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
    let total = 0;
    let consumed = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(trimmed)) !== null) {
        total += Number(match[1]) * units[match[2]];
        consumed = pattern.lastIndex;
    }
    if (trimmed === "" || consumed !== trimmed.length) {
        throw new Error(`expected a duration such as 90m, 1h or 1h30m (got "${text}")`);
    }
    return total;
}

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
