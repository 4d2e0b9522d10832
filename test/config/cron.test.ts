import { CronExpressionParser } from "cron-parser";
import { describe, expect, it } from "vitest";
import { longestGapSeconds, parseCron } from "../../contracts/cron";

// cron-parser, a maintained implementation that walks real dates, is the reference: our
// arithmetic must agree with it on every schedule below.
function referenceGapSeconds(schedule: string): number {
    const start = Date.UTC(2025, 0, 1) - 60_000;
    const end = Date.UTC(2027, 0, 1);
    const runs = CronExpressionParser.parse(schedule, { currentDate: new Date(start), tz: "UTC" });
    let previous = runs.next().getTime();
    let longest = 0;
    for (;;) {
        const next = runs.next().getTime();
        if (next >= end) break;
        longest = Math.max(longest, next - previous);
        previous = next;
    }
    return longest / 1000;
}

const schedules = [
    "*/30 * * * *",
    "30 * * * *",
    "0 3 * * *",
    "30 5 * * *",
    "0 2 * * *",
    "0 3 * * 0",
    "0 4 1 * *",
    "15 2,14 * * 1-5",
    "0 0 28 2 *",
    "0 0 1,15 * 3",
    "5-10/2 */6 * JAN-MAR MON",
    "0 0 31 * *",
    "0 12 * * 7",
];

describe("cron arithmetic", () => {
    it.each(schedules)("%s has the reference's longest gap", (schedule) => {
        expect(longestGapSeconds(schedule)).toBe(referenceGapSeconds(schedule));
    });

    it("expands the macros the CronJob controller accepts", () => {
        expect(longestGapSeconds("@hourly")).toBe(3600);
        expect(longestGapSeconds("@daily")).toBe(86_400);
    });

    it.each([
        "* * * *",
        "60 * * * *",
        "0 24 * * *",
        "*/0 * * * *",
        "0 0 32 * *",
        "a * * * *",
        "5-1 * * * *",
        "0 0 * * 8",
    ])("refuses %s like the reference does", (schedule) => {
        expect(() => parseCron(schedule)).toThrow();
        expect(() => CronExpressionParser.parse(schedule, { strict: true })).toThrow();
    });
});
