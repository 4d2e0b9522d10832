import { describe, expect, it } from "vitest";
import { cidrSubnet, subnetLayout } from "../../../components/network/subnets";
import { Network, type NetworkArgs } from "../../../components/network/network";
import { recordResources } from "../../support/pulumi";

const subnet = "aws:ec2/subnet:Subnet";
const nat = "aws:ec2/natGateway:NatGateway";
const route = "aws:ec2/route:Route";

function network(args: Partial<NetworkArgs> = {}) {
    return recordResources(
        () => new Network("net", { vpcCidr: "10.10.0.0/16", clusterName: "mcp-test", ...args }),
    );
}

describe("subnetLayout", () => {
    it("gives each zone a /19 private and a /22 public subnet of a /16, without overlap", () => {
        expect(subnetLayout("10.10.0.0/16", 3)).toEqual({
            privateCidrs: ["10.10.0.0/19", "10.10.32.0/19", "10.10.64.0/19"],
            publicCidrs: ["10.10.224.0/22", "10.10.228.0/22", "10.10.232.0/22"],
        });
    });

    it("keeps public subnets clear of private ones at six zones and a /22 VPC", () => {
        const layout = subnetLayout("10.20.0.0/22", 6);
        expect(layout.privateCidrs.at(-1)).toBe("10.20.2.128/25");
        expect(layout.publicCidrs).toEqual([
            "10.20.3.128/28",
            "10.20.3.144/28",
            "10.20.3.160/28",
            "10.20.3.176/28",
            "10.20.3.192/28",
            "10.20.3.208/28",
        ]);
    });

    it("refuses a subnet index outside the block", () => {
        expect(() => cidrSubnet("10.0.0.0/16", 3, 8)).toThrow("has no subnet #8");
        expect(() => cidrSubnet("10.0.0.0/30", 3, 0)).toThrow("cannot add 3 bits");
    });
});

describe("Network", () => {
    // One recording of the default network, shared by the tests that only read it.
    let recording: ReturnType<typeof network> | undefined;
    const defaults = () => (recording ??= network());

    it("spreads a public and a private subnet over each of three zones, tagged for load balancers", async () => {
        const recorded = await defaults();
        const subnets = recorded.ofType(subnet);
        expect(subnets).toHaveLength(6);
        const privates = subnets.filter((s) => s.name.startsWith("net-private-"));
        const publics = subnets.filter((s) => s.name.startsWith("net-public-"));
        expect(privates.map((s) => s.inputs.availabilityZone)).toEqual([
            "us-east-1a",
            "us-east-1b",
            "us-east-1c",
        ]);
        for (const s of privates) {
            expect(s.inputs.tags).toMatchObject({
                "kubernetes.io/role/internal-elb": "1",
                "kubernetes.io/cluster/mcp-test": "shared",
            });
            expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
        }
        for (const s of publics) {
            expect(s.inputs.tags).toMatchObject({ "kubernetes.io/role/elb": "1" });
            expect(s.inputs.mapPublicIpOnLaunch).toBe(false);
        }
        const vpc = recorded.one("aws:ec2/vpc:Vpc", "net-vpc");
        expect(vpc.inputs).toMatchObject({
            cidrBlock: "10.10.0.0/16",
            enableDnsHostnames: true,
            enableDnsSupport: true,
        });
    });

    it("gives every zone its own NAT gateway by default", async () => {
        const recorded = await defaults();
        const gateways = recorded.ofType(nat);
        expect(gateways.map((g) => g.inputs.subnetId)).toEqual([
            "net-public-0-id",
            "net-public-1-id",
            "net-public-2-id",
        ]);
        for (const zone of [0, 1, 2]) {
            expect(recorded.one(route, `net-private-${zone}-default`).inputs).toEqual({
                routeTableId: `net-private-${zone}-id`,
                destinationCidrBlock: "0.0.0.0/0",
                natGatewayId: `net-nat-${zone}-id`,
            });
        }
        expect(recorded.one(route, "net-public-default").inputs.gatewayId).toBe("net-igw-id");
    });

    it("shares one NAT gateway when the stack asks for a single one", async () => {
        const recorded = await network({ natGateways: "single" });
        expect(recorded.ofType(nat)).toHaveLength(1);
        expect(recorded.ofType("aws:ec2/eip:Eip")).toHaveLength(1);
        for (const zone of [0, 1, 2]) {
            expect(recorded.one(route, `net-private-${zone}-default`).inputs.natGatewayId).toBe(
                "net-nat-0-id",
            );
        }
    });

    it("strips every rule from the default security group", async () => {
        const recorded = await defaults();
        const group = recorded.one(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "net-default-sg",
        );
        expect(group.inputs.ingress).toEqual([]);
        expect(group.inputs.egress).toEqual([]);
    });

    it("logs all VPC traffic to a KMS-encrypted log group with the configured retention", async () => {
        const recorded = await network({ flowLogRetentionDays: 30 });
        const flowLog = recorded.one("aws:ec2/flowLog:FlowLog", "net-flow-log");
        expect(flowLog.inputs).toMatchObject({
            vpcId: "net-vpc-id",
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
        });
        const group = recorded.one("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs");
        expect(group.inputs.retentionInDays).toBe(30);
        expect(flowLog.inputs.logDestination).toBe(
            group.inputs.arn ?? flowLog.inputs.logDestination,
        );
        const key = recorded.one("aws:kms/key:Key", "net-flow-logs-key");
        expect(group.inputs.kmsKeyId).toBe("arn:aws:kms:us-east-1:123456789012:net-flow-logs-key");
        expect(key.inputs.enableKeyRotation).toBe(true);
        const keyPolicy = JSON.parse(key.inputs.policy as string);
        const logsStatement = keyPolicy.Statement.find(
            (s: { Principal: { Service?: string } }) => s.Principal.Service,
        );
        expect(logsStatement.Principal.Service).toBe("logs.us-east-1.amazonaws.com");
        expect(logsStatement.Condition.ArnLike).toEqual({
            "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-east-1:123456789012:log-group:*",
        });
    });

    it("lets only this account's flow-log service write, and only to its own log group", async () => {
        const recorded = await defaults();
        const role = recorded.one("aws:iam/role:Role", "net-flow-logs");
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string).Statement[0];
        expect(trust.Principal).toEqual({ Service: "vpc-flow-logs.amazonaws.com" });
        expect(trust.Condition.StringEquals).toEqual({ "aws:SourceAccount": "123456789012" });
        const policy = JSON.parse(
            recorded.one("aws:iam/rolePolicy:RolePolicy", "net-flow-logs").inputs.policy as string,
        );
        const arn = recorded.one("aws:ec2/flowLog:FlowLog", "net-flow-log").inputs.logDestination;
        expect(policy.Statement).toEqual([
            expect.objectContaining({ Effect: "Allow", Resource: [arn, `${arn}:*`] }),
        ]);
    });

    it("names children after the instance so two networks never collide", async () => {
        const recorded = await recordResources(() => {
            new Network("a", { vpcCidr: "10.1.0.0/16" });
            new Network("b", { vpcCidr: "10.2.0.0/16", availabilityZoneCount: 2 });
        });
        const urns = recorded.records.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
        const untagged = recorded.ofType(subnet).filter((s) => s.name.startsWith("a-"));
        for (const s of untagged) {
            expect(
                Object.keys(s.inputs.tags as object).some((k) =>
                    k.startsWith("kubernetes.io/cluster/"),
                ),
            ).toBe(false);
        }
    });
});
