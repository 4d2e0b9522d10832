import * as aws from "@pulumi/aws";
import {
    awsKmsKeyRotationEnabled,
    awsProviderDefaultTags,
    ecrScanOnPush,
    logGroupKms,
    logGroupRetention,
} from "../../../policies/aws";
import { ebsEncrypted, imdsV2 } from "../../../policies/aws-ec2";
import {
    accessEntries,
    clusterLogging,
    endpointAccess,
    privateNodes,
    secretsEncryption,
} from "../../../policies/aws-eks";
import { irsaTrust, noWildcardAdmin } from "../../../policies/aws-iam";
import {
    bucketEncrypted,
    bucketNotPublic,
    bucketPublicAccessBlock,
    bucketTlsOnly,
    bucketVersioning,
} from "../../../policies/aws-s3";
import { fixture } from "../../support/policy";
import type { PolicyCases } from "../lib/cases";
import {
    bucket,
    bucketEncryption,
    bucketPolicy,
    bucketPublicAccessBlock as publicAccessBlock,
    bucketVersioning as versioning,
    cmkArn,
    hardenedBucket,
    hardenedCluster,
    irsaTrust as trust,
    issuer,
    launchTemplate,
    nodeGroup,
    type Obj,
    record,
    policyDocument,
    subnet,
    tlsOnlyStatement,
} from "../lib/fixtures";

/** GitHub's OIDC subjects under the repository's subject template (components/cluster/ci-roles.ts). */
const githubMain =
    "repo:example-org/mcp-platform:environment:production:job_workflow_ref:example-org/mcp-platform/.github/workflows/deploy.yml@refs/heads/main";
const githubPull =
    "repo:example-org/mcp-platform:environment:preview-production:job_workflow_ref:example-org/mcp-platform/.github/workflows/pull-request.yml@refs/pull/*/merge";
const githubTrust = (operator: "StringEquals" | "StringLike", subject: string) =>
    policyDocument([
        {
            Effect: "Allow",
            Principal: {
                Federated:
                    "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
            },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: {
                    "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                    ...(operator === "StringEquals"
                        ? { "token.actions.githubusercontent.com:sub": subject }
                        : {}),
                },
                ...(operator === "StringLike"
                    ? { StringLike: { "token.actions.githubusercontent.com:sub": subject } }
                    : {}),
            },
        },
    ]);

const tags = {
    environment: "production",
    stack: "production",
    owner: "platform-sre",
    "managed-by": "pulumi",
};

function provider(defaultTags: Obj) {
    return fixture(
        "pulumi:providers:aws",
        { region: "us-east-1", defaultTags: JSON.stringify(defaultTags) },
        "production-aws",
    );
}

const [b] = hardenedBucket();
const withoutType = (type: string) => hardenedBucket().filter((r) => r.type !== type);

function role(props: Obj) {
    return record(aws.iam.Role, { assumeRolePolicy: trust(), ...props }, "backup-role");
}

const adminStatement = { Effect: "Allow", Action: "*", Resource: "*" };
const scopedStatement = {
    Effect: "Allow",
    Action: ["s3:PutObject"],
    Resource: "arn:aws:s3:::backups/postgres/*",
};

