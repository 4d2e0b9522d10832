/**
 * The IAM policy of the AWS Load Balancer Controller (chart 3.5.0 / controller v3.5.0).
 *
 * Written from the permissions the controller's installation guide documents
 * (kubernetes-sigs/aws-load-balancer-controller, docs/install/iam_policy.json at v3.5.0),
 * regrouped and narrowed for this platform:
 * - no statement allows `Action: "*"`, and every action is named;
 * - `Resource: "*"` stays only where the API has no resource-level permissions (Describe*,
 *   the ACM/IAM certificate listings, Shield's subscription and CreateProtection,
 *   `elasticloadbalancing:SetWebAcl`); certificates, web ACLs, user pools and protections
 *   are this account's;
 * - every ARN is pinned to this stack's partition, region and account instead of `*:*`,
 *   and new security groups may only be created in this stack's VPC;
 * - the WAF Classic (`waf-regional`) actions are left out: the chart runs with
 *   `enableWaf: false` (WAF Classic has reached end of support); WAFv2 stays.
 */
export interface LoadBalancerControllerScope {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    /** The cluster's VPC: the only VPC the controller may create security groups in. */
    readonly vpcId: string;
}

/** The tag the controller puts on everything it creates (`elbv2.k8s.aws/cluster`). */
const clusterTag = "elbv2.k8s.aws/cluster";

