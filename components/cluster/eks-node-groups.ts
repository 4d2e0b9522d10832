import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenedLaunchTemplate } from "../kit/launch-template";
import { nodeGroupLabel } from "../../contracts/names";

export interface NodeGroupSpec {
    /** The physical node group name operators type (`eksctl scale nodegroup --name=...`). */
    readonly nodeGroupName: string;
    /** Capacity, instance types, disk, labels and taints from the stack config. */
    readonly capacity: NodeGroupCapacity;
}

export interface EksNodeGroupsArgs {
    readonly clusterName: pulumi.Input<string>;
    /** Kubernetes minor version of the kubelets; follows the control plane. */
    readonly version: pulumi.Input<string>;
    /** Private subnets only: nodes never get a public address (CIS 5.4.3). */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** Group key (e.g. `system`) → its spec. The key becomes the `nodeGroupLabel` value. */
    readonly groups: Readonly<Record<string, NodeGroupSpec>>;
}

/** A Kubernetes taint on a node group's nodes. */
export interface NodeTaint {
    readonly key: string;
    readonly value?: string;
    readonly effect: "NoSchedule" | "NoExecute" | "PreferNoSchedule";
}

/** A managed node group's instances, sizes, labels and taints. */
export interface NodeGroupCapacity {
    readonly instanceTypes: string[];
    readonly minSize: number;
    readonly desiredSize: number;
    readonly maxSize: number;
    readonly diskSizeGiB: number;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly NodeTaint[];
    /** The sizes of an activated standby (docs/dr.md). @default the sizes above */
    readonly activated?: { readonly minSize: number; readonly desiredSize: number };
}

const taintEffects: Record<NodeTaint["effect"], string> = {
    NoSchedule: "NO_SCHEDULE",
    NoExecute: "NO_EXECUTE",
    PreferNoSchedule: "PREFER_NO_SCHEDULE",
};

/** The EKS taint shape of a config taint (`NoSchedule` → `NO_SCHEDULE`). */
export function eksTaint(taint: NodeTaint): aws.types.input.eks.NodeGroupTaint {
    return { key: taint.key, value: taint.value, effect: taintEffects[taint.effect] };
}

/** The Amazon Linux 2023 AMI type for the instance types: Graviton (`m7g`) or x86-64. */
export function amiTypeFor(instanceTypes: readonly string[]): string {
    const arm = instanceTypes.map((type) => /^[a-z]+\d+[a-z]*g[a-z]*\./.test(type));
    if (arm.some((a) => a !== arm[0])) {
        throw new Error(
            `a node group cannot mix Graviton and x86-64 instance types: ${instanceTypes.join(", ")}`,
        );
    }
    return arm[0] ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

/**
 * EKS managed node groups in private subnets, sharing one node role. Each group has its own
 * launch template: an encrypted gp3 root volume and IMDSv2 required with a hop limit of 1,
 * so pods cannot reach the node's instance credentials and must use IRSA.
 */
export class EksNodeGroups extends pulumi.ComponentResource {
    public readonly nodeRoleArn: pulumi.Output<string>;
    /** The node role's name, for policies other components attach (the image cache's). */
    public readonly nodeRoleName: pulumi.Output<string>;
    /** Group key → the `aws.eks.NodeGroup`. */
    public readonly nodeGroups: Record<string, aws.eks.NodeGroup>;

    constructor(name: string, args: EksNodeGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:eks:NodeGroups", name, {}, opts);

        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: "EKS worker nodes",
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "ec2.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
            },
            { parent: this },
        );
        // The CNI's permissions live on its own IRSA role, not here; image pulls are
        // read-only (CIS 5.1.3).
        const attachments = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"].map(
            (policy) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-${policy}`,
                    {
                        role: role.name,
                        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`,
                    },
                    { parent: this },
                ),
        );

        this.nodeGroups = {};
        for (const [group, spec] of Object.entries(args.groups)) {
            const capacity = spec.capacity;
            const template = new aws.ec2.LaunchTemplate(
                `${name}-${group}`,
                {
                    description: `EKS ${spec.nodeGroupName}: encrypted gp3 root, IMDSv2 only`,
                    updateDefaultVersion: true,
                    ...hardenedLaunchTemplate({
                        rootVolumeGiB: capacity.diskSizeGiB,
                        nameTag: spec.nodeGroupName,
                    }),
                },
                { parent: this },
            );
            this.nodeGroups[group] = new aws.eks.NodeGroup(
                `${name}-${group}`,
                {
                    clusterName: args.clusterName,
                    nodeGroupName: spec.nodeGroupName,
                    version: args.version,
                    nodeRoleArn: role.arn,
                    subnetIds: args.privateSubnetIds,
                    amiType: amiTypeFor(capacity.instanceTypes),
                    capacityType: "ON_DEMAND",
                    instanceTypes: [...capacity.instanceTypes],
                    scalingConfig: {
                        minSize: capacity.minSize,
                        desiredSize: capacity.desiredSize,
                        maxSize: capacity.maxSize,
                    },
                    labels: { ...capacity.labels, [nodeGroupLabel]: group },
                    taints: capacity.taints.map(eksTaint),
                    launchTemplate: {
                        id: template.id,
                        version: template.latestVersion.apply(String),
                    },
                    updateConfig: { maxUnavailablePercentage: 33 },
                    nodeRepairConfig: { enabled: true },
                },
                {
                    parent: this,
                    dependsOn: attachments,
                    // The group's name is fixed (operators type it), and a change EKS cannot
                    // make in place (instance types, AMI architecture) replaces the group: the
                    // old one must go first, or the new one collides with its name. EKS drains
                    // it; the pods move to the other group and to Karpenter's nodes
                    // (docs/cluster.md, "Changing a node group's instance types").
                    deleteBeforeReplace: true,
                },
            );
        }

        this.nodeRoleArn = role.arn;
        this.nodeRoleName = role.name;
        this.registerOutputs({ nodeRoleArn: this.nodeRoleArn, nodeRoleName: this.nodeRoleName });
    }
}
