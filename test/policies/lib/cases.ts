import type { Policy, StackValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import type { ResourceRecord } from "../../../tools/lib/records";
import { resourceViolations, stackViolations } from "../../support/policy";

/**
 * Table-driven policy tests. Every policy of the pack has one entry here with at least one
 * passing and one failing fixture (test/policies/coverage.test.ts checks that); each failing
 * fixture changes one thing of a hardened baseline and names the message it must produce.
 */
export interface PolicyCase {
    readonly title: string;
    /**
     * Resource policies: the first record is validated (one record per case).
     * Stack policies: the whole set is the stack.
     */
    readonly resources: readonly ResourceRecord[];
    readonly config?: Record<string, unknown>;
    /** Failing cases: a pattern every reported violation set must contain. */
    readonly expect?: RegExp;
}

export interface PolicyCases {
    readonly policy: Policy;
    readonly pass: readonly PolicyCase[];
    readonly fail: readonly PolicyCase[];
}

export function isStackPolicy(policy: Policy): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/** Violations of `policy` for a case; `undefined` when the policy did not apply. */
export async function violationsOf(policy: Policy, c: PolicyCase): Promise<string[] | undefined> {
    if (isStackPolicy(policy)) return stackViolations(policy, c.resources, c.config);
    if (c.resources.length !== 1)
        throw new Error(`resource case "${c.title}" needs exactly one record`);
    return resourceViolations(policy, c.resources[0], c.config);
}

/** Registers the vitest cases of `tables`: passing fixtures report nothing, failing ones report the expected message. */
export function runPolicyCases(tables: readonly PolicyCases[]): void {
    for (const table of tables) {
        describe(table.policy.name, () => {
            for (const c of table.pass) {
                it(`passes: ${c.title}`, async () => {
                    const violations = await violationsOf(table.policy, c);
                    // A passing fixture must be one the policy actually checked.
                    expect(violations, "policy did not apply to the passing fixture").toBeDefined();
                    expect(violations).toEqual([]);
                });
            }
            for (const c of table.fail) {
                it(`fails: ${c.title}`, async () => {
                    const violations = await violationsOf(table.policy, c);
                    expect(violations, "policy did not apply to the failing fixture").toBeDefined();
                    expect(violations!.length).toBeGreaterThan(0);
                    if (c.expect) expect(violations!.join("\n")).toMatch(c.expect);
                    // Messages say what must change.
                    for (const message of violations!) expect(message).toMatch(/\b(must|should)\b/);
                });
            }
        });
    }
}
