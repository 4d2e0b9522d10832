import * as aws from "@pulumi/aws";
import { adminAttachmentExemptions } from "./exemptions";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { iamDocumentPolicies } from "./aws-iam-documents";
import { asArray, configOf } from "./lib/config";
import { conditionValues, principalValues, type Statement, statementsOf } from "./lib/iam";

/**
 * IAM least privilege: no statement allowing every action on every resource (or an admin
 * managed policy attached), and IRSA trust policies that admit exactly one Kubernetes
 * service account through the cluster's OIDC provider.
 */

const wildcardSchema = {
    properties: {
        forbiddenManagedPolicies: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                "Managed policy ARNs that grant administrator access and must not be attached.",
            default: [
                "arn:aws:iam::aws:policy/AdministratorAccess",
                "arn:aws:iam::aws:policy/PowerUserAccess",
                "arn:aws:iam::aws:policy/IAMFullAccess",
            ],
        },
    },
};

/** Whether `arn` is one of `forbidden`, in any partition (aws, aws-us-gov, aws-cn). */
function isForbiddenArn(arn: unknown, forbidden: readonly string[]): boolean {
    if (typeof arn !== "string") return false;
    const normal = (value: string) => value.replace(/^arn:aws(-[a-z-]+)?:/, "arn:aws:");
    return forbidden.map(normal).includes(normal(arn));
}

function isAdminStatement(statement: Statement): boolean {
    if (statement.Effect !== "Allow") return false;
    const resources = asArray(statement.Resource);
    if (!resources.includes("*")) return false;
    const actions = asArray(statement.Action);
    return actions.some((a) => a === "*" || a === "*:*") || statement.NotAction !== undefined;
}

function describeStatement(statement: Statement, index: number): string {
    return statement.Sid ? `statement ${statement.Sid}` : `statement ${index}`;
}

function checkDocument(document: unknown, where: string, report: (m: string) => void) {
    statementsOf(document).forEach((statement, index) => {
        if (isAdminStatement(statement)) {
            const what = statement.NotAction !== undefined ? "NotAction" : 'Action "*"';
            report(
                `${where} ${describeStatement(statement, index)} must not allow ${what} on Resource "*"; list the actions and resources the role needs.`,
            );
        }
    });
}

const documentPolicies = [
    ["IAM policy", aws.iam.Policy],
    ["IAM role policy", aws.iam.RolePolicy],
    ["IAM user policy", aws.iam.UserPolicy],
    ["IAM group policy", aws.iam.GroupPolicy],
] as const;

const attachments = [
    aws.iam.RolePolicyAttachment,
    aws.iam.PolicyAttachment,
    aws.iam.UserPolicyAttachment,
    aws.iam.GroupPolicyAttachment,
] as const;

export const noWildcardAdmin: ResourceValidationPolicy = {
    name: "aws-iam-no-wildcard-admin",
    description:
        'Checks whether an IAM policy allows Action "*" (or NotAction) on Resource "*", or an administrator-like AWS managed policy (AdministratorAccess, PowerUserAccess, IAMFullAccess) is attached.',
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["least-privilege", "hardening-baseline"],
    configSchema: wildcardSchema,
    remediationSteps:
        "Replace the statement with the specific actions and resource ARNs the principal needs (e.g. s3:PutObject on the backup prefix); never attach AdministratorAccess.",
    validateResource: [
        ...documentPolicies.map(([what, cls]) =>
            validateResourceOfType(
                cls as typeof aws.iam.Policy,
                (policy, args, reportViolation) => {
                    checkDocument(policy.policy, `${what} ${args.name}`, reportViolation);
                },
            ),
        ),
        validateResourceOfType(aws.iam.Role, (role, args, reportViolation) => {
            const { forbiddenManagedPolicies } = configOf<{ forbiddenManagedPolicies: string[] }>(
                wildcardSchema,
                args,
            );
            for (const inline of role.inlinePolicies ?? []) {
                checkDocument(
                    inline.policy,
                    `IAM role ${args.name} inline policy ${inline.name ?? ""}`.trim(),
                    reportViolation,
                );
            }
            for (const arn of (role as { managedPolicyArns?: string[] }).managedPolicyArns ?? []) {
                if (isForbiddenArn(arn, forbiddenManagedPolicies)) {
                    reportViolation(`IAM role ${args.name} must not attach ${arn}.`);
                }
            }
        }),
        ...attachments.map((cls) =>
            validateResourceOfType(
                cls as typeof aws.iam.RolePolicyAttachment,
                (attachment, args, reportViolation) => {
                    const { forbiddenManagedPolicies } = configOf<{
                        forbiddenManagedPolicies: string[];
                    }>(wildcardSchema, args);
                    const exempt = adminAttachmentExemptions.some(
                        (e) =>
                            e.attachment === args.name && args.urn.includes(`::${e.parentType}$`),
                    );
                    if (!exempt && isForbiddenArn(attachment.policyArn, forbiddenManagedPolicies)) {
                        reportViolation(
                            `IAM policy attachment ${args.name} must not attach ${attachment.policyArn}.`,
                        );
                    }
                },
            ),
        ),
    ],
};