export const awsCases: PolicyCases[] = [
    {
        policy: awsProviderDefaultTags,
        pass: [{ title: "all four tags", resources: [provider({ tags })] }],
        fail: [
            {
                title: "owner missing",
                resources: [provider({ tags: { ...tags, owner: "" } })],
                expect: /missing owner/,
            },
        ],
    },
    {
        policy: awsKmsKeyRotationEnabled,
        pass: [
            {
                title: "rotation on",
                resources: [record(aws.kms.Key, { enableKeyRotation: true })],
            },
            {
                title: "an asymmetric signing key, which KMS cannot rotate",
                resources: [
                    record(aws.kms.Key, {
                        keyUsage: "SIGN_VERIFY",
                        customerMasterKeySpec: "ECC_NIST_P256",
                        enableKeyRotation: false,
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "rotation off",
                resources: [record(aws.kms.Key, {})],
                expect: /must enable automatic rotation/,
            },
            {
                title: "rotation off on a symmetric key named as such",
                resources: [
                    record(aws.kms.Key, {
                        keyUsage: "ENCRYPT_DECRYPT",
                        customerMasterKeySpec: "SYMMETRIC_DEFAULT",
                    }),
                ],
                expect: /must enable automatic rotation/,
            },
        ],
    },
    {
        policy: bucketEncrypted,
        pass: [
            { title: "SSE-KMS with a CMK (separate resource)", resources: hardenedBucket() },
            {
                title: "inline SSE-KMS with a CMK",
                resources: [
                    bucket("logs", {
                        serverSideEncryptionConfiguration: {
                            rule: {
                                applyServerSideEncryptionByDefault: {
                                    sseAlgorithm: "aws:kms",
                                    kmsMasterKeyId: cmkArn,
                                },
                            },
                        },
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "no encryption configuration",
                resources: withoutType(
                    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                ),
                expect: /S3 bucket backups must default to SSE-KMS with a customer-managed key \(got none\)/,
            },
            {
                title: "SSE-S3 (AES256)",
                resources: [b, bucketEncryption(b, { sseAlgorithm: "AES256" })],
                expect: /got AES256/,
            },
            {
                title: "the AWS-managed aws/s3 key",
                resources: [
                    b,
                    bucketEncryption(b, {
                        sseAlgorithm: "aws:kms",
                        kmsMasterKeyId: "alias/aws/s3",
                    }),
                ],
            },
            {
                title: "configuration for another bucket",
                resources: [b, bucketEncryption(bucket("other"))],
            },
        ],
    },
    {
        policy: bucketPublicAccessBlock,
        pass: [
            { title: "bucket-level block", resources: hardenedBucket() },
            {
                title: "account-level block",
                resources: [
                    b,
                    record(aws.s3.AccountPublicAccessBlock, {
                        blockPublicAcls: true,
                        blockPublicPolicy: true,
                        ignorePublicAcls: true,
                        restrictPublicBuckets: true,
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "no block",
                resources: withoutType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
                expect: /must have a public access block with blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets set to true/,
            },
            {
                title: "one flag off",
                resources: [b, publicAccessBlock(b, { restrictPublicBuckets: false })],
                expect: /with restrictPublicBuckets set to true/,
            },
        ],
    },
    {
        policy: bucketVersioning,
        pass: [
            { title: "BucketVersioning Enabled", resources: hardenedBucket() },
            {
                title: "inline versioning",
                resources: [bucket("logs", { versioning: { enabled: true } })],
            },
        ],
        fail: [
            {
                title: "no versioning",
                resources: withoutType("aws:s3/bucketVersioning:BucketVersioning"),
                expect: /must enable versioning/,
            },
            { title: "Suspended", resources: [b, versioning(b, "Suspended")] },
        ],
    },
    {
        policy: bucketTlsOnly,
        pass: [{ title: "deny without TLS", resources: hardenedBucket() }],
        fail: [
            {
                title: "no bucket policy",
                resources: withoutType("aws:s3/bucketPolicy:BucketPolicy"),
                expect: /must have a bucket policy that denies requests without TLS/,
            },
            {
                title: "policy without the TLS statement",
                resources: [b, bucketPolicy(b, [{ ...tlsOnlyStatement(), Condition: {} }])],
            },
        ],
    },
    {
        policy: bucketNotPublic,
        pass: [
            { title: "private bucket", resources: [bucket()] },
            { title: "TLS-only policy", resources: [bucketPolicy(b)] },
        ],
        fail: [
            {
                title: "public-read ACL",
                resources: [bucket("site", { acl: "public-read" })],
                expect: /must not use the public-read ACL/,
            },
            {
                title: "policy open to everyone",
                resources: [
                    bucketPolicy(b, [
                        {
                            Effect: "Allow",
                            Principal: "*",
                            Action: "s3:GetObject",
                            Resource: "arn:aws:s3:::backups/*",
                        },
                    ]),
                ],
                expect: /must not allow Principal "\*" unless a condition on aws:SourceVpce/,
            },
            {
                title: "ACL grant to AllUsers",
                resources: [
                    record(aws.s3.BucketAcl, {
                        bucket: "backups-id",
                        accessControlPolicy: {
                            owner: { id: "o" },
                            grants: [
                                {
                                    permission: "READ",
                                    grantee: {
                                        type: "Group",
                                        uri: "http://acs.amazonaws.com/groups/global/AllUsers",
                                    },
                                },
                            ],
                        },
                    }),
                ],
                expect: /must not grant access to AllUsers/,
            },
        ],
    },
    {
        policy: noWildcardAdmin,
        pass: [
            {
                title: "scoped role policy",
                resources: [
                    record(aws.iam.RolePolicy, {
                        role: "r",
                        policy: policyDocument([scopedStatement]),
                    }),
                ],
            },
            {
                title: "a managed policy that is not admin",
                resources: [
                    record(aws.iam.RolePolicyAttachment, {
                        role: "r",
                        policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "Action * on Resource *",
                resources: [record(aws.iam.Policy, { policy: policyDocument([adminStatement]) })],
                expect: /must not allow Action "\*" on Resource "\*"/,
            },
            {
                title: "NotAction on *",
                resources: [
                    record(aws.iam.RolePolicy, {
                        role: "r",
                        policy: policyDocument([
                            { Effect: "Allow", NotAction: "iam:*", Resource: "*" },
                        ]),
                    }),
                ],
                expect: /NotAction/,
            },
            {
                title: "inline policy of a role",
                resources: [
                    role({
                        inlinePolicies: [
                            { name: "admin", policy: policyDocument([adminStatement]) },
                        ],
                    }),
                ],
                expect: /inline policy admin/,
            },
            {
                title: "AdministratorAccess attached",
                resources: [
                    record(aws.iam.RolePolicyAttachment, {
                        role: "r",
                        policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
                    }),
                ],
                expect: /must not attach arn:aws:iam::aws:policy\/AdministratorAccess/,
            },
        ],
    },
    {
        policy: irsaTrust,
        pass: [
            { title: "one service account, audience pinned", resources: [role({})] },
            {
                title: "GitHub OIDC: one workflow in one environment at main, audience pinned",
                resources: [role({ assumeRolePolicy: githubTrust("StringEquals", githubMain) })],
            },
            {
                title: "GitHub OIDC: a pull request's merge ref, any number",
                resources: [role({ assumeRolePolicy: githubTrust("StringLike", githubPull) })],
            },
            {
                title: "a service-principal role (not IRSA)",
                resources: [
                    role({
                        assumeRolePolicy: policyDocument([
                            {
                                Effect: "Allow",
                                Principal: { Service: "eks.amazonaws.com" },
                                Action: "sts:AssumeRole",
                            },
                        ]),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "wildcard subject with StringLike",
                resources: [
                    role({
                        assumeRolePolicy: trust({
                            StringLike: {
                                [`${issuer}:sub`]: "system:serviceaccount:mcp-production:*",
                            },
                        }),
                    }),
                ],
                expect: /must not match the subject with StringLike/,
            },
            {
                title: "GitHub OIDC: any ref of the repository",
                resources: [
                    role({
                        assumeRolePolicy: githubTrust(
                            "StringLike",
                            "repo:example-org/mcp-platform:*",
                        ),
                    }),
                ],
                expect: /must name one repository, environment, workflow and ref/,
            },
            {
                title: "GitHub OIDC: a branch matched with StringLike",
                resources: [
                    role({
                        assumeRolePolicy: githubTrust(
                            "StringLike",
                            githubMain.replace("refs/heads/main", "refs/heads/*"),
                        ),
                    }),
                ],
                expect: /wildcard only as a pull-request number/,
            },
            {
                title: "no subject condition",
                resources: [
                    role({
                        assumeRolePolicy: policyDocument([
                            {
                                Effect: "Allow",
                                Principal: {
                                    Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}`,
                                },
                                Action: "sts:AssumeRoleWithWebIdentity",
                            },
                        ]),
                    }),
                ],
                expect: /exactly one service account \(got none\)/,
            },
            {
                title: "two service accounts",
                resources: [
                    role({
                        assumeRolePolicy: policyDocument([
                            {
                                Effect: "Allow",
                                Principal: {
                                    Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}`,
                                },
                                Action: "sts:AssumeRoleWithWebIdentity",
                                Condition: {
                                    StringEquals: {
                                        [`${issuer}:sub`]: [
                                            "system:serviceaccount:a:x",
                                            "system:serviceaccount:b:y",
                                        ],
                                        [`${issuer}:aud`]: "sts.amazonaws.com",
                                    },
                                },
                            },
                        ]),
                    }),
                ],
                expect: /got system:serviceaccount:a:x, system:serviceaccount:b:y/,
            },
            {
                title: "audience not pinned",
                resources: [
                    role({
                        assumeRolePolicy: policyDocument([
                            {
                                Effect: "Allow",
                                Principal: {
                                    Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}`,
                                },
                                Action: "sts:AssumeRoleWithWebIdentity",
                                Condition: {
                                    StringEquals: {
                                        [`${issuer}:sub`]: "system:serviceaccount:a:x",
                                    },
                                },
                            },
                        ]),
                    }),
                ],
                expect: /must pin ":aud" to sts.amazonaws.com/,
            },
        ],
    },
    {
        policy: ebsEncrypted,
        pass: [
            { title: "encrypted launch template", resources: [launchTemplate()] },
            {
                title: "node group with a launch template",
                resources: [
                    nodeGroup("workload", {
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
            },
            {
                title: "encrypted volume",
                resources: [
                    record(aws.ebs.Volume, {
                        availabilityZone: "us-east-1a",
                        encrypted: true,
                        size: 10,
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "unencrypted root volume",
                resources: [
                    launchTemplate("lt", (t) => (t.blockDeviceMappings[0].ebs.encrypted = "false")),
                ],
                expect: /volume \/dev\/xvda must set ebs.encrypted: "true"/,
            },
            {
                title: "no block device mapping",
                resources: [launchTemplate("lt", (t) => delete t.blockDeviceMappings)],
                expect: /must declare its root volume/,
            },
            {
                title: "node group on EKS defaults",
                resources: [
                    nodeGroup("workload", {
                        launchTemplate: undefined,
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
                expect: /must use a launch template/,
            },
            {
                title: "unencrypted instance root",
                resources: [
                    record(aws.ec2.Instance, {
                        ami: "ami-1",
                        instanceType: "t3.micro",
                        rootBlockDevice: { encrypted: false },
                        metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
                    }),
                ],
                expect: /rootBlockDevice.encrypted/,
            },
        ],
    },
    {
        policy: imdsV2,
        pass: [
            { title: "tokens required, hop limit 1", resources: [launchTemplate()] },
            {
                title: "metadata endpoint disabled",
                resources: [
                    launchTemplate("lt", (t) => (t.metadataOptions = { httpEndpoint: "disabled" })),
                ],
            },
        ],
        fail: [
            {
                title: "IMDSv1 allowed",
                resources: [
                    launchTemplate("lt", (t) => (t.metadataOptions.httpTokens = "optional")),
                ],
                expect: /metadataOptions.httpTokens must be "required"/,
            },
            {
                title: "hop limit 2",
                resources: [
                    launchTemplate("lt", (t) => (t.metadataOptions.httpPutResponseHopLimit = 2)),
                ],
                expect: /at most 1 \(got 2\)/,
            },
            {
                title: "instance without metadata options",
                resources: [record(aws.ec2.Instance, { ami: "ami-1", instanceType: "t3.micro" })],
                expect: /EC2 instance/,
            },
        ],
    },
    {
        policy: clusterLogging,
        pass: [{ title: "all five log types", resources: [hardenedCluster()] }],
        fail: [
            {
                title: "audit missing",
                resources: [
                    hardenedCluster((c) => (c.enabledClusterLogTypes = ["api", "authenticator"])),
                ],
                expect: /must enable control-plane log types audit, controllerManager, scheduler/,
            },
        ],
    },
    {
        policy: secretsEncryption,
        pass: [{ title: "secrets with a CMK", resources: [hardenedCluster()] }],
        fail: [
            {
                title: "no encryptionConfig",
                resources: [hardenedCluster((c) => delete c.encryptionConfig)],
                expect: /must encrypt Secrets with a KMS key/,
            },
            {
                title: "no secrets resource",
                resources: [hardenedCluster((c) => (c.encryptionConfig.resources = []))],
            },
        ],
    },
    {
        policy: endpointAccess,
        pass: [
            { title: "private only", resources: [hardenedCluster()] },
            {
                title: "public for an office CIDR",
                resources: [
                    hardenedCluster((c) =>
                        Object.assign(c.vpcConfig, {
                            endpointPublicAccess: true,
                            publicAccessCidrs: ["203.0.113.0/24"],
                        }),
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "public by default",
                resources: [hardenedCluster((c) => delete c.vpcConfig.endpointPublicAccess)],
                expect: /got the default 0.0.0.0\/0/,
            },
            {
                title: "public to the internet",
                resources: [
                    hardenedCluster((c) =>
                        Object.assign(c.vpcConfig, {
                            endpointPublicAccess: true,
                            publicAccessCidrs: ["0.0.0.0/0"],
                        }),
                    ),
                ],
                expect: /restrict publicAccessCidrs \(got 0.0.0.0\/0\)/,
            },
            {
                title: "no private endpoint",
                resources: [hardenedCluster((c) => (c.vpcConfig.endpointPrivateAccess = false))],
                expect: /must enable the private endpoint/,
            },
        ],
    },
    {
        policy: accessEntries,
        pass: [{ title: "API mode", resources: [hardenedCluster()] }],
        fail: [
            {
                title: "aws-auth ConfigMap by default",
                resources: [hardenedCluster((c) => delete c.accessConfig)],
                expect: /got CONFIG_MAP by default/,
            },
            {
                title: "API_AND_CONFIG_MAP",
                resources: [
                    hardenedCluster(
                        (c) => (c.accessConfig.authenticationMode = "API_AND_CONFIG_MAP"),
                    ),
                ],
            },
        ],
    },
    {
        policy: privateNodes,
        pass: [
            {
                title: "private subnets",
                resources: [
                    subnet("private-a", { tags: { "kubernetes.io/role/internal-elb": "1" } }),
                    launchTemplate(),
                    nodeGroup("workload", {
                        subnetIds: ["private-a-id"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "public subnet",
                resources: [
                    subnet("public-a", { mapPublicIpOnLaunch: true }),
                    launchTemplate(),
                    nodeGroup("workload", {
                        subnetIds: ["public-a-id"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
                expect: /EKS node group workload must run in private subnets only: subnet public-a maps public IPs on launch/,
            },
            {
                title: "subnet routed to an internet gateway",
                resources: [
                    subnet("edge-a"),
                    record(aws.ec2.InternetGateway, { vpcId: "vpc-id" }, "igw"),
                    record(
                        aws.ec2.RouteTable,
                        {
                            vpcId: "vpc-id",
                            routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: "igw-id" }],
                        },
                        "public-rt",
                    ),
                    record(
                        aws.ec2.RouteTableAssociation,
                        { subnetId: "edge-a-id", routeTableId: "public-rt-id" },
                        "edge-a-assoc",
                    ),
                    nodeGroup("workload", {
                        subnetIds: ["edge-a-id"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
                expect: /routes to an internet gateway/,
            },
            {
                title: "SSH remote access",
                resources: [
                    nodeGroup("workload", {
                        remoteAccess: { ec2SshKey: "ops" },
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
                expect: /must not enable remoteAccess/,
            },
        ],
    },
    {
        policy: logGroupRetention,
        pass: [
            {
                title: "90 days",
                resources: [
                    record(aws.cloudwatch.LogGroup, { retentionInDays: 90, kmsKeyId: cmkArn }),
                ],
            },
        ],
        fail: [
            {
                title: "never expires",
                resources: [record(aws.cloudwatch.LogGroup, {})],
                expect: /must set retentionInDays of at least 7 \(got never expire\)/,
            },
            {
                title: "below the configured minimum",
                resources: [record(aws.cloudwatch.LogGroup, { retentionInDays: 14 })],
                config: { minimumDays: 30 },
                expect: /at least 30 \(got 14\)/,
            },
        ],
    },
    {
        policy: logGroupKms,
        pass: [
            {
                title: "CMK",
                resources: [
                    record(aws.cloudwatch.LogGroup, { retentionInDays: 90, kmsKeyId: cmkArn }),
                ],
            },
        ],
        fail: [
            {
                title: "no key",
                resources: [record(aws.cloudwatch.LogGroup, { retentionInDays: 90 })],
                expect: /should set kmsKeyId/,
            },
        ],
    },
    {
        policy: ecrScanOnPush,
        pass: [
            {
                title: "scan on push, immutable",
                resources: [
                    record(aws.ecr.Repository, {
                        imageScanningConfiguration: { scanOnPush: true },
                        imageTagMutability: "IMMUTABLE",
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "no scanning",
                resources: [record(aws.ecr.Repository, { imageTagMutability: "IMMUTABLE" })],
                expect: /must scan images on push/,
            },
            {
                title: "mutable tags",
                resources: [
                    record(aws.ecr.Repository, {
                        imageScanningConfiguration: { scanOnPush: true },
                    }),
                ],
                expect: /IMMUTABLE/,
            },
        ],
    },
];
