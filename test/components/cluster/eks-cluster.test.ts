import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
    clusterArgsProblem,
    controlPlaneLogTypes,
    EksCluster,
    type EksClusterArgs,
} from "../../../components/cluster/eks-cluster";
import { amiTypeFor, eksTaint } from "../../../components/cluster/eks-node-groups";
import { defaultAddonVersions, type NodeGroupConfig } from "../../../config/cluster";
import { promiseOf, recordResources } from "../../support/pulumi";

const admins = [
    "arn:aws:iam::111111111111:role/platform-admin",
    "arn:aws:iam::111111111111:role/break-glass",
];
const privateSubnetIds = ["subnet-private-a", "subnet-private-b", "subnet-private-c"];

function group(overrides: Partial<NodeGroupConfig> = {}): NodeGroupConfig {
    return {
        instanceTypes: ["m6i.large"],
        minSize: 2,
        desiredSize: 3,
        maxSize: 5,
        diskSizeGiB: 50,
        labels: {},
        taints: [],
        ...overrides,
    };
}

function args(overrides: Partial<EksClusterArgs> = {}): EksClusterArgs {
    return {
        clusterName: "mcp-test",
        region: "us-east-1",
        version: "1.33",
        vpcId: "vpc-1",
        vpcCidr: "10.10.0.0/16",
        privateSubnetIds,
        adminRoleArns: admins,
        logRetentionDays: 30,
        nodeGroups: {
            system: group({
                taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" }],
            }),
            workload: group({
                instanceTypes: ["m6i.2xlarge"],
                minSize: 6,
                desiredSize: 8,
                maxSize: 30,
                diskSizeGiB: 100,
                labels: { "mcp-platform.io/tier": "apps" },
            }),
        },
        addonVersions: defaultAddonVersions,
        ...overrides,
    };
}

const t = {
    cluster: "aws:eks/cluster:Cluster",
    key: "aws:kms/key:Key",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    nodeGroup: "aws:eks/nodeGroup:NodeGroup",
    launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
    addon: "aws:eks/addon:Addon",
    role: "aws:iam/role:Role",
};

