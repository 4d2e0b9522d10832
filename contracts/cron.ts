/**
 * Five-field cron schedules (minute hour day-of-month month day-of-week, as the CronJob
 * controller reads them) turned into the sets of values each field matches, and the longest
 * gap between two runs. Arithmetic over a year of minutes, with no date library: the synth
 * checks every schedule of the stack.
 */

const macros: Record<string, string> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};

const monthNames = [
    "JAN",
    "FEB",
    "MAR",
    "APR",
    "MAY",
    "JUN",
    "JUL",
    "AUG",
    "SEP",
    "OCT",
    "NOV",
    "DEC",
];
const dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
    readonly min: number;
    readonly max: number;
    /** Names accepted for values, index 0 = `min`. */
    readonly names?: readonly string[];
}

const fields: readonly FieldSpec[] = [
    { min: 0, max: 59 },
    { min: 0, max: 23 },
    { min: 1, max: 31 },
    { min: 1, max: 12, names: monthNames },
    // 7 is Sunday too.
    { min: 0, max: 7, names: dayNames },
];

export interface CronSchedule {
    readonly minutes: ReadonlySet<number>;
    readonly hours: ReadonlySet<number>;
    readonly daysOfMonth: ReadonlySet<number>;
    readonly months: ReadonlySet<number>;
    readonly daysOfWeek: ReadonlySet<number>;
    /** Day-of-month and day-of-week are both restricted: a day matches either (cron's OR). */
    readonly eitherDay: boolean;
}

function value(text: string, spec: FieldSpec): number {
    const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
    if (named >= 0) return spec.min + named;
    if (!/^\d+$/.test(text)) throw new Error(`not a number: ${text}`);
    const n = Number(text);
    if (n < spec.min || n > spec.max) throw new Error(`out of range: ${text}`);
    return n;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
    const out = new Set<number>();
    for (const part of text.split(",")) {
        const [range, stepText, extra] = part.split("/");
        if (extra !== undefined || range === "") throw new Error(`bad field: ${text}`);
        const step = stepText === undefined ? 1 : Number(stepText);
        if (!Number.isInteger(step) || step < 1 || (stepText ?? "1") !== String(step)) {
            throw new Error(`bad step: ${part}`);
        }
        let low: number;
        let high: number;
        if (range === "*") {
            low = spec.min;
            high = spec.max === 7 ? 6 : spec.max;
        } else if (range.includes("-")) {
            const [a, b, rest] = range.split("-");
            if (rest !== undefined) throw new Error(`bad range: ${range}`);
            low = value(a, spec);
            high = value(b, spec);
            if (low > high) throw new Error(`bad range: ${range}`);
        } else {
            low = value(range, spec);
            high = stepText === undefined ? low : spec.max;
        }
        for (let n = low; n <= high; n += step) out.add(spec.max === 7 && n === 7 ? 0 : n);
    }
    return out;
}

/** Parses a schedule; throws with the reason when the CronJob controller would refuse it. */
export function parseCron(schedule: string): CronSchedule {
    const expanded = macros[schedule.trim()] ?? schedule.trim();
    const parts = expanded.split(/\s+/);
    if (parts.length !== 5) throw new Error("expected 5 fields");
    const [minutes, hours, daysOfMonth, months, daysOfWeek] = parts.map((part, i) =>
        parseField(part, fields[i]),
    );
    return {
        minutes,
        hours,
        daysOfMonth,
        months,
        daysOfWeek,
        eitherDay: !parts[2].startsWith("*") && !parts[4].startsWith("*"),
    };
}

function runsOnDay(cron: CronSchedule, date: Date): boolean {
    if (!cron.months.has(date.getUTCMonth() + 1)) return false;
    const dom = cron.daysOfMonth.has(date.getUTCDate());
    const dow = cron.daysOfWeek.has(date.getUTCDay());
    return cron.eitherDay ? dom || dow : dom && dow;
}

/**
 * The longest time between two consecutive runs, in seconds, over two years of UTC minutes
 * from 2025-01-01 (a leap day and every weekday of every month included).
 */
export function longestGapSeconds(schedule: string): number {
    const cron = parseCron(schedule);
    const day = 86_400_000;
    const start = Date.UTC(2025, 0, 1);
    const hours = [...cron.hours].sort((a, b) => a - b);
    const minutes = [...cron.minutes].sort((a, b) => a - b);
    let previous: number | undefined;
    let longest = 0;
    for (let t = start; t < start + 731 * day; t += day) {
        if (!runsOnDay(cron, new Date(t))) continue;
        for (const hour of hours) {
            for (const minute of minutes) {
                const run = t + hour * 3_600_000 + minute * 60_000;
                if (previous !== undefined) longest = Math.max(longest, run - previous);
                previous = run;
            }
        }
    }
    if (previous === undefined) throw new Error("the schedule never runs");
    return longest / 1000;
}
