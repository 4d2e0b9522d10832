import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { logsKeyPolicy } from "../kit/kms";
import { nodeSubnetTags, subnetLayout } from "./subnets";

export interface NetworkArgs {
    /** The VPC's address range (/16 to /22); subnets are carved from it per zone. */
    readonly vpcCidr: string;
    /** Availability zones to spread subnets over. @default 3 */
    readonly availabilityZoneCount?: number;
    /**
     * `perAz`: one NAT gateway per zone, so a zone outage never cuts the others off the
     * internet; `single`: one shared NAT gateway (cheaper, a single point of failure).
     * @default "perAz"
     */
    readonly natGateways?: "perAz" | "single";
    /** Retention of the VPC flow logs in CloudWatch. @default 90 */
    readonly flowLogRetentionDays?: number;
    /**
     * EKS cluster that uses the subnets; when set, subnets carry the
     * `kubernetes.io/cluster/<name>: shared` tag load balancer discovery looks for.
     * @default undefined (untagged)
     */
    readonly clusterName?: string;
}

/**
 * A VPC across several availability zones: a public subnet (load balancers, NAT) and a
 * private subnet (nodes and pods) per zone, tagged for load balancer discovery; NAT per zone
 * or shared; the default security group stripped of its rules; and VPC flow logs (all
 * traffic) to a KMS-encrypted CloudWatch log group with retention.
 */
export class Network extends pulumi.ComponentResource {
    public readonly vpcId: pulumi.Output<string>;
    public readonly vpcCidr: pulumi.Output<string>;
    public readonly privateSubnetIds: pulumi.Output<string[]>;
    public readonly publicSubnetIds: pulumi.Output<string[]>;
    public readonly availabilityZones: pulumi.Output<string[]>;
    public readonly natGatewayIds: pulumi.Output<string[]>;
    public readonly flowLogGroupName: pulumi.Output<string>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:network:Network", name, {}, opts);

        const zoneCount = args.availabilityZoneCount ?? 3;
        const natMode = args.natGateways ?? "perAz";
        const layout = subnetLayout(args.vpcCidr, zoneCount);
        const clusterTag: Record<string, string> = args.clusterName
            ? { [`kubernetes.io/cluster/${args.clusterName}`]: "shared" }
            : {};

