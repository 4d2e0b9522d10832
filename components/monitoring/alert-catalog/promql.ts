/**
 * Small, pure helpers for writing PromQL and Prometheus durations in the catalog. They keep
 * numbers readable (`0.001`, not `0.0010000000000000009`) and durations canonical (`90m`).
 */

const units: readonly [string, number][] = [
    ["w", 7 * 24 * 3600],
    ["d", 24 * 3600],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
];

/** Seconds → the shortest Prometheus duration, e.g. 5400 → `1h30m`, 86400 → `1d`. */
export function formatDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds <= 0) {
        throw new Error(`a duration must be a positive whole number of seconds (got ${seconds})`);
    }
    let rest = seconds;
    let out = "";
    for (const [unit, size] of units) {
        if (unit === "w" && rest % size !== 0) continue;
        const count = Math.floor(rest / size);
        if (count > 0) {
            out += `${count}${unit}`;
            rest -= count * size;
        }
    }
    return out;
}

/** A number as PromQL should read it: rounded to 12 significant digits, no exponent noise. */
export function num(value: number): string {
    return String(Number(value.toPrecision(12)));
}

/** `{a="x", b=~"y"}`-style selector from equality matchers plus raw extra matchers. */
export function selector(equal: Readonly<Record<string, string>>, ...extra: string[]): string {
    const matchers = [
        ...Object.entries(equal).map(([label, value]) => `${label}="${value}"`),
        ...extra,
    ];
    return matchers.length === 0 ? "" : `{${matchers.join(", ")}}`;
}

/** A regex alternation for a label matcher: `a|b|c`. */
export function oneOf(values: readonly string[]): string {
    return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\\\$&")).join("|");
}
