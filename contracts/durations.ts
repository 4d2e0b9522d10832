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