        const zones = aws
            .getAvailabilityZonesOutput({ state: "available" }, { parent: this })
            .names.apply((names) => {
                if (names.length < zoneCount) {
                    throw new pulumi.ResourceError(
                        `${zoneCount} availability zones requested but the region has ${names.length}`,
                        this,
                    );
                }
                return names.slice(0, zoneCount);
            });

        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.vpcCidr,
                enableDnsHostnames: true,
                enableDnsSupport: true,
                tags: { Name: name },
            },
            { parent: this },
        );

        // CIS AWS Foundations 5.4: the default security group allows nothing.
        new aws.ec2.DefaultSecurityGroup(
            `${name}-default-sg`,
            { vpcId: vpc.id, ingress: [], egress: [], tags: { Name: `${name}-default` } },
            { parent: this },
        );

        const igw = new aws.ec2.InternetGateway(
            `${name}-igw`,
            { vpcId: vpc.id, tags: { Name: name } },
            { parent: this },
        );

        const publicRoutes = new aws.ec2.RouteTable(
            `${name}-public-rt`,
            { vpcId: vpc.id, tags: { Name: `${name}-public` } },
            { parent: this },
        );
        new aws.ec2.Route(
            `${name}-public-default`,
            {
                routeTableId: publicRoutes.id,
                destinationCidrBlock: "0.0.0.0/0",
                gatewayId: igw.id,
            },
            { parent: this },
        );

        const publicSubnets = layout.publicCidrs.map((cidr, zone) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-public-${zone}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: cidr,
                    availabilityZone: zones.apply((z) => z[zone]),
                    mapPublicIpOnLaunch: false,
                    tags: {
                        Name: `${name}-public-${zone}`,
                        "kubernetes.io/role/elb": "1",
                        ...clusterTag,
                    },
                },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-public-${zone}`,
                { subnetId: subnet.id, routeTableId: publicRoutes.id },
                { parent: this },
            );
            return subnet;
        });

        const natCount = natMode === "perAz" ? zoneCount : 1;
        const natGateways = [...Array(natCount).keys()].map((zone) => {
            const eip = new aws.ec2.Eip(
                `${name}-nat-${zone}`,
                { domain: "vpc", tags: { Name: `${name}-nat-${zone}` } },
                { parent: this },
            );
            return new aws.ec2.NatGateway(
                `${name}-nat-${zone}`,
                {
                    allocationId: eip.id,
                    subnetId: publicSubnets[zone].id,
                    tags: { Name: `${name}-nat-${zone}` },
                },
                { parent: this, dependsOn: [igw] },
            );
        });

        const privateSubnets = layout.privateCidrs.map((cidr, zone) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${zone}`,
                {
                    vpcId: vpc.id,
                    cidrBlock: cidr,
                    availabilityZone: zones.apply((z) => z[zone]),
                    mapPublicIpOnLaunch: false,
                    tags: {
                        Name: `${name}-private-${zone}`,
                        "kubernetes.io/role/internal-elb": "1",
                        ...clusterTag,
                        ...nodeSubnetTags(args.clusterName),
                    },
                },
                { parent: this },
            );
            const routes = new aws.ec2.RouteTable(
                `${name}-private-${zone}`,
                { vpcId: vpc.id, tags: { Name: `${name}-private-${zone}` } },
                { parent: this },
            );
            new aws.ec2.Route(
                `${name}-private-${zone}-default`,
                {
                    routeTableId: routes.id,
                    destinationCidrBlock: "0.0.0.0/0",
                    natGatewayId: natGateways[natMode === "perAz" ? zone : 0].id,
                },
                { parent: this },
            );
            new aws.ec2.RouteTableAssociation(
                `${name}-private-${zone}`,
                { subnetId: subnet.id, routeTableId: routes.id },
                { parent: this },
            );
            return subnet;
        });

        const flowLogGroup = this.flowLogs(name, vpc, args.flowLogRetentionDays ?? 90);

        this.vpcId = vpc.id;
        this.vpcCidr = vpc.cidrBlock;
        this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
        this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
        this.availabilityZones = zones;
        this.natGatewayIds = pulumi.all(natGateways.map((n) => n.id));
        this.flowLogGroupName = flowLogGroup.name;
        this.registerOutputs({
            vpcId: this.vpcId,
            vpcCidr: this.vpcCidr,
            privateSubnetIds: this.privateSubnetIds,
            publicSubnetIds: this.publicSubnetIds,
            availabilityZones: this.availabilityZones,
            natGatewayIds: this.natGatewayIds,
            flowLogGroupName: this.flowLogGroupName,
        });
    }

    /** VPC flow logs of all traffic to a KMS-encrypted log group, written by a scoped role. */
    private flowLogs(
        name: string,
        vpc: aws.ec2.Vpc,
        retentionDays: number,
    ): aws.cloudwatch.LogGroup {
        const identity = aws.getCallerIdentityOutput({}, { parent: this });
        const partition = aws.getPartitionOutput({}, { parent: this });
        const region = aws.getRegionOutput({}, { parent: this });
        const context = pulumi.all([partition.partition, identity.accountId, region.region]);

        const key = new aws.kms.Key(
            `${name}-flow-logs-key`,
            {
                description: `Encrypts the VPC flow logs of ${name}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: context.apply(([partition, accountId, region]) =>
                    logsKeyPolicy({ partition, accountId, region }),
                ),
            },
            // The flow logs are audit evidence: neither they nor their key go with an update.
            { parent: this, protect: true },
        );
        const group = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            { retentionInDays: retentionDays, kmsKeyId: key.arn },
            { parent: this, protect: true },
        );
        const role = new aws.iam.Role(
            `${name}-flow-logs`,
            {
                description: `Delivers the VPC flow logs of ${name} to CloudWatch`,
                assumeRolePolicy: context.apply(([partition, accountId, region]) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Allow",
                                Principal: { Service: "vpc-flow-logs.amazonaws.com" },
                                Action: "sts:AssumeRole",
                                Condition: {
                                    StringEquals: { "aws:SourceAccount": accountId },
                                    ArnLike: {
                                        "aws:SourceArn": `arn:${partition}:ec2:${region}:${accountId}:vpc-flow-log/*`,
                                    },
                                },
                            },
                        ],
                    }),
                ),
            },
            { parent: this },
        );
        new aws.iam.RolePolicy(
            `${name}-flow-logs`,
            {
                role: role.name,
                policy: group.arn.apply((arn) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Sid: "WriteOwnLogGroup",
                                Effect: "Allow",
                                Action: [
                                    "logs:CreateLogStream",
                                    "logs:PutLogEvents",
                                    "logs:DescribeLogStreams",
                                ],
                                Resource: [arn, `${arn}:*`],
                            },
                            {
                                // DescribeLogGroups has no resource-level permissions: scoped
                                // to the group's ARN it would never be granted.
                                Sid: "ListLogGroups",
                                Effect: "Allow",
                                Action: "logs:DescribeLogGroups",
                                Resource: "*",
                            },
                        ],
                    }),
                ),
            },
            { parent: this },
        );
        new aws.ec2.FlowLog(
            `${name}-flow-log`,
            {
                vpcId: vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: group.arn,
                iamRoleArn: role.arn,
                maxAggregationInterval: 60,
                tags: { Name: name },
            },
            { parent: this },
        );
        return group;
    }
}