const serviceAccountSubject =
    /^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/;

/** Violations of one web-identity trust statement; none when it admits exactly one service account. */
function irsaTrustProblems(statement: Statement): string[] {
    const actions = asArray(statement.Action);
    if (
        statement.Effect !== "Allow" ||
        !actions.some((a) => a === "sts:AssumeRoleWithWebIdentity" || a === "sts:*" || a === "*")
    ) {
        return [];
    }
    const providers = principalValues(statement.Principal).filter((p) =>
        p.includes(":oidc-provider/"),
    );
    if (providers.length === 0) return [];
    if (providers.every((p) => p.endsWith(`:oidc-provider/${githubOidcHost}`))) {
        return githubTrustProblems(statement);
    }
    const problems: string[] = [];
    const subjects = conditionValues(statement, "StringEquals", ":sub");
    const likeSubjects = [
        ...conditionValues(statement, "StringLike", ":sub"),
        ...conditionValues(statement, "ForAnyValue:StringLike", ":sub"),
    ];
    if (likeSubjects.length > 0) {
        problems.push(
            `must not match the subject with StringLike (${likeSubjects.join(", ")}); use StringEquals with one service account`,
        );
    }
    if (subjects.length !== 1) {
        problems.push(
            `must limit ":sub" with StringEquals to exactly one service account (got ${subjects.length === 0 ? "none" : subjects.join(", ")})`,
        );
    } else if (!serviceAccountSubject.test(subjects[0])) {
        problems.push(
            `":sub" must be system:serviceaccount:<namespace>:<name> without wildcards (got ${subjects[0]})`,
        );
    }
    const audiences = conditionValues(statement, "StringEquals", ":aud");
    if (audiences.length !== 1 || audiences[0] !== "sts.amazonaws.com") {
        problems.push(
            `must pin ":aud" to sts.amazonaws.com with StringEquals (got ${audiences.join(", ") || "none"})`,
        );
    }
    return problems;
}

export const irsaTrust: ResourceValidationPolicy = {
    name: "aws-iam-irsa-trust-single-service-account",
    description:
        "Checks whether an IAM role trusted through an EKS OIDC provider (IRSA) admits exactly one service account (StringEquals on :sub), and one trusted through GitHub's OIDC provider only named workflows in named environments at named refs; both pin the audience to sts.amazonaws.com.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["least-privilege", "irsa", "cis-eks-5.2.1"],
    remediationSteps:
        "Build the trust policy with irsaTrustPolicy() (components/kit/irsa.ts): StringEquals { <issuer>:sub: system:serviceaccount:<ns>:<name>, <issuer>:aud: sts.amazonaws.com }.",
    validateResource: validateResourceOfType(aws.iam.Role, (role, args, reportViolation) => {
        statementsOf(role.assumeRolePolicy).forEach((statement, index) => {
            for (const problem of irsaTrustProblems(statement)) {
                reportViolation(
                    `IAM role ${args.name} trust ${describeStatement(statement, index)} ${problem}.`,
                );
            }
        });
    }),
};

/** GitHub Actions' OIDC issuer. */
const githubOidcHost = "token.actions.githubusercontent.com";

/**
 * A subject GitHub signs under the repository's subject template (repo, context,
 * job_workflow_ref): one repository, one environment, one workflow file at one ref. A
 * wildcard is allowed only as the pull-request number of `refs/pull/<n>/merge`.
 */
const githubSubject =
    /^repo:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+:environment:[A-Za-z0-9_.-]+:job_workflow_ref:[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/\.github\/workflows\/[A-Za-z0-9_.-]+\.ya?ml@refs\/(heads\/[A-Za-z0-9_./-]+|tags\/[A-Za-z0-9_./-]+|pull\/\*\/merge)$/;

/** Violations of a trust statement for GitHub's OIDC provider. */
function githubTrustProblems(statement: Statement): string[] {
    const problems: string[] = [];
    const exact = conditionValues(statement, "StringEquals", ":sub");
    const like = conditionValues(statement, "StringLike", ":sub");
    if (exact.length + like.length === 0) {
        problems.push(
            `must limit GitHub's ":sub" to named workflows, environments and refs (got none)`,
        );
    }
    for (const subject of [...exact, ...like]) {
        if (!githubSubject.test(subject)) {
            problems.push(
                `":sub" must name one repository, environment, workflow and ref, a wildcard only as a pull-request number (got ${subject})`,
            );
        }
    }
    for (const subject of like) {
        if (!subject.includes("@refs/pull/*/merge")) {
            problems.push(`must match ${subject} with StringEquals: it has no wildcard`);
        }
    }
    const audiences = conditionValues(statement, "StringEquals", ":aud");
    if (audiences.length !== 1 || audiences[0] !== "sts.amazonaws.com") {
        problems.push(
            `must pin ":aud" to sts.amazonaws.com with StringEquals (got ${audiences.join(", ") || "none"})`,
        );
    }
    return problems;
}

export const iamPolicies: ResourceValidationPolicy[] = [
    noWildcardAdmin,
    irsaTrust,
    ...iamDocumentPolicies,
];
