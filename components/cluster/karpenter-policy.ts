/**
 * The Karpenter controller's IAM permissions, as the Karpenter documentation's getting-started
 * CloudFormation grants them (node lifecycle scoped to resources tagged with this cluster and a
 * NodePool, instance profiles scoped to this cluster, region and an EC2NodeClass, the one
 * interruption queue, passing only the node role), plus the volume key its root volumes are
 * encrypted with and the spot service-linked role EC2 creates on the first spot launch.
 * test/iam/requests/karpenter-controller.yaml lists the requests the controller makes; the
 * differences from the reference policy are in docs/cluster.md ("Karpenter's IAM policy").
 */

/** The tag Karpenter puts on the instance profiles it creates (its `LabelNodeClass`). */
export const karpenterNodeClassTag = "karpenter.k8s.aws/ec2nodeclass";

export interface KarpenterPolicyContext {
    readonly partition: string;
    readonly accountId: string;
    readonly region: string;
    readonly clusterName: string;
    readonly nodeRoleArn: string;
    readonly queueArn: string;
    /** The customer-managed key of the nodes' root volumes. */
    readonly volumeKeyArn: string;
}

type Statement = Record<string, unknown>;

/** The controller policy document (JSON). */
export function karpenterControllerPolicy(ctx: KarpenterPolicyContext): string {
    const ec2 = (resource: string, account = "*") =>
        `arn:${ctx.partition}:ec2:${ctx.region}:${account}:${resource}`;
    const clusterTag = `kubernetes.io/cluster/${ctx.clusterName}`;
    const launched = ["fleet/*", "instance/*", "volume/*", "network-interface/*"].map((r) =>
        ec2(r),
    );
    // A spot launch tags its spot request (the launch template's tag specifications).
    const tagged = [...launched, ec2("spot-instances-request/*")];
    const launchTemplates = ec2("launch-template/*");
    const requestTagged = {
        StringEquals: { [`aws:RequestTag/${clusterTag}`]: "owned" },
        StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
    };
    const resourceTagged = {
        StringEquals: { [`aws:ResourceTag/${clusterTag}`]: "owned" },
        StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
    };
    const profileScope = (kind: "Request" | "Resource") => ({
        [`aws:${kind}Tag/${clusterTag}`]: "owned",
        [`aws:${kind}Tag/topology.kubernetes.io/region`]: ctx.region,
    });

    const statements: Statement[] = [
        {
            Sid: "LaunchFromSharedResources",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet"],
            Resource: [
                ec2("image/*", ""),
                ec2("snapshot/*", ""),
                ec2("spot-instances-request/*"),
                ec2("security-group/*"),
                ec2("subnet/*"),
                ec2("capacity-reservation/*"),
                launchTemplates,
            ],
        },
        {
            Sid: "LaunchTaggedForThisCluster",
            Effect: "Allow",
            Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            Resource: [...launched, launchTemplates],
            Condition: requestTagged,
        },
        {
            Sid: "TagOnCreate",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: [...tagged, launchTemplates],
            Condition: {
                StringEquals: {
                    ...requestTagged.StringEquals,
                    "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                },
                StringLike: requestTagged.StringLike,
            },
        },
        {
            Sid: "TagOwnInstances",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: ec2("instance/*"),
            Condition: {
                ...resourceTagged,
                // The tagging controller adds what an instance lacks of these three.
                "ForAllValues:StringEquals": {
                    "aws:TagKeys": ["karpenter.sh/nodeclaim", "Name", "eks:eks-cluster-name"],
                },
            },
        },
        {
            Sid: "DeleteOwnInstances",
            Effect: "Allow",
            Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            Resource: [ec2("instance/*"), launchTemplates],
            Condition: resourceTagged,
        },
        {
            Sid: "ReadRegion",
            Effect: "Allow",
            Action: [
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            // Describe calls take no resource ARN; the region condition keeps them here.
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": ctx.region } },
        },
        {
            Sid: "ReadPublicAmiParameters",
            Effect: "Allow",
            Action: "ssm:GetParameter",
            Resource: `arn:${ctx.partition}:ssm:${ctx.region}::parameter/aws/service/*`,
        },
        {
            Sid: "ReadPrices",
            Effect: "Allow",
            Action: "pricing:GetProducts",
            Resource: "*",
        },
        {
            Sid: "ConsumeInterruptionQueue",
            Effect: "Allow",
            Action: [
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            Resource: ctx.queueArn,
        },
        {
            Sid: "PassNodeRole",
            Effect: "Allow",
            Action: "iam:PassRole",
            Resource: ctx.nodeRoleArn,
            Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
        },
        {
            Sid: "CreateInstanceProfiles",
            Effect: "Allow",
            Action: "iam:CreateInstanceProfile",
            Resource: `arn:${ctx.partition}:iam::${ctx.accountId}:instance-profile/*`,
            Condition: {
                StringEquals: profileScope("Request"),
                StringLike: { [`aws:RequestTag/${karpenterNodeClassTag}`]: "*" },
            },
        },
        {
            Sid: "TagInstanceProfiles",
            Effect: "Allow",
            Action: "iam:TagInstanceProfile",
            Resource: `arn:${ctx.partition}:iam::${ctx.accountId}:instance-profile/*`,
            Condition: {
                StringEquals: { ...profileScope("Resource"), ...profileScope("Request") },
                StringLike: {
                    [`aws:ResourceTag/${karpenterNodeClassTag}`]: "*",
                    [`aws:RequestTag/${karpenterNodeClassTag}`]: "*",
                },
            },
        },
        {
            Sid: "ManageInstanceProfiles",
            Effect: "Allow",
            Action: [
                "iam:AddRoleToInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:DeleteInstanceProfile",
            ],
            Resource: `arn:${ctx.partition}:iam::${ctx.accountId}:instance-profile/*`,
            Condition: {
                StringEquals: profileScope("Resource"),
                StringLike: { [`aws:ResourceTag/${karpenterNodeClassTag}`]: "*" },
            },
        },
        {
            Sid: "ReadInstanceProfiles",
            Effect: "Allow",
            Action: "iam:GetInstanceProfile",
            Resource: `arn:${ctx.partition}:iam::${ctx.accountId}:instance-profile/*`,
        },
        {
            // Garbage collection lists the profiles under Karpenter's path; IAM has no
            // resource-level permission for listing.
            Sid: "ListInstanceProfiles",
            Effect: "Allow",
            Action: "iam:ListInstanceProfiles",
            Resource: "*",
        },
        {
            // EC2 creates its spot service-linked role, as the caller, on the account's first
            // spot request. Declaring the role in the stack instead would collide: it is one
            // per account, and the production and dr stacks may share the account.
            Sid: "CreateSpotServiceLinkedRole",
            Effect: "Allow",
            Action: "iam:CreateServiceLinkedRole",
            Resource: `arn:${ctx.partition}:iam::${ctx.accountId}:role/aws-service-role/spot.amazonaws.com/AWSServiceRoleForEC2Spot`,
            Condition: { StringEquals: { "iam:AWSServiceName": "spot.amazonaws.com" } },
        },
        {
            Sid: "DiscoverApiEndpoint",
            Effect: "Allow",
            Action: "eks:DescribeCluster",
            Resource: `arn:${ctx.partition}:eks:${ctx.region}:${ctx.accountId}:cluster/${ctx.clusterName}`,
        },
        {
            // RunInstances with a customer-managed key needs the caller to use the key through EC2.
            Sid: "EncryptRootVolumes",
            Effect: "Allow",
            Action: [
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:ReEncrypt*",
            ],
            Resource: ctx.volumeKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `ec2.${ctx.region}.amazonaws.com` } },
        },
    ];
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
