import * as aws from "@pulumi/aws";
import {
    type ResourceValidation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { type IamWildcardResourceExemption, iamWildcardResourceExemptions } from "./exemptions";
import { asArray, configOf } from "./lib/config";
import {
    actionMatches,
    isPublicPrincipal,
    restrictingConditionKeys,
    type Statement,
    statementsOf,
} from "./lib/iam";

/**
 * Least privilege inside IAM policy documents, wherever a document is declared: managed
 * policies (aws.iam.Policy), inline policies (RolePolicy, UserPolicy, GroupPolicy and
 * Role.inlinePolicies) and role trust policies. A document may be a JSON string or an
 * object; Statement, Action and Resource may each be one value or a list.
 */

type Report = (message: string) => void;

/** One IAM policy document with the label its messages use and the resource's logical name. */
interface Document {
    readonly label: string;
    readonly resource: string;
    readonly statements: Statement[];
}

const documentClasses = [
    ["IAM policy", aws.iam.Policy],
    ["IAM role policy", aws.iam.RolePolicy],
    ["IAM user policy", aws.iam.UserPolicy],
    ["IAM group policy", aws.iam.GroupPolicy],
] as const;

/** Runs `check` on every permission document of every IAM resource that declares one. */
function validateDocuments(
    check: (document: Document, report: Report, args: ResourceValidationArgs) => void,
): ResourceValidation[] {
    return [
        ...documentClasses.map(([what, cls]) =>
            validateResourceOfType(cls as typeof aws.iam.Policy, (policy, args, report) =>
                check(
                    {
                        label: `${what} ${args.name}`,
                        resource: args.name,
                        statements: statementsOf(policy.policy),
                    },
                    report,
                    args,
                ),
            ),
        ),
        validateResourceOfType(aws.iam.Role, (role, args, report) => {
            for (const inline of role.inlinePolicies ?? []) {
                check(
                    {
                        label: `IAM role ${args.name} inline policy ${inline.name ?? ""}`.trim(),
                        resource: args.name,
                        statements: statementsOf(inline.policy),
                    },
                    report,
                    args,
                );
            }
        }),
    ];
}

function where(document: Document, statement: Statement, index: number): string {
    return `${document.label} statement ${statement.Sid ?? index}`;
}

function allows(statement: Statement): boolean {
    return statement.Effect === "Allow";
}

/** `*` or a whole service (`iam:*`, `s3:*`). */
function isWildcardAction(action: string): boolean {
    return action === "*" || /^[A-Za-z0-9-]+:\*+$/.test(action);
}

export const noWildcardAction: ResourceValidationPolicy = {
    name: "aws-iam-no-wildcard-action",
    description:
        'Checks whether an IAM policy allows a whole service or everything (Action "*", "iam:*", "s3:*", or NotAction), on any resource.',
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["least-privilege"],
    remediationSteps:
        'List the actions the principal calls (e.g. ["s3:GetObject", "s3:PutObject"]) instead of "<service>:*"; never use NotAction in an Allow statement.',
    validateResource: validateDocuments((document, report) => {
        document.statements.forEach((statement, index) => {
            if (!allows(statement)) return;
            if (statement.NotAction !== undefined) {
                report(
                    `${where(document, statement, index)} must not use NotAction in an Allow statement (it grants every other action); list the actions instead.`,
                );
            }
            const wildcards = asArray(statement.Action).filter(isWildcardAction);
            if (wildcards.length > 0) {
                report(
                    `${where(document, statement, index)} must not allow ${wildcards.join(", ")}; list the actions the principal needs.`,
                );
            }
        });
    }),
};

/**
 * Actions that may be granted on Resource "*": reads of metadata (no object data, no secret
 * values) whose APIs take no resource ARN or that the AWS Load Balancer Controller needs
 * before it knows one, and the instance-type, image, status and price lookups Karpenter
 * chooses and watches nodes with (and its listing of instance profiles, which IAM cannot scope).
 */
const readOnlyActions = [
    "acm:DescribeCertificate",
    "acm:ListCertificates",
    "cognito-idp:DescribeUserPoolClient",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeCapacityReservations",
    "ec2:DescribeCoipPools",
    "ec2:DescribeImages",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeIpamPools",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSpotPriceHistory",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeVpcs",
    "ec2:GetCoipPoolUsage",
    "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:DescribeCapacityReservation",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTrustStores",
    "iam:GetServerCertificate",
    "iam:ListInstanceProfiles",
    "iam:ListServerCertificates",
    "pricing:GetProducts",
    "shield:DescribeProtection",
    "shield:GetSubscriptionState",
    "sts:GetCallerIdentity",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
];

const resourceSchema = {
    properties: {
        readOnlyActions: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                'Exact actions (no wildcards) that may be allowed on Resource "*": reviewed Describe/List/Get calls.',
            default: readOnlyActions,
        },
        exemptions: {
            type: "array" as const,
            description:
                'Further actions one named policy resource may allow on Resource "*". Default: policies/exemptions.ts.',
            items: {
                type: "object" as const,
                properties: {
                    policy: { type: "string" as const, minLength: 1 },
                    actions: { type: "array" as const, items: { type: "string" as const } },
                    reason: { type: "string" as const },
                },
                required: ["policy", "actions"],
                additionalProperties: false,
            },
            default: iamWildcardResourceExemptions as unknown as object[],
        },
    },
};

