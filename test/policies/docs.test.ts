import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { projectDir } from "../support/synth";

describe("docs/policies.md", () => {
    const text = fs.readFileSync(path.join(projectDir, "docs/policies.md"), "utf8");
    const rows = new Map(
        text
            .split("\n")
            .filter((line) => line.startsWith("| `"))
            .map((line) => [/^\| `([^`]+)`/.exec(line)![1], line]),
    );

    it.each(policies.map((p) => [p.name, p] as const))(
        "documents %s with its severity and level",
        (name, policy) => {
            const row = rows.get(name);
            expect(row, `no table row for ${name}`).toBeDefined();
            const cells = row!.split(" | ");
            expect(cells).toContain(policy.severity);
            expect(cells).toContain(policy.enforcementLevel);
        },
    );

    it("documents no policy that is not in the pack, and states the count", () => {
        const names = new Set(policies.map((p) => p.name));
        const tableNames = [...rows.keys()].filter((n) => /^(k8s|aws|cloudflare)-/.test(n));
        expect(tableNames.filter((n) => !names.has(n))).toEqual([]);
        expect(text).toContain(`${policies.length} policies`);
    });
});
