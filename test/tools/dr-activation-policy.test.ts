import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { activationPolicyConfig } from "../../contracts/dr-posture";
import { projectDir, stackFileVariant } from "../support/synth";

/**
 * A date must never block a failover: past the end of the cluster version's standard support,
 * the activated dr stack fails the pack as an ordinary update would, and passes with the
 * policy-pack config the DR tool's `pulumi up` is given (tools/lib/dr/activate.ts), which
 * turns only the support-date check advisory.
 */
describe("DR activation after the end of standard support", () => {
    const activated = stackFileVariant("dr", (d) => {
        d.config["mcp-platform:drActive"] = true;
    });
    const synth = (extra: string[]) => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "dr-activation-"));
        const run = spawnSync(
            process.execPath,
            [
                path.join(projectDir, "node_modules/.bin/tsx"),
                "tools/synth.ts",
                "dr",
                "--stack-file",
                activated,
                "--out",
                out,
                "--quiet",
                ...extra,
            ],
            {
                cwd: projectDir,
                encoding: "utf8",
                timeout: 180_000,
                // The day after Kubernetes 1.35 leaves EKS standard support.
                env: { ...process.env, MCP_POLICY_TODAY: "2027-03-28" },
            },
        );
        const report = JSON.parse(fs.readFileSync(path.join(out, "policy-report.json"), "utf8"));
        return {
            status: run.status,
            results: report.results as { policy: string; level: string }[],
        };
    };

    it("fails an ordinary update on the support date, naming the policy", () => {
        const run = synth([]);
        expect(run.status).toBe(1);
        expect(run.results.filter((r) => r.level === "mandatory").map((r) => r.policy)).toEqual([
            "aws-eks-version-standard-support",
        ]);
    });

    it("passes the activation's update, the support date reported as advisory", () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-")), "c.json");
        fs.writeFileSync(file, JSON.stringify(activationPolicyConfig));
        const run = synth(["--policy-config", file]);
        expect(run.status).toBe(0);
        expect(run.results.filter((r) => r.level === "mandatory")).toEqual([]);
        expect(run.results.map((r) => `${r.level} ${r.policy}`)).toContain(
            "advisory aws-eks-version-standard-support",
        );
    });
});
