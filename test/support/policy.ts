import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import {
    policyConfig,
    resourceArgs,
    stackArgs,
    validateResource,
    validateStack,
} from "../../tools/lib/policy-runner";
import type { ResourceRecord } from "../../tools/lib/records";

/**
 * Policy test helpers. They build `@pulumi/policy` 1.21 validation args (with
 * `notApplicable`, `stackTags` and `getConfig` defaults from the policy's `configSchema`)
 * through the same code the synth uses, and return the violation messages.
 */

type ResourceClass = { __pulumiType?: string } | string;

function typeOf(resource: ResourceClass): string {
    if (typeof resource === "string") return resource;
    if (typeof resource.__pulumiType !== "string")
        throw new Error("resource class has no Pulumi type");
    return resource.__pulumiType;
}

let counter = 0;

/** A record of `resource` (a resource class such as `aws.kms.Key`, or a type token). */
export function fixture(
    resource: ResourceClass,
    inputs: Record<string, unknown>,
    name = `fixture-${++counter}`,
): ResourceRecord {
    const type = typeOf(resource);
    return {
        type,
        name,
        urn: `urn:pulumi:test::mcp-platform::${type}::${name}`,
        custom: true,
        inputs,
    };
}

/**
 * Violations a resource policy reports for one resource; `undefined` when the policy says it
 * does not apply to it.
 */
export function resourceViolations(
    policy: Policy,
    record: ResourceRecord,
    config: Record<string, unknown> = {},
): Promise<string[] | undefined> {
    return validateResource(
        policy as ResourceValidationPolicy,
        resourceArgs(record, policyConfig(policy, config)),
    );
}

/** Violation messages a stack policy reports for a set of resources. */
export async function stackViolations(
    policy: Policy,
    records: readonly ResourceRecord[],
    config: Record<string, unknown> = {},
): Promise<string[] | undefined> {
    const violations = await validateStack(
        policy as StackValidationPolicy,
        stackArgs(records, policyConfig(policy, config)),
    );
    return violations?.map((v) => v.message);
}