export function loadBalancerControllerPolicy(scope: LoadBalancerControllerScope): string {
    const { partition, region, accountId, vpcId } = scope;
    const ec2 = (resource: string) => `arn:${partition}:ec2:${region}:${accountId}:${resource}`;
    const elb = (resource: string) =>
        `arn:${partition}:elasticloadbalancing:${region}:${accountId}:${resource}`;
    const securityGroups = ec2("security-group/*");
    const balancersAndTargetGroups = [
        elb("targetgroup/*/*"),
        elb("loadbalancer/net/*/*"),
        elb("loadbalancer/app/*/*"),
    ];
    const listenersAndRules = [
        elb("listener/net/*/*/*"),
        elb("listener/app/*/*/*"),
        elb("listener-rule/net/*/*/*"),
        elb("listener-rule/app/*/*/*"),
    ];
    const ownedByController = { Null: { [`aws:ResourceTag/${clusterTag}`]: "false" } };

    const statements = [
        {
            Sid: "CreateElbServiceLinkedRole",
            Action: ["iam:CreateServiceLinkedRole"],
            Resource: `arn:${partition}:iam::${accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`,
            Condition: {
                StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" },
            },
        },
        {
            // Read-only discovery; these APIs have no resource-level permissions.
            Sid: "DiscoverNetworkAndLoadBalancers",
            Action: [
                "ec2:DescribeAccountAttributes",
                "ec2:DescribeAddresses",
                "ec2:DescribeAvailabilityZones",
                "ec2:DescribeInternetGateways",
                "ec2:DescribeVpcs",
                "ec2:DescribeVpcPeeringConnections",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstances",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeTags",
                "ec2:DescribeRouteTables",
                "ec2:DescribeIpamPools",
                "ec2:DescribeCoipPools",
                "elasticloadbalancing:DescribeLoadBalancers",
                "elasticloadbalancing:DescribeLoadBalancerAttributes",
                "elasticloadbalancing:DescribeListeners",
                "elasticloadbalancing:DescribeListenerAttributes",
                "elasticloadbalancing:DescribeListenerCertificates",
                "elasticloadbalancing:DescribeSSLPolicies",
                "elasticloadbalancing:DescribeRules",
                "elasticloadbalancing:DescribeTargetGroups",
                "elasticloadbalancing:DescribeTargetGroupAttributes",
                "elasticloadbalancing:DescribeTargetHealth",
                "elasticloadbalancing:DescribeTags",
                "elasticloadbalancing:DescribeTrustStores",
                "elasticloadbalancing:DescribeCapacityReservation",
            ],
            Resource: "*",
        },
        {
            // Reads that name a resource: only this stack's VPC, and Outposts pools here.
            Sid: "DiscoverInClusterVpc",
            Action: ["ec2:GetSecurityGroupsForVpc", "ec2:GetCoipPoolUsage"],
            Resource: [ec2(`vpc/${vpcId}`), ec2("coip-pool/*")],
        },
        {
            // TLS certificates, WAFv2 web ACLs, Shield and Cognito for Ingress annotations:
            // the listings and calls that have no resource-level permissions.
            Sid: "IngressIntegrationLookups",
            Action: [
                "acm:ListCertificates",
                "iam:ListServerCertificates",
                "shield:GetSubscriptionState",
                "shield:CreateProtection",
            ],
            Resource: "*",
        },
        {
            // The same integrations on what an Ingress names, in this account (and region):
            // an ALB can use only certificates, web ACLs and user pools of its own.
            Sid: "IngressIntegrations",
            Action: [
                "acm:DescribeCertificate",
                "iam:GetServerCertificate",
                "cognito-idp:DescribeUserPoolClient",
                "wafv2:GetWebACL",
                "wafv2:GetWebACLForResource",
                "wafv2:AssociateWebACL",
                "wafv2:DisassociateWebACL",
                "shield:DescribeProtection",
                "shield:DeleteProtection",
            ],
            Resource: [
                `arn:${partition}:acm:${region}:${accountId}:certificate/*`,
                `arn:${partition}:iam::${accountId}:server-certificate/*`,
                `arn:${partition}:cognito-idp:${region}:${accountId}:userpool/*`,
                `arn:${partition}:wafv2:${region}:${accountId}:regional/webacl/*/*`,
                elb("loadbalancer/app/*/*"),
                `arn:${partition}:shield::${accountId}:protection/*`,
            ],
        },
        {
            // Associating a web ACL with an ALB; the action has no resource-level
            // permissions, so it is granted on "*" as the controller's published policy does.
            Sid: "SetWebAcl",
            Action: ["elasticloadbalancing:SetWebAcl"],
            Resource: "*",
        },
        {
            // Opens node/pod security groups to the load balancers' security groups.
            Sid: "ManageSecurityGroupRules",
            Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            Resource: securityGroups,
        },
        {
            Sid: "CreateSecurityGroupsInClusterVpc",
            Action: ["ec2:CreateSecurityGroup"],
            Resource: [securityGroups, ec2(`vpc/${vpcId}`)],
        },
        {
            Sid: "TagNewSecurityGroups",
            Action: ["ec2:CreateTags"],
            Resource: securityGroups,
            Condition: {
                StringEquals: { "ec2:CreateAction": "CreateSecurityGroup" },
                Null: { [`aws:RequestTag/${clusterTag}`]: "false" },
            },
        },
        {
            Sid: "RetagOwnedSecurityGroups",
            Action: ["ec2:CreateTags", "ec2:DeleteTags"],
            Resource: securityGroups,
            Condition: {
                Null: {
                    [`aws:RequestTag/${clusterTag}`]: "true",
                    [`aws:ResourceTag/${clusterTag}`]: "false",
                },
            },
        },
        {
            Sid: "DeleteOwnedSecurityGroups",
            Action: [
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:DeleteSecurityGroup",
            ],
            Resource: securityGroups,
            Condition: ownedByController,
        },
        {
            Sid: "CreateTaggedLoadBalancers",
            Action: [
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateTargetGroup",
            ],
            Resource: balancersAndTargetGroups,
            Condition: { Null: { [`aws:RequestTag/${clusterTag}`]: "false" } },
        },
        {
            Sid: "TagOnCreate",
            Action: ["elasticloadbalancing:AddTags"],
            Resource: balancersAndTargetGroups,
            Condition: {
                StringEquals: {
                    "elasticloadbalancing:CreateAction": [
                        "CreateTargetGroup",
                        "CreateLoadBalancer",
                    ],
                },
                Null: { [`aws:RequestTag/${clusterTag}`]: "false" },
            },
        },
        {
            Sid: "RetagOwnedLoadBalancers",
            Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            Resource: balancersAndTargetGroups,
            Condition: {
                Null: {
                    [`aws:RequestTag/${clusterTag}`]: "true",
                    [`aws:ResourceTag/${clusterTag}`]: "false",
                },
            },
        },
        {
            Sid: "ModifyOwnedLoadBalancers",
            Action: [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            Resource: balancersAndTargetGroups,
            Condition: ownedByController,
        },
        {
            Sid: "ManageListenersAndRules",
            Action: [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:AddListenerCertificates",
                "elasticloadbalancing:RemoveListenerCertificates",
            ],
            Resource: [...balancersAndTargetGroups, ...listenersAndRules],
        },
        {
            Sid: "TagListenersAndRules",
            Action: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            Resource: listenersAndRules,
        },
        {
            Sid: "RegisterTargets",
            Action: [
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:DeregisterTargets",
            ],
            Resource: elb("targetgroup/*/*"),
        },
    ];
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: statements.map((statement) => ({ Effect: "Allow", ...statement })),
    });
}
