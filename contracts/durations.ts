/**
 * Prometheus durations (`90s`, `1h30m`, `2d`) as seconds: alert `for:` clauses, backup
 * staleness grace, and what operators type.
 */

const unitSeconds: Record<string, number> = {
    ms: 0.001,
    s: 1,
    m: 60,
    h: 3600,
    d: 86400,
    w: 604800,
    y: 31536000,
};

/** A Prometheus duration (`1h30m`) → seconds. */
export function parseDuration(text: string): number {
    const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
        throw new Error(`not a Prometheus duration: ${text}`);
    }
    return parts.reduce((total, [, count, unit]) => total + Number(count) * unitSeconds[unit], 0);
}

/**
 * A duration as operators type it after an option (`--timeout 5m`, `--max-backup-age 1h30m`):
 * a Prometheus duration, or a bare number of seconds (`--timeout 300`, as the manuals write
 * it). Milliseconds. Every command line parses durations with this one function.
 */
export function parseTypedDuration(text: string): number {
    const trimmed = text.trim();
    const seconds = /^\d+$/.test(trimmed) ? Number(trimmed) : parseDuration(trimmed);
    return Math.round(seconds * 1000);
}
