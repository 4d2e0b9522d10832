import * as aws from "@pulumi/aws";
import {
    type PolicyResource,
    type ResourceValidationPolicy,
    type StackValidationArgs,
    type StackValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { asArray } from "./lib/config";
import {
    isPublicPrincipal,
    principalValues,
    restrictingConditionKeys,
    type Statement,
    statementsOf,
} from "./lib/iam";
import { ofTypes, referenced, type ResourceClass } from "./lib/refs";

/**
 * S3: encryption with a customer-managed KMS key, the public access block, versioning,
 * TLS-only access and no public ACL or policy. In @pulumi/aws 7 most bucket settings are
 * separate resources (BucketServerSideEncryptionConfiguration, BucketVersioning, …) that
 * refer to the bucket, so these are stack policies that join them to their bucket; settings
 * given inline on the bucket count too.
 */

const bucketClasses = [aws.s3.Bucket, aws.s3.BucketV2];

type Report = (message: string, urn?: string) => void;

/** Runs `check` for every bucket, with the resources of `classes` that refer to it. */
function eachBucket(
    args: StackValidationArgs,
    classes: ResourceClass[],
    check: (bucket: PolicyResource, related: PolicyResource[]) => void,
) {
    const buckets = ofTypes(args.resources, bucketClasses);
    if (buckets.length === 0) return args.notApplicable("the stack declares no S3 bucket");
    const candidates = ofTypes(args.resources, classes);
    for (const bucket of buckets) {
        check(
            bucket,
            candidates.filter((c) => referenced(c, "bucket", [bucket]).length > 0),
        );
    }
}

function label(bucket: PolicyResource): string {
    return `S3 bucket ${bucket.name}`;
}

type SseDefault = { sseAlgorithm?: string; kmsMasterKeyId?: string } | undefined;

function isCustomerManagedKms(sse: SseDefault): boolean {
    const algorithm = sse?.sseAlgorithm;
    const key = sse?.kmsMasterKeyId;
    return (
        (algorithm === "aws:kms" || algorithm === "aws:kms:dsse") &&
        typeof key === "string" &&
        key !== "" &&
        !key.includes("alias/aws/")
    );
}

function encryptionDefaults(bucket: PolicyResource, configs: PolicyResource[]): SseDefault[] {
    const props = bucket.props;
    const inline: SseDefault[] = [
        props.serverSideEncryptionConfiguration?.rule?.applyServerSideEncryptionByDefault,
        ...asArray(props.serverSideEncryptionConfigurations as any[]).flatMap((c) =>
            asArray(c?.rules as any[]).flatMap((r) =>
                asArray(r?.applyServerSideEncryptionByDefaults as SseDefault[]),
            ),
        ),
    ];
    const separate = configs.flatMap((c) =>
        asArray(c.props.rules as any[]).map(
            (r) => r?.applyServerSideEncryptionByDefault as SseDefault,
        ),
    );
    return [...inline, ...separate].filter((d) => d !== undefined);
}

export const bucketEncrypted: StackValidationPolicy = {
    name: "aws-s3-bucket-encrypted-cmk",
    description:
        "Checks whether every S3 bucket encrypts objects by default with SSE-KMS under a customer-managed KMS key (not the AWS-managed aws/s3 key).",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["encryption-at-rest", "hardening-baseline"],
    remediationSteps:
        'Add aws.s3.BucketServerSideEncryptionConfiguration for the bucket with sseAlgorithm "aws:kms", kmsMasterKeyId set to a rotating aws.kms.Key ARN, and bucketKeyEnabled: true.',
    validateStack: (args, reportViolation: Report) =>
        eachBucket(
            args,
            [
                aws.s3.BucketServerSideEncryptionConfiguration,
                aws.s3.BucketServerSideEncryptionConfigurationV2,
            ],
            (bucket, configs) => {
                const defaults = encryptionDefaults(bucket, configs);
                if (!defaults.some(isCustomerManagedKms)) {
                    const got = defaults.map((d) => d?.sseAlgorithm).join(", ") || "none";
                    reportViolation(
                        `${label(bucket)} must default to SSE-KMS with a customer-managed key (got ${got}).`,
                        bucket.urn,
                    );
                }
            },
        ),
};

const blockFlags = [
    "blockPublicAcls",
    "blockPublicPolicy",
    "ignorePublicAcls",
    "restrictPublicBuckets",
];

export const bucketPublicAccessBlock: StackValidationPolicy = {
    name: "aws-s3-bucket-public-access-block",
    description:
        "Checks whether every S3 bucket has a public access block with all four settings on (or the account-level block does).",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["public-access"],
    remediationSteps:
        "Add aws.s3.BucketPublicAccessBlock for the bucket with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true.",
    validateStack: (args, reportViolation: Report) => {
        const account = ofTypes(args.resources, [aws.s3.AccountPublicAccessBlock]).some((b) =>
            blockFlags.every((flag) => b.props[flag] === true),
        );
        eachBucket(args, [aws.s3.BucketPublicAccessBlock], (bucket, blocks) => {
            if (account) return;
            const complete = blocks.some((b) => blockFlags.every((flag) => b.props[flag] === true));
            if (!complete) {
                const off =
                    blocks.length === 0
                        ? blockFlags
                        : blockFlags.filter((f) => !blocks.some((b) => b.props[f] === true));
                reportViolation(
                    `${label(bucket)} must have a public access block with ${off.join(", ")} set to true.`,
                    bucket.urn,
                );
            }
        });
    },
};

export const bucketVersioning: StackValidationPolicy = {
    name: "aws-s3-bucket-versioning",
    description:
        "Checks whether every S3 bucket has versioning enabled, so overwritten or deleted backups can be recovered.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["data-protection"],
    remediationSteps:
        'Add aws.s3.BucketVersioning for the bucket with versioningConfiguration: { status: "Enabled" }.',
    validateStack: (args, reportViolation: Report) =>
        eachBucket(
            args,
            [aws.s3.BucketVersioning, aws.s3.BucketVersioningV2],
            (bucket, versionings) => {
                const inline =
                    bucket.props.versioning?.enabled === true ||
                    asArray(bucket.props.versionings as any[]).some((v) => v?.enabled === true);
                const separate = versionings.some(
                    (v) => v.props.versioningConfiguration?.status === "Enabled",
                );
                if (!inline && !separate) {
                    reportViolation(
                        `${label(bucket)} must enable versioning (status: Enabled).`,
                        bucket.urn,
                    );
                }
            },
        ),
};

function deniesInsecureTransport(statement: Statement): boolean {
    if (statement.Effect !== "Deny") return false;
    const actions = asArray(statement.Action);
    if (!actions.some((a) => a === "s3:*" || a === "*")) return false;
    if (!principalValues(statement.Principal).includes("*")) return false;
    const bool = statement.Condition?.Bool ?? {};
    const value = Object.entries(bool).find(
        ([k]) => k.toLowerCase() === "aws:securetransport",
    )?.[1];
    return asArray(value as unknown as string).some((v) => String(v) === "false");
}

export const bucketTlsOnly: StackValidationPolicy = {
    name: "aws-s3-bucket-tls-only",
    description:
        "Checks whether every S3 bucket's policy denies all requests that do not use TLS (aws:SecureTransport false).",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["encryption-in-transit"],
    remediationSteps:
        'Add an aws.s3.BucketPolicy with { Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [bucket ARN, bucket ARN/*], Condition: { Bool: { "aws:SecureTransport": "false" } } }.',
    validateStack: (args, reportViolation: Report) =>
        eachBucket(args, [aws.s3.BucketPolicy], (bucket, policies) => {
            const documents = [bucket.props.policy, ...policies.map((p) => p.props.policy)];
            if (!documents.some((d) => statementsOf(d).some(deniesInsecureTransport))) {
                reportViolation(
                    `${label(bucket)} must have a bucket policy that denies requests without TLS (aws:SecureTransport false).`,
                    bucket.urn,
                );
            }
        }),
};

const publicAcls = ["public-read", "public-read-write", "authenticated-read"];
const publicGroups = [
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
];

/**
 * Condition keys that confine a `Principal: "*"` Allow to our own network or organization.
 * Any other condition (a Referer, a user agent, a date) can be met by anyone.
 */
const restrictingKeys = [
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:sourcearn",
    "aws:sourceaccount",
];

/** An Allow for everyone that no reviewed condition key confines; Deny statements never are. */
function publicStatement(statement: Statement): boolean {
    return (
        statement.Effect === "Allow" &&
        isPublicPrincipal(statement) &&
        !restrictingConditionKeys(statement).some((k) => restrictingKeys.includes(k))
    );
}

export const bucketNotPublic: ResourceValidationPolicy = {
    name: "aws-s3-bucket-not-public",
    description:
        'Checks whether an S3 bucket is made public by a canned ACL (public-read, public-read-write, authenticated-read), an ACL grant to all users, or a bucket policy allowing Principal "*" unless a condition on aws:SourceVpce, aws:SourceVpc, aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn or aws:SourceAccount confines it.',
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["public-access"],
    remediationSteps:
        'Remove the public ACL (leave acl unset; object ownership BucketOwnerEnforced) and any Allow statement for Principal "*"; serve public content through the edge instead.',
    validateResource: [
        ...bucketClasses.map((cls) =>
            validateResourceOfType(cls as typeof aws.s3.Bucket, (bucket, args, reportViolation) => {
                if (bucket.acl && publicAcls.includes(bucket.acl)) {
                    reportViolation(`S3 bucket ${args.name} must not use the ${bucket.acl} ACL.`);
                }
                if (statementsOf(bucket.policy).some(publicStatement)) {
                    reportViolation(
                        `S3 bucket ${args.name} policy must not allow Principal "*" unless a condition on aws:SourceVpce, aws:SourceVpc, aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn or aws:SourceAccount confines it.`,
                    );
                }
            }),
        ),
        ...[aws.s3.BucketAcl, aws.s3.BucketAclV2].map((cls) =>
            validateResourceOfType(cls as typeof aws.s3.BucketAcl, (acl, args, reportViolation) => {
                if (acl.acl && publicAcls.includes(acl.acl)) {
                    reportViolation(`S3 bucket ACL ${args.name} must not use the ${acl.acl} ACL.`);
                }
                const grants = acl.accessControlPolicy?.grants ?? [];
                if (grants.some((g) => publicGroups.includes(g.grantee?.uri ?? ""))) {
                    reportViolation(
                        `S3 bucket ACL ${args.name} must not grant access to AllUsers or AuthenticatedUsers.`,
                    );
                }
            }),
        ),
        validateResourceOfType(aws.s3.BucketPolicy, (policy, args, reportViolation) => {
            if (statementsOf(policy.policy).some(publicStatement)) {
                reportViolation(
                    `S3 bucket policy ${args.name} must not allow Principal "*" unless a condition on aws:SourceVpce, aws:SourceVpc, aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceArn or aws:SourceAccount confines it.`,
                );
            }
        }),
    ],
};

export const s3StackPolicies: StackValidationPolicy[] = [
    bucketEncrypted,
    bucketPublicAccessBlock,
    bucketVersioning,
    bucketTlsOnly,
];

export const s3ResourcePolicies: ResourceValidationPolicy[] = [bucketNotPublic];
