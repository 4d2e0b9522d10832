import { beforeAll, describe, expect, it } from "vitest";
import { type E2eResult, runE2e } from "../support/real-engine";

/**
 * The flow of `npm run e2e` (test/support/real-engine.ts): the real Pulumi CLI runs the
 * program's in-cluster layer as an inline program on two real control planes through first
 * deploy, update, volume growth, a forced replace, `preview` with the policy pack, the DR
 * switch by `npm run dr` and destroy, each step judged from the engine's events, the
 * apiserver, the database and the edge Worker.
 */
let result: E2eResult;
beforeAll(async () => {
    result = await runE2e();
}, 3_600_000);

describe("the real Pulumi CLI running our program", () => {
    it("creates the in-cluster layer of both stacks", () => {
        expect(result.created).toBeGreaterThanOrEqual(150);
    });

    it("passes every check: admission, readiness, rollouts, StackReference, claims, destroy", () => {
        expect(result.failures).toEqual([]);
    });

    it("updates, rotates and grows volumes without replacing anything", () => {
        expect(result.replaced).toEqual([]);
        expect(result.updated).toBeGreaterThan(10);
    });

    it("reports a forced replacement and fails a privileged container: each check can fail", () => {
        expect(result.negatives).toEqual({
            "serviceName change reported as a replace": true,
            "privileged container fails the preview": true,
            "a failing activation step stops the DR tool": true,
        });
    });

    it("activates DR and fails back with the DR tool on the real CLI", () => {
        expect(result.dr.activate).toBeGreaterThan(0);
        expect(result.dr.failback).toBeGreaterThan(0);
    });

    it("runs every policy of the pack inside the engine, no mandatory violation", () => {
        expect(result.policies.mandatory).toEqual([]);
        expect(result.policies.ran).toBeGreaterThanOrEqual(70);
    });
});