describe("EksCluster", () => {
    let cluster: EksCluster | undefined;
    let recording: ReturnType<typeof recordResources> | undefined;
    const recorded = () =>
        (recording ??= recordResources(() => {
            cluster = new EksCluster("eks", args());
        }));

    it("envelope-encrypts Secrets with its own rotating customer-managed key (CIS 5.3.1)", async () => {
        const r = await recorded();
        const inputs = r.one(t.cluster, "eks-cluster").inputs;
        expect(inputs.encryptionConfig).toEqual({
            provider: { keyArn: "arn:aws:kms:us-east-1:123456789012:eks-secrets-key" },
            resources: ["secrets"],
        });
        expect(r.one(t.key, "eks-secrets-key").inputs.enableKeyRotation).toBe(true);
    });

    it("sends all five control-plane log types to an encrypted log group with retention (CIS 2.1.1)", async () => {
        const r = await recorded();
        expect(r.one(t.cluster, "eks-cluster").inputs.enabledClusterLogTypes).toEqual([
            "api",
            "audit",
            "authenticator",
            "controllerManager",
            "scheduler",
        ]);
        expect(controlPlaneLogTypes).toHaveLength(5);
        const logGroup = r.one(t.logGroup, "eks-control-plane").inputs;
        expect(logGroup).toMatchObject({
            name: "/aws/eks/mcp-test/cluster",
            retentionInDays: 30,
            kmsKeyId: "arn:aws:kms:us-east-1:123456789012:eks-logs-key",
        });
        const keyPolicy = JSON.parse(r.one(t.key, "eks-logs-key").inputs.policy as string);
        expect(keyPolicy.Statement[1].Principal).toEqual({
            Service: "logs.us-east-1.amazonaws.com",
        });
    });

    it("keeps the API endpoint private when no public CIDRs are configured (CIS 5.4.1-5.4.2)", async () => {
        const r = await recorded();
        const vpcConfig = r.one(t.cluster, "eks-cluster").inputs.vpcConfig as Record<
            string,
            unknown
        >;
        expect(vpcConfig).toMatchObject({
            endpointPrivateAccess: true,
            endpointPublicAccess: false,
            subnetIds: privateSubnetIds,
        });
        expect(vpcConfig.publicAccessCidrs).toBeUndefined();
        const https = r.one(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "eks-api-https",
        );
        expect(https.inputs).toMatchObject({
            cidrIpv4: "10.10.0.0/16",
            fromPort: 443,
            toPort: 443,
        });
    });

    it("opens the public endpoint only to the configured CIDRs", async () => {
        const r = await recordResources(
            () => new EksCluster("eks", args({ endpointPublicAccessCidrs: ["203.0.113.0/24"] })),
        );
        expect(r.one(t.cluster, "eks-cluster").inputs.vpcConfig).toMatchObject({
            endpointPrivateAccess: true,
            endpointPublicAccess: true,
            publicAccessCidrs: ["203.0.113.0/24"],
        });
    });

    it("refuses an endpoint open to the internet or a cluster without admins", () => {
        expect(clusterArgsProblem(args())).toBeUndefined();
        expect(clusterArgsProblem(args({ endpointPublicAccessCidrs: ["0.0.0.0/0"] }))).toBe(
            "endpointPublicAccessCidrs must not contain 0.0.0.0/0 (CIS 5.4.1)",
        );
        expect(clusterArgsProblem(args({ adminRoleArns: [] }))).toBe(
            "adminRoleArns needs at least one role",
        );
    });

    it("authenticates through access entries only, one cluster-admin entry per admin role", async () => {
        const r = await recorded();
        expect(r.one(t.cluster, "eks-cluster").inputs.accessConfig).toEqual({
            authenticationMode: "API",
            bootstrapClusterCreatorAdminPermissions: false,
        });
        const entries = r.ofType("aws:eks/accessEntry:AccessEntry");
        expect(entries.map((e) => e.inputs.principalArn)).toEqual(admins);
        for (const entry of entries) expect(entry.inputs.type).toBe("STANDARD");
        const associations = r.ofType("aws:eks/accessPolicyAssociation:AccessPolicyAssociation");
        expect(associations).toHaveLength(2);
        for (const association of associations) {
            expect(association.inputs).toMatchObject({
                policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                accessScope: { type: "cluster" },
            });
        }
    });

    it("registers the cluster's OIDC issuer as an IAM identity provider for IRSA", async () => {
        const r = await recorded();
        const provider = r.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider", "eks-oidc");
        expect(provider.inputs).toEqual({
            url: "https://oidc.eks.us-east-1.amazonaws.com/id/MOCK11",
            clientIdLists: ["sts.amazonaws.com"],
        });
        expect(await promiseOf(cluster!.oidc.issuerHost)).toBe(
            "oidc.eks.us-east-1.amazonaws.com/id/MOCK11",
        );
    });

    it("runs a system and a workload node group, in the private subnets only (CIS 5.4.3)", async () => {
        const r = await recorded();
        const groups = r.ofType(t.nodeGroup);
        expect(groups.map((g) => g.inputs.nodeGroupName).sort()).toEqual([
            "system-nodes",
            "worker-nodes",
        ]);
        for (const g of groups) {
            expect(g.inputs.subnetIds).toEqual(privateSubnetIds);
            expect(g.inputs.amiType).toBe("AL2023_x86_64_STANDARD");
        }
        const workload = r.one(t.nodeGroup, "eks-nodes-workload").inputs;
        expect(workload).toMatchObject({
            instanceTypes: ["m6i.2xlarge"],
            scalingConfig: { minSize: 6, desiredSize: 8, maxSize: 30 },
            labels: { "mcp-platform.io/tier": "apps", "mcp-platform.io/node-group": "workload" },
            taints: [],
            launchTemplate: { id: "eks-nodes-workload-id", version: "1" },
        });
        expect(r.one(t.nodeGroup, "eks-nodes-system").inputs.taints).toEqual([
            { key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" },
        ]);
    });

    it("boots nodes from launch templates with an encrypted gp3 root and IMDSv2 at hop limit 1", async () => {
        const r = await recorded();
        const templates = r.ofType(t.launchTemplate);
        expect(templates).toHaveLength(2);
        for (const template of templates) {
            expect(template.inputs.metadataOptions).toEqual({
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
                instanceMetadataTags: "disabled",
            });
        }
        expect(r.one(t.launchTemplate, "eks-nodes-workload").inputs.blockDeviceMappings).toEqual([
            {
                deviceName: "/dev/xvda",
                ebs: {
                    volumeSize: 100,
                    volumeType: "gp3",
                    encrypted: "true",
                    deleteOnTermination: "true",
                },
            },
        ]);
    });

    it("pins every managed add-on and enforces NetworkPolicies in the VPC CNI (CIS 5.4.4)", async () => {
        const r = await recorded();
        const addons = Object.fromEntries(
            r.ofType(t.addon).map((a) => [a.inputs.addonName, a.inputs]),
        );
        expect(Object.keys(addons).sort()).toEqual([
            "aws-ebs-csi-driver",
            "coredns",
            "kube-proxy",
            "vpc-cni",
        ]);
        expect(addons["vpc-cni"].addonVersion).toBe(defaultAddonVersions.vpcCni);
        expect(addons.coredns.addonVersion).toBe(defaultAddonVersions.coreDns);
        expect(addons["kube-proxy"].addonVersion).toBe(defaultAddonVersions.kubeProxy);
        expect(addons["aws-ebs-csi-driver"].addonVersion).toBe(defaultAddonVersions.ebsCsiDriver);
        expect(JSON.parse(addons["vpc-cni"].configurationValues as string)).toEqual({
            enableNetworkPolicy: "true",
        });
        expect(r.one(t.cluster, "eks-cluster").inputs.bootstrapSelfManagedAddons).toBe(false);
    });

    it("gives the VPC CNI and the EBS CSI driver IRSA roles trusted by their one service account", async () => {
        const r = await recorded();
        const subjects = (name: string) => {
            const trust = JSON.parse(r.one(t.role, name).inputs.assumeRolePolicy as string);
            return trust.Statement.map(
                (s: { Condition: { StringEquals: object } }) =>
                    Object.entries(s.Condition.StringEquals).find(([k]) => k.endsWith(":sub"))?.[1],
            );
        };
        expect(subjects("eks-node-addons-vpc-cni-role")).toEqual([
            "system:serviceaccount:kube-system:aws-node",
        ]);
        expect(subjects("eks-addons-aws-ebs-csi-driver-role")).toEqual([
            "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        ]);
        const addons = r.ofType(t.addon);
        const ebs = addons.find((a) => a.inputs.addonName === "aws-ebs-csi-driver")!;
        expect(ebs.inputs.serviceAccountRoleArn).toMatch(/eks-addons-aws-ebs-csi-driver-role$/);
        // The driver may use the volume key, and only that key.
        const kms = JSON.parse(
            r.one("aws:iam/rolePolicy:RolePolicy", "eks-addons-aws-ebs-csi-driver-policy").inputs
                .policy as string,
        );
        for (const statement of kms.Statement) {
            expect(statement.Resource).toEqual([
                "arn:aws:kms:us-east-1:123456789012:eks-volumes-key",
            ]);
        }
        // Nodes carry no CNI permissions: those live on the aws-node IRSA role.
        const nodePolicies = r
            .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter((a) => a.name.startsWith("eks-nodes-"))
            .map((a) => a.inputs.policyArn);
        expect(nodePolicies).toEqual([
            "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        ]);
    });

    it("makes an encrypted, expandable, retained gp3 StorageClass the cluster default", async () => {
        const r = await recorded();
        const storageClass = r.one("kubernetes:storage.k8s.io/v1:StorageClass", "eks-gp3");
        expect(storageClass.inputs).toMatchObject({
            metadata: {
                name: "gp3",
                annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
            },
            provisioner: "ebs.csi.aws.com",
            parameters: {
                type: "gp3",
                encrypted: "true",
                kmsKeyId: "arn:aws:kms:us-east-1:123456789012:eks-volumes-key",
            },
            volumeBindingMode: "WaitForFirstConsumer",
            allowVolumeExpansion: true,
            reclaimPolicy: "Retain",
        });
        expect(r.one(t.key, "eks-volumes-key").inputs.enableKeyRotation).toBe(true);
        // Created through the cluster's own Kubernetes provider.
        const provider = r.one("pulumi:providers:kubernetes", "eks-k8s");
        expect(storageClass.provider).toBe(provider.urn);
    });

    it("exports a secret kubeconfig that calls `aws eks get-token` for this cluster and region", async () => {
        await recorded();
        expect(await pulumi.isSecret(cluster!.kubeconfig)).toBe(true);
        const config = JSON.parse(await promiseOf(cluster!.kubeconfig));
        expect(config["current-context"]).toBe("mcp-test");
        expect(config.clusters[0].cluster.server).toBe(
            "https://eks-cluster.gr7.us-east-1.eks.amazonaws.com",
        );
        expect(config.users[0].user.exec).toEqual({
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: [
                "eks",
                "get-token",
                "--cluster-name",
                "mcp-test",
                "--region",
                "us-east-1",
                "--output",
                "json",
            ],
            interactiveMode: "Never",
        });
    });

    it("writes the dr region and an AWS profile into the kubeconfig when given", async () => {
        let dr: EksCluster | undefined;
        await recordResources(
            () => {
                dr = new EksCluster("eks", args({ region: "us-west-2", awsProfile: "mcp-dr" }));
            },
            { region: "us-west-2" },
        );
        const exec = JSON.parse(await promiseOf(dr!.kubeconfig)).users[0].user.exec;
        expect(exec.args).toContain("us-west-2");
        expect(exec.env).toEqual([{ name: "AWS_PROFILE", value: "mcp-dr" }]);
    });
});

describe("node group helpers", () => {
    it("picks the AL2023 AMI for the instance architecture and refuses a mix", () => {
        expect(amiTypeFor(["m6i.large", "m7i.large"])).toBe("AL2023_x86_64_STANDARD");
        expect(amiTypeFor(["m7g.large", "c7gn.xlarge"])).toBe("AL2023_ARM_64_STANDARD");
        expect(() => amiTypeFor(["m6i.large", "m7g.large"])).toThrow("cannot mix");
    });

    it("maps Kubernetes taint effects to the EKS API's names", () => {
        expect(eksTaint({ key: "k", effect: "NoExecute" })).toEqual({
            key: "k",
            value: undefined,
            effect: "NO_EXECUTE",
        });
        expect(eksTaint({ key: "k", value: "v", effect: "PreferNoSchedule" }).effect).toBe(
            "PREFER_NO_SCHEDULE",
        );
    });
});
