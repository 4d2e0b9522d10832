import { describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { synth } from "../support/synth";

/**
 * The acceptance of the pack on the real program: both stacks synthesize with 0 mandatory
 * violations, the report lists every policy, and the policies really see the platform's
 * resources (a policy that checks nothing would pass vacuously).
 */
describe.each(["production", "dr"])("policy report of %s", (stack) => {
    const result = synth(stack);
    const report = result.policyReport();
    const checked = new Map(report.ran.map((r) => [r.policy, r.checked]));

    it("has no mandatory violation", () => {
        expect(report.results.filter((r) => r.level === "mandatory")).toEqual([]);
        expect(result.status).toBe(0);
    });

    it("lists every policy of the pack as run", () => {
        expect(report.ran.map((r) => r.policy)).toEqual(policies.map((p) => p.name));
    });

    const minimums: [string, number][] = [
        ["k8s-container-not-privileged", 10],
        ["k8s-pod-run-as-non-root", 10],
        ["k8s-pod-no-host-path", 10],
        ["k8s-namespace-pod-security-admission", 3],
        ["k8s-no-default-namespace", 50],
        ["aws-eks-cluster-secrets-encryption", 1],
        ["aws-ec2-imdsv2-required", 1],
        ["aws-iam-irsa-trust-single-service-account", 1],
        // The edge (Worker, DNS records) is declared by the production stack only.
        ...(stack === "production"
            ? ([
                  ["cloudflare-dns-record-proxied", 1],
                  ["cloudflare-worker-secret-bindings", 1],
              ] as [string, number][])
            : []),
    ];

    it.each(minimums)("%s checked at least %i resources", (policy, minimum) => {
        expect(checked.get(policy)).toBeGreaterThanOrEqual(minimum);
    });

    it("stack policies saw the stack (not 'not applicable')", () => {
        for (const policy of report.ran.filter((r) => r.kind === "stack")) {
            expect(policy.checked, policy.policy).toBeGreaterThan(0);
        }
    });
});
