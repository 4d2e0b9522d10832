import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { awsPolicies } from "./aws";

/**
 * Every policy of the pack, in one explicit list. `index.ts` builds the PolicyPack from it
 * and the offline synth (`npm run synth`) runs the very same objects.
 */
export const policies: Policies = [...awsPolicies];

/** The pack's default: a violation blocks `pulumi preview`/`up` unless a policy says otherwise. */
export const packEnforcementLevel: EnforcementLevel = "mandatory";

export const packName = "mcp-platform-policies";
