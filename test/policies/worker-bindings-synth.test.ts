import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDir, synth } from "../support/synth";

/**
 * `npm run synth` on a program whose Worker binds a credential as plain_text: the mock runtime
 * records the bindings list as one secret, yet the pack sees each binding's type (policies get
 * secrets unwrapped, as under `pulumi preview --policy-pack`) and the synth fails, while
 * nothing it writes holds the value.
 */
describe("npm run synth -- production --program <a Worker with a plain_text credential>", () => {
    const result = synth("production", {
        program: path.join(projectDir, "test/fixtures/programs/plain-credential-binding.ts"),
    });

    it("fails on the mandatory cloudflare-worker-secret-bindings violation", () => {
        expect(result.status, result.stderr).toBe(1);
        const violations = result
            .policyReport()
            .results.filter((r) => r.policy === "cloudflare-worker-secret-bindings");
        expect(violations.map((v) => v.message)).toEqual([
            "Worker script leaky binding UPSTREAM_TOKEN must be a secret_text binding (got plain_text).",
        ]);
        expect(violations[0].level).toBe("mandatory");
    });

    it("writes the bindings redacted", () => {
        const script = result
            .resources()
            .find((r) => r.type === "cloudflare:index/workersScript:WorkersScript");
        expect(JSON.stringify(script?.inputs.bindings)).not.toContain("unset:");
        const written = ["resources.json", "policy-report.json", "outputs.json"]
            .map((file) => result.read(file))
            .join("\n");
        expect(written).not.toContain("unset:mcp-platform:edgeOriginToken");
    });
});
