import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { projectDir, synth } from "../support/synth";

/**
 * Every count the README and the policy guide quote is the program's own: the policy pack's
 * size, and the synth's summary line for production.
 */
const read = (file: string) => fs.readFileSync(path.join(projectDir, file), "utf8");

describe("counts quoted in the docs", () => {
    it("quote the number of policies in the pack", () => {
        const quoted = [
            ...read("README.md").matchAll(/(\d+) CrossGuard policies/g),
            ...read("docs/policies.md").matchAll(/policy pack: (\d+) policies/g),
        ].map((m) => Number(m[1]));
        expect(quoted.length).toBe(2);
        for (const count of quoted) expect(count).toBe(policies.length);
    });

    it("quote the production synth's summary line as it prints it", () => {
        const run = synth("production");
        expect(run.status).toBe(0);
        const summary = run.stdout.split("\n")[0];
        const quoted =
            /e\.g\. `(production: \d+ resources, \d+ policies, \d+ mandatory\s+violations, \d+ advisory)`/.exec(
                read("README.md"),
            )?.[1];
        expect(quoted?.replace(/\s+/g, " ")).toBe(summary);
    });
});
