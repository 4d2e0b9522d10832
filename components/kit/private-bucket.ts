import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The hardening every bucket of the platform shares, declared once: owner-enforced objects
 * (no ACLs), all public access blocked, versioning, and SSE-KMS under the caller's
 * customer-managed key with S3 Bucket Keys. Callers add what is specific to them (Object
 * Lock, lifecycle, replication) and their TLS-only bucket policy, which must depend on
 * `publicAccess` and `ownership`.
 */
export interface PrivateBucketArgs {
    /** Physical bucket name (global in S3). @default auto-named from `name` */
    readonly bucketName?: pulumi.Input<string>;
    /** The customer-managed key that encrypts every object. */
    readonly kmsKeyArn: pulumi.Input<string>;
    /** Object Lock can only be enabled when the bucket is created. @default false */
    readonly objectLockEnabled?: boolean;
    /**
     * Refuse to delete the bucket (`pulumi state unprotect <urn>` lifts it); its settings
     * (ownership, versioning, encryption) are recreated from code and stay unprotected.
     * @default true
     */
    readonly protect?: boolean;
}

export interface PrivateBucket {
    readonly bucket: aws.s3.Bucket;
    readonly ownership: aws.s3.BucketOwnershipControls;
    readonly publicAccess: aws.s3.BucketPublicAccessBlock;
    readonly versioning: aws.s3.BucketVersioning;
}

/** Declares the bucket and its shared hardening as children `${name}-<role>` of `opts.parent`. */
export function privateBucket(
    name: string,
    args: PrivateBucketArgs,
    opts: pulumi.CustomResourceOptions,
): PrivateBucket {
    const bucket = new aws.s3.Bucket(
        `${name}-bucket`,
        {
            bucket: args.bucketName,
            ...(args.objectLockEnabled ? { objectLockEnabled: true } : {}),
            forceDestroy: false,
        },
        { ...opts, protect: args.protect ?? true },
    );
    const ownership = new aws.s3.BucketOwnershipControls(
        `${name}-ownership`,
        { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
        opts,
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access`,
        {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        },
        opts,
    );
    const versioning = new aws.s3.BucketVersioning(
        `${name}-versioning`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        opts,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        {
            bucket: bucket.id,
            rules: [
                {
                    applyServerSideEncryptionByDefault: {
                        sseAlgorithm: "aws:kms",
                        kmsMasterKeyId: args.kmsKeyArn,
                    },
                    bucketKeyEnabled: true,
                },
            ],
        },
        opts,
    );
    return { bucket, ownership, publicAccess, versioning };
}

/**
 * The bucket policy: every request without TLS is denied (aws-s3-bucket-tls-only), and an
 * upload that asks for an encryption other than SSE-KMS is refused (uploads that name none
 * get the bucket's default, SSE-KMS with its customer-managed key). With `kmsKeyArns` (the
 * key's ARN and its alias ARN), an upload that names any other KMS key is refused too, so no
 * object lands under a key this bucket's key policy does not govern.
 */
export function privateBucketPolicy(bucketArn: string, kmsKeyArns?: readonly string[]): string {
    const pinned =
        kmsKeyArns === undefined || kmsKeyArns.length === 0
            ? []
            : [
                  {
                      Sid: "DenyObjectsUnderAnotherKey",
                      Effect: "Deny",
                      Principal: "*",
                      Action: "s3:PutObject",
                      Resource: `${bucketArn}/*`,
                      Condition: {
                          StringNotEquals: {
                              "s3:x-amz-server-side-encryption-aws-kms-key-id": [...kmsKeyArns],
                          },
                          Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
                      },
                  },
              ];
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
            {
                Sid: "DenyObjectsWithoutKms",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:PutObject",
                Resource: `${bucketArn}/*`,
                Condition: {
                    StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
                    Null: { "s3:x-amz-server-side-encryption": "false" },
                },
            },
            ...pinned,
        ],
    });
}

/**
 * A bucket name no other account can hold: `<prefix>-<account id>-<region>` (S3 names are
 * global, so a plain `mcp-artifacts` is almost certainly taken).
 */
export function globalBucketName(
    prefix: string,
    region: string,
    opts: pulumi.CustomResourceOptions,
): pulumi.Output<string> {
    const accountId = aws.getCallerIdentityOutput({}, { parent: opts.parent }).accountId;
    return pulumi.interpolate`${prefix}-${accountId}-${region}`;
}
