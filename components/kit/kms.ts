import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * KMS key policies. Every key keeps the account as its administrator, so it never becomes
 * unmanageable. Most let IAM policies of the account grant their use (AWS's default key
 * policy) and add only the service principals that must use them, scoped by encryption
 * context or calling service; the backup keys limit use to named roles instead
 * ({@link bucketKeyPolicy}, {@link signingKeyPolicy}).
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
 * What the account keeps on a key whose use is limited to named roles: its administration,
 * never its use. AWS's key-administrator actions, without kms:CreateGrant (a grant would give
 * use outside the policy): IAM policies of the account can describe, tag, enable, disable,
 * rotate, change the policy of and schedule the deletion of the key, so it never becomes
 * unmanageable, and every change of who may use it is a visible PutKeyPolicy.
 */
export const keyAdministrationActions = [
    "kms:CreateAlias",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
] as const;

function accountRoot(context: KeyPolicyContext): string {
    return `arn:${context.partition}:iam::${context.accountId}:root`;
}

function administrationStatement(context: KeyPolicyContext): Statement {
    return {
        Sid: "AccountAdministersOnly",
        Effect: "Allow",
        Principal: { AWS: accountRoot(context) },
        Action: [...keyAdministrationActions],
        Resource: "*",
    };
}

/** The policy a key starts with when a {@link aws.kms.KeyPolicy} sets its real one. */
export function administrationKeyPolicy(context: KeyPolicyContext): string {
    return JSON.stringify({ Version: "2012-10-17", Statement: [administrationStatement(context)] });
}

export interface BucketKeyUsers {
    /** The region of the bucket: the key is used only through S3 there. */
    readonly region: string;
    /** Roles that may decrypt (read objects, complete multipart uploads), by ARN. */
    readonly decryptRoleArns: readonly string[];
}

/**
 * A bucket's SSE-KMS key: administered by the account, used only through S3 in the bucket's
 * region. IAM policies of the account may grant encryption (an upload, a replica); only the
 * roles named here may decrypt, whatever an IAM policy says, so reading the bucket's objects
 * takes both an IAM grant and a name in this policy.
 */
export function bucketKeyPolicy(context: KeyPolicyContext, users: BucketKeyUsers): string {
    const viaS3 = { "kms:ViaService": `s3.${users.region}.amazonaws.com` };
    const named = [...new Set(users.decryptRoleArns)].sort();
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            administrationStatement(context),
            {
                Sid: "AccountEncryptsThroughS3",
                Effect: "Allow",
                Principal: { AWS: accountRoot(context) },
                Action: ["kms:GenerateDataKey", "kms:Encrypt"],
                Resource: "*",
                Condition: { StringEquals: viaS3 },
            },
            ...(named.length === 0
                ? []
                : [
                      {
                          Sid: "NamedRolesDecryptThroughS3",
                          Effect: "Allow",
                          Principal: { AWS: accountRoot(context) },
                          Action: "kms:Decrypt",
                          Resource: "*",
                          Condition: {
                              StringEquals: viaS3,
                              ArnEquals: { "aws:PrincipalArn": named },
                          },
                      },
                  ]),
        ],
    });
}

/** How backups are signed: ECDSA P-256 over a SHA-256 digest (ops/backup-signing.sh). */
export const backupSigning = {
    keySpec: "ECC_NIST_P256",
    algorithm: "ECDSA_SHA_256",
    messageType: "DIGEST",
} as const;

/**
 * The backup signing key (ECC_NIST_P256, SIGN_VERIFY): only the named roles may sign, and only
 * a SHA-256 digest with ECDSA_SHA_256; the account administers it and may verify. Readers
 * check signatures offline with the public key, so they need nothing here.
 */
export function signingKeyPolicy(
    context: KeyPolicyContext,
    signerRoleArns: readonly string[],
): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            administrationStatement(context),
            {
                Sid: "AccountVerifies",
                Effect: "Allow",
                Principal: { AWS: accountRoot(context) },
                Action: "kms:Verify",
                Resource: "*",
            },
            {
                Sid: "BackupJobsSign",
                Effect: "Allow",
                Principal: { AWS: [...new Set(signerRoleArns)].sort() },
                Action: "kms:Sign",
                Resource: "*",
                Condition: {
                    StringEquals: {
                        "kms:SigningAlgorithm": backupSigning.algorithm,
                        "kms:MessageType": backupSigning.messageType,
                    },
                },
            },
        ],
    });
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
    /**
     * An `aws.kms.KeyPolicy` declared later sets the key's policy (it names roles that need
     * the key's ARN first): `policy` is only what the key is created with, and the key
     * ignores later differences. @default false
     */
    readonly policySetSeparately?: boolean;
}

/** The account, partition and region a key policy is written for, as the provider sees them. */
export function keyPolicyContext(
    region: string,
    parent: pulumi.Resource | undefined,
): pulumi.Output<KeyPolicyContext> {
    const invoke = { parent };
    return pulumi
        .all([
            aws.getPartitionOutput({}, invoke).partition,
            aws.getCallerIdentityOutput({}, invoke).accountId,
        ])
        .apply(([partition, accountId]) => ({ partition, accountId, region }));
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
    return new aws.kms.Key(
        name,
        {
            description: args.description,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: keyPolicyContext(args.region, opts.parent).apply(args.policy),
        },
        {
            ...opts,
            protect: args.protect ?? true,
            ...(args.policySetSeparately ? { ignoreChanges: ["policy"] } : {}),
        },
    );
}
