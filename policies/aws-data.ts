import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { asArray } from "./lib/config";
import {
    isPublicPrincipal,
    principalValues,
    restrictingConditionKeys,
    type Statement,
    statementsOf,
} from "./lib/iam";

/**
 * Where data is kept: KMS key policies that hand the key to no one but the account (whose
 * IAM policies then decide, and are checked by the IAM rules), and databases that are
 * encrypted and private.
 */

/** The account root, as a key policy names it: `arn:aws:iam::<account>:root` or the bare ID. */
function isAccountRoot(principal: string): boolean {
    return /^arn:aws[a-z-]*:iam::\d{12}:root$/.test(principal) || /^\d{12}$/.test(principal);
}

/** Condition keys that confine a `"*"` key-policy principal to our account or organization. */
const keyPolicyConditionKeys = [
    "kms:calleraccount",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:sourceaccount",
];

function keyPolicyProblems(statement: Statement): string[] {
    if (statement.Effect !== "Allow") return [];
    const problems: string[] = [];
    const everything =
        statement.NotAction !== undefined ||
        asArray(statement.Action).some((a) => a === "*" || a.toLowerCase() === "kms:*");
    const principals = principalValues(statement.Principal);
    if (isPublicPrincipal(statement)) {
        const confined = restrictingConditionKeys(statement).some((k) =>
            keyPolicyConditionKeys.includes(k),
        );
        if (!confined) {
            problems.push(
                'must not grant the key to Principal "*" without a condition on kms:CallerAccount or aws:PrincipalOrgID',
            );
        }
    }
    if (everything) {
        const others = principals.filter((p) => !isAccountRoot(p));
        if (others.length > 0) {
            problems.push(
                `must grant kms:* only to the account root (got ${others.join(", ")}); list the kms actions other principals need`,
            );
        }
    }
    return problems;
}

export const kmsKeyPolicyLeastPrivilege: ResourceValidationPolicy = {
    name: "aws-kms-key-policy-least-privilege",
    description:
        'Checks whether a KMS key policy grants kms:* (or NotAction) to anyone but the account root, or grants the key to Principal "*" without a condition that confines it to the account.',
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["least-privilege", "encryption-at-rest"],
    remediationSteps:
        "Keep one statement granting kms:* to arn:aws:iam::<account>:root; give services (logs.<region>.amazonaws.com, …) only Encrypt/Decrypt/GenerateDataKey*/DescribeKey with an aws:SourceArn or kms:EncryptionContext condition.",
    validateResource: [
        validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
            statementsOf(key.policy).forEach((statement, index) => {
                for (const problem of keyPolicyProblems(statement)) {
                    reportViolation(
                        `KMS key ${args.name} policy statement ${statement.Sid ?? index} ${problem}.`,
                    );
                }
            });
        }),
        validateResourceOfType(aws.kms.KeyPolicy, (policy, args, reportViolation) => {
            statementsOf(policy.policy).forEach((statement, index) => {
                for (const problem of keyPolicyProblems(statement)) {
                    reportViolation(
                        `KMS key policy ${args.name} statement ${statement.Sid ?? index} ${problem}.`,
                    );
                }
            });
        }),
    ],
};

const databaseClasses = [
    ["RDS instance", aws.rds.Instance],
    ["RDS cluster", aws.rds.Cluster],
] as const;

export const rdsEncrypted: ResourceValidationPolicy = {
    name: "aws-rds-storage-encrypted",
    description:
        "Checks whether every RDS instance and cluster encrypts its storage (storageEncrypted: true).",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["encryption-at-rest"],
    remediationSteps:
        "Set storageEncrypted: true and kmsKeyId to a rotating customer-managed aws.kms.Key (only possible when the database is created; restore a snapshot into an encrypted copy otherwise).",
    validateResource: databaseClasses.map(([what, cls]) =>
        validateResourceOfType(cls as typeof aws.rds.Instance, (db, args, reportViolation) => {
            if (db.storageEncrypted !== true) {
                reportViolation(`${what} ${args.name} must set storageEncrypted: true.`);
            }
        }),
    ),
};

export const rdsNotPublic: ResourceValidationPolicy = {
    name: "aws-rds-not-public",
    description:
        "Checks whether an RDS instance or cluster instance is publicly accessible (publiclyAccessible: true).",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["public-access"],
    remediationSteps:
        "Set publiclyAccessible: false and place the database in private subnets; clients reach it from inside the VPC.",
    validateResource: (
        [
            ["RDS instance", aws.rds.Instance],
            ["RDS cluster instance", aws.rds.ClusterInstance],
        ] as const
    ).map(([what, cls]) =>
        validateResourceOfType(cls as typeof aws.rds.Instance, (db, args, reportViolation) => {
            if (db.publiclyAccessible === true) {
                reportViolation(
                    `${what} ${args.name} must not be publicly accessible (publiclyAccessible: false).`,
                );
            }
        }),
    ),
};

export const dataPolicies: ResourceValidationPolicy[] = [
    kmsKeyPolicyLeastPrivilege,
    rdsEncrypted,
    rdsNotPublic,
];
