import * as aws from "@pulumi/aws";
import {
    type ResourceValidationPolicy,
    type StackValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { dataPolicies } from "./aws-data";
import { ec2Policies } from "./aws-ec2";
import { eksResourcePolicies, eksStackPolicies } from "./aws-eks";
import { eksSupportPolicies } from "./aws-eks-support";
import { iamPolicies } from "./aws-iam";
import { awsNetworkPolicies } from "./aws-network";
import { s3ResourcePolicies, s3StackPolicies } from "./aws-s3";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";

/** AWS policies: encryption, least privilege, network exposure and the tags every resource must carry. */

const requiredTags = ["environment", "stack", "owner", "managed-by"] as const;

export const awsProviderDefaultTags: ResourceValidationPolicy = {
    name: "aws-provider-default-tags",
    description:
        "Checks whether every AWS provider applies the default tags (environment, stack, owner, managed-by) that cost reports and incident tooling rely on.",
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps:
        "Create the provider with `defaultTags: { tags: defaultTags(cfg) }` (components/kit/tags.ts).",
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

/** KMS rotates only symmetric encryption keys; asymmetric and HMAC keys cannot rotate. */
function rotatable(key: { keyUsage?: string; customerMasterKeySpec?: string }): boolean {
    return (
        (key.keyUsage ?? "ENCRYPT_DECRYPT") === "ENCRYPT_DECRYPT" &&
        (key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT"
    );
}

export const awsKmsKeyRotationEnabled: ResourceValidationPolicy = {
    name: "aws-kms-key-rotation-enabled",
    description:
        "Checks whether customer-managed symmetric encryption KMS keys rotate their key material yearly (KMS cannot rotate asymmetric or HMAC keys).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set `enableKeyRotation: true` on the aws.kms.Key.",
    validateResource: validateResourceOfType(aws.kms.Key, (key, _args, reportViolation) => {
        if (rotatable(key) && key.enableKeyRotation !== true) {
            reportViolation("KMS key must enable automatic rotation (enableKeyRotation: true).");
        }
    }),
};

const retentionSchema = {
    properties: {
        minimumDays: {
            type: "integer" as const,
            minimum: 1,
            description: "Shortest retention allowed, in days.",
            default: 7,
        },
    },
};

export const logGroupRetention: ResourceValidationPolicy = {
    name: "aws-cloudwatch-log-group-retention",
    description:
        "Checks whether every CloudWatch log group sets a finite retention of at least the configured minimum (7 days by default).",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["logging", "cost"],
    configSchema: retentionSchema,
    remediationSteps:
        "Set retentionInDays from the stack config (e.g. mcp-platform:cluster.logRetentionDays) on the aws.cloudwatch.LogGroup.",
    validateResource: validateResourceOfType(
        aws.cloudwatch.LogGroup,
        (group, args, reportViolation) => {
            const { minimumDays } = configOf<{ minimumDays: number }>(retentionSchema, args);
            const days = group.retentionInDays;
            if (days === undefined || days === 0 || days < minimumDays) {
                reportViolation(
                    `CloudWatch log group ${group.name ?? args.name} must set retentionInDays of at least ${minimumDays} (got ${days ?? "never expire"}).`,
                );
            }
        },
    ),
};

export const logGroupKms: ResourceValidationPolicy = {
    name: "aws-cloudwatch-log-group-kms",
    description:
        "Checks whether every CloudWatch log group is encrypted with a customer-managed KMS key.",
    enforcementLevel: "advisory",
    severity: "low",
    tags: ["encryption-at-rest"],
    remediationSteps:
        "Set kmsKeyId to a rotating aws.kms.Key whose key policy allows the logs.<region>.amazonaws.com service principal.",
    validateResource: validateResourceOfType(
        aws.cloudwatch.LogGroup,
        (group, args, reportViolation) => {
            if (!group.kmsKeyId) {
                reportViolation(
                    `CloudWatch log group ${group.name ?? args.name} should set kmsKeyId to a customer-managed key.`,
                );
            }
        },
    ),
};

export const ecrScanOnPush: ResourceValidationPolicy = {
    name: "aws-ecr-repository-scan-on-push",
    description:
        "Checks whether every ECR repository scans images on push and keeps tags immutable.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: cisEks("5.1.1"),
    tags: ["cis-eks-5.1.1", "supply-chain"],
    remediationSteps:
        'Set imageScanningConfiguration: { scanOnPush: true } and imageTagMutability: "IMMUTABLE" on the aws.ecr.Repository.',
    validateResource: validateResourceOfType(
        aws.ecr.Repository,
        (repository, args, reportViolation) => {
            if (repository.imageScanningConfiguration?.scanOnPush !== true) {
                reportViolation(
                    `ECR repository ${args.name} must scan images on push (imageScanningConfiguration.scanOnPush: true).`,
                );
            }
            if (repository.imageTagMutability !== "IMMUTABLE") {
                reportViolation(
                    `ECR repository ${args.name} must set imageTagMutability: "IMMUTABLE" (got ${repository.imageTagMutability ?? "MUTABLE"}).`,
                );
            }
        },
    ),
};

export const awsPolicies: ResourceValidationPolicy[] = [
    awsProviderDefaultTags,
    awsKmsKeyRotationEnabled,
    ...s3ResourcePolicies,
    ...iamPolicies,
    ...ec2Policies,
    ...awsNetworkPolicies,
    ...eksResourcePolicies,
    ...eksSupportPolicies,
    ...dataPolicies,
    logGroupRetention,
    logGroupKms,
    ecrScanOnPush,
];

export const awsStackPolicies: StackValidationPolicy[] = [...s3StackPolicies, ...eksStackPolicies];