function onEveryResource(statement: Statement): boolean {
    return asArray(statement.Resource).includes("*") || statement.NotResource !== undefined;
}

export const noWildcardResource: ResourceValidationPolicy = {
    name: "aws-iam-no-wildcard-resource",
    description:
        'Checks whether an IAM policy allows anything but reviewed read-only Describe/List/Get actions on Resource "*" (or through NotResource).',
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["least-privilege"],
    configSchema: resourceSchema,
    remediationSteps:
        "Scope the statement to the ARNs it acts on (bucket/prefix, key ARN, role ARN). A write action that cannot be scoped gets a reviewed entry in policies/exemptions.ts (iamWildcardResourceExemptions).",
    validateResource: validateDocuments((document, report, args) => {
        const config = configOf<{
            readOnlyActions: string[];
            exemptions: IamWildcardResourceExemption[];
        }>(resourceSchema, args);
        const allowed = new Set(
            [
                ...config.readOnlyActions,
                ...config.exemptions
                    .filter((e) => e.policy === document.resource)
                    .flatMap((e) => e.actions),
            ].map((a) => a.toLowerCase()),
        );
        document.statements.forEach((statement, index) => {
            if (!allows(statement) || !onEveryResource(statement)) return;
            // Whole-service wildcards and NotAction are refused by aws-iam-no-wildcard-action.
            const actions = asArray(statement.Action).filter(
                (a) => !isWildcardAction(a) && !allowed.has(a.toLowerCase()),
            );
            if (actions.length > 0) {
                report(
                    `${where(document, statement, index)} must scope ${actions.join(", ")} to resource ARNs instead of Resource "*".`,
                );
            }
        });
    }),
};

export const passRoleScoped: ResourceValidationPolicy = {
    name: "aws-iam-pass-role-scoped",
    description:
        'Checks whether an IAM policy allows iam:PassRole (directly or through a wildcard) on Resource "*" or on every role.',
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["least-privilege", "privilege-escalation"],
    remediationSteps:
        "Name the role ARNs the principal may pass, and add a Condition on iam:PassedToService.",
    validateResource: validateDocuments((document, report) => {
        document.statements.forEach((statement, index) => {
            if (!allows(statement)) return;
            const passes =
                asArray(statement.Action).some((a) => actionMatches(a, "iam:PassRole")) ||
                (statement.NotAction !== undefined &&
                    !asArray(statement.NotAction).some((a) => actionMatches(a, "iam:PassRole")));
            if (!passes) return;
            const everyRole =
                statement.NotResource !== undefined ||
                asArray(statement.Resource).some((r) => r === "*" || /:role\/\*$/.test(r));
            if (everyRole) {
                report(
                    `${where(document, statement, index)} must not allow iam:PassRole on every role; name the role ARNs it may pass.`,
                );
            }
        });
    }),
};

/** Condition keys that tie a `"*"` principal in a trust policy to our account or organization. */
const trustConditionKeys = [
    "aws:PrincipalOrgID",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
];

const trustSchema = {
    properties: {
        restrictingConditionKeys: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                'Condition keys that make a Principal "*" trust statement acceptable (with a positive operator).',
            default: trustConditionKeys,
        },
    },
};

export const trustNoPublicPrincipal: ResourceValidationPolicy = {
    name: "aws-iam-trust-no-public-principal",
    description:
        'Checks whether an IAM role\'s trust policy lets anyone assume it: Principal "*" or { AWS: "*" } without a condition that restricts the caller to our account or organization.',
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["least-privilege", "public-access"],
    configSchema: trustSchema,
    remediationSteps:
        'Name the principal (a service such as "eks.amazonaws.com", an account root, or the OIDC provider for IRSA); if "*" is unavoidable, add StringEquals on aws:PrincipalOrgID or aws:PrincipalAccount.',
    validateResource: validateResourceOfType(aws.iam.Role, (role, args, reportViolation) => {
        const { restrictingConditionKeys: keys } = configOf<{
            restrictingConditionKeys: string[];
        }>(trustSchema, args);
        const accepted = keys.map((k) => k.toLowerCase());
        statementsOf(role.assumeRolePolicy).forEach((statement, index) => {
            if (!allows(statement) || !isPublicPrincipal(statement)) return;
            if (restrictingConditionKeys(statement).some((k) => accepted.includes(k))) return;
            reportViolation(
                `IAM role ${args.name} trust statement ${statement.Sid ?? index} must not trust Principal "*" without a condition on ${keys.join(", ")}.`,
            );
        });
    }),
};

export const iamDocumentPolicies: ResourceValidationPolicy[] = [
    noWildcardAction,
    noWildcardResource,
    passRoleScoped,
    trustNoPublicPrincipal,
];
