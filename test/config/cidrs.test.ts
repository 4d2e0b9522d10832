import { describe, expect, it } from "vitest";
import { coversInternet } from "../../config/lib/cidrs";
import { coversInternet as packCoversInternet } from "../../policies/lib/cidr";

// Config validation and the policy pack each hold a copy of the check (the pack is a
// separate package); both must give the same answer on every list.
const cases: [string, string[], boolean][] = [
    ["one /32", ["203.0.113.7/32"], false],
    ["everything", ["0.0.0.0/0"], true],
    ["two halves", ["0.0.0.0/1", "128.0.0.0/1"], true],
    ["halves with an overlap", ["0.0.0.0/1", "64.0.0.0/2", "128.0.0.0/1"], true],
    ["a gap", ["0.0.0.0/1", "128.0.0.0/2", "224.0.0.0/3"], false],
    ["256 /8s", Array.from({ length: 256 }, (_, i) => `${i}.0.0.0/8`), true],
    ["255 /8s", Array.from({ length: 255 }, (_, i) => `${i}.0.0.0/8`), false],
    ["nothing", [], false],
];

describe("coversInternet", () => {
    it.each(cases)("%s", (_title, cidrs, covers) => {
        expect(coversInternet(cidrs)).toBe(covers);
        expect(packCoversInternet(cidrs)).toBe(covers);
    });
});
