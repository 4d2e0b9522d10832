import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

/** AWS policies: encryption, least privilege and the tags every resource must carry. */

export const requiredTags = ["environment", "stack", "owner", "managed-by"] as const;

export const awsProviderDefaultTags: ResourceValidationPolicy = {
    name: "aws-provider-default-tags",
    description:
        "Checks whether every AWS provider applies the default tags (environment, stack, owner, managed-by) that cost reports and incident tooling rely on.",
    severity: "low",
    remediationSteps:
        "Create the provider with `defaultTags: { tags: defaultTags(cfg) }` (components/lib/tags.ts).",
    validateResource: (args, reportViolation) => {
        if (args.type !== "pulumi:providers:aws") return args.notApplicable("not an AWS provider");
        // Provider inputs reach the engine JSON-encoded, so decode before reading.
        const raw = args.props.defaultTags;
        const defaults = (typeof raw === "string" ? JSON.parse(raw) : raw) as
            { tags?: Record<string, unknown> } | undefined;
        const tags = defaults?.tags ?? {};
        const missing = requiredTags.filter(
            (tag) => typeof tags[tag] !== "string" || tags[tag] === "",
        );
        if (missing.length > 0) {
            reportViolation(`AWS provider must set default tags: missing ${missing.join(", ")}.`);
        }
    },
};

export const awsKmsKeyRotationEnabled: ResourceValidationPolicy = {
    name: "aws-kms-key-rotation-enabled",
    description: "Checks whether customer-managed KMS keys rotate their key material yearly.",
    severity: "medium",
    remediationSteps: "Set `enableKeyRotation: true` on the aws.kms.Key.",
    validateResource: validateResourceOfType(aws.kms.Key, (key, _args, reportViolation) => {
        if (key.enableKeyRotation !== true) {
            reportViolation("KMS key must enable automatic rotation (enableKeyRotation: true).");
        }
    }),
};

export const awsPolicies: ResourceValidationPolicy[] = [
    awsProviderDefaultTags,
    awsKmsKeyRotationEnabled,
];
