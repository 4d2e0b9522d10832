import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { awsPolicies, awsStackPolicies } from "./aws";
import { cloudflarePolicies } from "./cloudflare";
import { kubernetesPolicies } from "./kubernetes";
import { protectionPolicies } from "./protection";
import { stackPolicies } from "./stack";

/**
 * Every policy of the pack, in one explicit list. `index.ts` builds the PolicyPack from it
 * and the offline synth (`npm run synth`) runs the very same objects. docs/policies.md
 * describes each one; test/policies/coverage.test.ts fails when one lacks a passing and a
 * failing fixture.
 */
export const policies: Policies = [
    ...kubernetesPolicies,
    ...awsPolicies,
    ...cloudflarePolicies,
    ...awsStackPolicies,
    ...stackPolicies,
    ...protectionPolicies,
];

/** The pack's default: a violation blocks `pulumi preview`/`up` unless a policy says otherwise. */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const packName = "mcp-platform-policies";
