import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * KMS key policies. Each key keeps the account's root as administrator (so IAM policies can
 * grant use of the key, as AWS's default key policy does) and adds only the service
 * principals that must use it, scoped by encryption context or calling service.
 */

export interface KeyPolicyContext {
    readonly partition: string;
    readonly accountId: string;
    readonly region: string;
}

type Statement = Record<string, unknown>;

function rootStatement(context: KeyPolicyContext): Statement {
    return {
        Sid: "AccountAdministers",
        Effect: "Allow",
        Principal: { AWS: `arn:${context.partition}:iam::${context.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
    };
}

/** A key only IAM policies of this account can grant (EKS secrets, EBS volumes). */
export function accountKeyPolicy(context: KeyPolicyContext): string {
    return JSON.stringify({ Version: "2012-10-17", Statement: [rootStatement(context)] });
}

/**
 * A key CloudWatch Logs may use, but only for log groups of this account and region — under
 * `groupPrefix` when one is given
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 *
 * Only the actions that carry an encryption context: a `kms:Describe*` under the
 * `kms:EncryptionContext:aws:logs:arn` condition could never match (DescribeKey has no
 * encryption context), so it is left out. The key is typed String in the service
 * authorization reference, hence `StringLike` (it matches the same log-group ARNs).
 */
export function logsKeyPolicy(context: KeyPolicyContext, groupPrefix?: string): string {
    const { partition, accountId, region } = context;
    const groups = groupPrefix === undefined ? "*" : `${groupPrefix}/*`;
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            rootStatement(context),
            {
                Sid:
                    groupPrefix === undefined
                        ? "CloudWatchLogsEncrypts"
                        : "CloudWatchLogsEncryptsPlatformLogGroups",
                Effect: "Allow",
                Principal: { Service: `logs.${region}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: {
                    StringLike: {
                        "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:${groups}`,
                    },
                },
            },
        ],
    });
}

/**
 * What the EBS CSI driver needs to create and attach volumes encrypted with `keyArn`
 * (https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html, "KMS key").
 */
export function ebsCsiKmsPolicy(keyArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "GrantsForAttachedVolumes",
                Effect: "Allow",
                Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                Resource: [keyArn],
                Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
            },
            {
                Sid: "UseVolumeKey",
                Effect: "Allow",
                Action: [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                Resource: [keyArn],
            },
        ],
    });
}

export interface CustomerManagedKeyArgs {
    readonly description: pulumi.Input<string>;
    /** The key's region. */
    readonly region: string;
    /** Builds the key policy for the account, partition and region the key lives in. */
    readonly policy: (context: KeyPolicyContext) => string;
    /**
     * Refuse to delete the key (`pulumi state unprotect <urn>` lifts it): what it encrypted
     * is unreadable once it is gone. @default true
     */
    readonly protect?: boolean;
}

/**
 * A customer-managed KMS key as every bucket of the platform has it: yearly rotation, a
 * 30-day deletion window, and the policy `args.policy` builds for the caller's account.
 */
export function customerManagedKey(
    name: string,
    args: CustomerManagedKeyArgs,
    opts: pulumi.CustomResourceOptions,
): aws.kms.Key {
    const invoke = { parent: opts.parent };
    const partition = aws.getPartitionOutput({}, invoke).partition;
    const accountId = aws.getCallerIdentityOutput({}, invoke).accountId;
    return new aws.kms.Key(
        name,
        {
            description: args.description,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi
                .all([partition, accountId])
                .apply(([p, a]) =>
                    args.policy({ partition: p, accountId: a, region: args.region }),
                ),
        },
        { ...opts, protect: args.protect ?? true },
    );
}
