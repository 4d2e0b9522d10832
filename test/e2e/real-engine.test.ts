import { beforeAll, describe, expect, it } from "vitest";
import { type E2eResult, runE2e } from "../support/real-engine";

/**
 * The flow of `npm run e2e` (test/support/real-engine.ts): the real Pulumi CLI, Kubernetes
 * provider and YAML language host deploy the production synth's manifests on a real
 * kube-apiserver, update them from a second synth, and destroy them.
 */
let result: E2eResult;
beforeAll(async () => {
    result = await runE2e();
}, 1_800_000);

describe("the real Pulumi engine on the synth's manifests", () => {
    it("creates every object on the first up", () => {
        expect(result.manifests).toBeGreaterThan(50);
        // Each manifest, plus the stack, the provider and the ConfigGroup.
        expect(result.created).toBe(result.manifests + 3);
    });

    it("admits every Pod the controllers create (PodSecurity, quotas)", () => {
        expect(result.failedCreates).toEqual([]);
        expect(result.podsCreated).toBeGreaterThan(10);
    });

    it("updates the second synth in place: no replacement", () => {
        expect(result.replacements).toEqual([]);
        expect(result.updated).toBeGreaterThan(5);
    });

    it("reports a changed StatefulSet serviceName as a replacement", () => {
        expect(result.scratchReplacements.map((r) => r.urn).join("\n")).toContain(
            result.scratchStatefulSet,
        );
    });

    it("destroys everything", () => {
        expect(result.leftAfterDestroy).toBe(0);
    });
});
