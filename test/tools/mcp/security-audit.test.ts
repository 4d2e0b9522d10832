import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { json, mcp } from "./support";

/**
 * `mcp security audit` runs the real synth with the real pack, and the pinned peer linters
 * where `bash dev/peers/install.sh` put them (as .ci/run does), over the stack as committed.
 */
const toolsDir = process.env.MCP_TOOLS_DIR ?? path.join(os.homedir(), ".cache/mcp-platform/tools");

describe("mcp security audit", () => {
    it("the committed production stack has no mandatory finding (exit 0)", async () => {
        const run = await mcp(["security", "audit", "--full", "-o", "json"], {
            MCP_STACK: "production",
            MCP_TOOLS_DIR: toolsDir,
            MCP_POLICY_TODAY: "2026-12-01",
        });
        expect(run.code, run.stderr).toBe(0);
        const result = json(run);
        expect(result.summary).toEqual({ mandatory: 0, advisory: 0 });
        expect(result.findings).toEqual([]);
        expect(result.sections.map((s: any) => [s.source, s.ran])).toEqual([
            ["policy-pack", true],
            ["kube-linter", true],
            ["kube-score", true],
            ["eks-support", true],
            ["iam", false],
        ]);
        expect(result.sections[0].detail).toMatch(
            /^\d+ policies \(production: \d+ resources, \d+ policies, 0 mandatory violations, 0 advisory\)$/,
        );
        expect(result.sections[2].detail).toMatch(/^\d+ findings, \d+ reviewed exceptions$/);
        expect(run.stderr.split("\n")[0]).toBe(
            "synthesizing the production stack with the policy pack (20-60 s)…",
        );
    }, 300_000);

    it("Kubernetes past its standard support is mandatory (exit 1); missing linters are named", async () => {
        const run = await mcp(["security", "audit"], {
            MCP_STACK: "production",
            MCP_TOOLS_DIR: "/nonexistent/tools",
            MCP_POLICY_TODAY: "2027-04-01",
        });
        expect(run.code, run.stderr).toBe(1);
        const lines = run.stdout.split("\n");
        expect(lines).toContain(
            "not run  kube-linter: not installed in /nonexistent/tools (bash dev/peers/install.sh installs it)",
        );
        expect(run.stdout).toMatch(
            /^mandatory +eks-support +eks-standard-support +Kubernetes 1\.35 +standard support ended 2027-03-27 \(5 days before 2027-04-01\): upgrade/m,
        );
        // The pack judges the same date itself (policies/aws-eks-support.ts).
        expect(run.stdout).toMatch(/^\w+ +policy-pack +\S*eks\S* /m);
        expect(lines.at(-1)).toMatch(/^production: [1-9]\d* mandatory, \d+ advisory findings$/);
    }, 300_000);
});
