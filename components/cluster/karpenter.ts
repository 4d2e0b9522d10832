import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dataNamespace, dataStoreNodePool } from "../../contracts/names";
import { IrsaRole } from "../kit/irsa-role";
import type { OidcIdentity } from "../kit/irsa";
import { KarpenterInterruption } from "./karpenter-interruption";
import {
    budgetsInsideWindows,
    budgetsOutsideWindows,
    ec2NodeClassManifest,
    generalNodePoolName,
    nodeClassName,
    nodePoolManifest,
} from "./karpenter-node-pools";
import { karpenterControllerPolicy } from "./karpenter-policy";
import type { MaintenanceWindow } from "../../contracts/monitoring";
import type { NodePoolSettings } from "./karpenter-node-pools";
import { parameterFenceStatement } from "./parameter-fence";
import { karpenterDiscoveryTag, nodeGroupLabel } from "../../contracts/names";
import { chartReference, helmCharts, karpenterCrdChart } from "../../contracts/pinned-sources";

/** The Helm chart, from Karpenter's OCI registry; the CRDs come from their own chart. */
export const karpenterCharts = {
    controller: chartReference(helmCharts.karpenter),
    crds: chartReference({ ...helmCharts.karpenter, chart: karpenterCrdChart }),
} as const;

/** Where the controller runs, as Karpenter's EKS documentation installs it. */
export const karpenterServiceAccount = { namespace: "kube-system", name: "karpenter" } as const;

/** The nodes Karpenter launches: their AMI, root volume and the two NodePools. */
export interface KarpenterSettings {
    /** EC2NodeClass `amiSelectorTerms[].alias`, e.g. `al2023@v20251120`. */
    readonly amiAlias: string;
    readonly rootVolumeGiB: number;
    readonly nodePools: {
        readonly general: NodePoolSettings;
        readonly dataStores: NodePoolSettings;
    };
}

/** AWS-managed policies of the nodes Karpenter launches (the CNI has its own IRSA role). */
export const karpenterNodePolicies = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
] as const;

export interface KarpenterArgs {
    /** The EKS cluster name, also the interruption queue's name and the discovery tag value. */
    readonly clusterName: string;
    readonly clusterEndpoint: pulumi.Input<string>;
    readonly region: string;
    readonly oidc: OidcIdentity;
    /** The EKS-managed cluster security group: tagged for discovery, attached to every node. */
    readonly clusterSecurityGroupId: pulumi.Input<string>;
    /** The customer-managed key of the cluster's volumes; root volumes use it too. */
    readonly volumeKeyArn: pulumi.Input<string>;
    /** The pinned chart version (controller and CRDs). */
    readonly chartVersion: string;
    /** NodePools, AMI and root volume from `mcp-platform:cluster.karpenter`. */
    readonly settings: KarpenterSettings;
    /** The stack's maintenance windows (`mcp-platform:monitoring.maintenanceWindows`). */
    readonly maintenanceWindows: readonly MaintenanceWindow[];
}

/** Helm values: IRSA service account, interruption queue, the system node group only. */
export function karpenterValues(settings: {
    clusterName: string;
    clusterEndpoint: string;
    interruptionQueue: string;
    roleArn: string;
}): Record<string, unknown> {
    const selector = {
        "app.kubernetes.io/name": "karpenter",
        "app.kubernetes.io/instance": "karpenter",
    };
    return {
        settings: {
            clusterName: settings.clusterName,
            clusterEndpoint: settings.clusterEndpoint,
            interruptionQueue: settings.interruptionQueue,
        },
        serviceAccount: {
            name: karpenterServiceAccount.name,
            annotations: { "eks.amazonaws.com/role-arn": settings.roleArn },
        },
        replicas: 2,
        // On the managed system group, never on a node Karpenter itself launched (it would
        // consolidate away the node it runs on).
        nodeSelector: { [nodeGroupLabel]: "system" },
        tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                        {
                            matchExpressions: [
                                { key: nodeGroupLabel, operator: "In", values: ["system"] },
                                { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
                            ],
                        },
                    ],
                },
            },
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                        topologyKey: "kubernetes.io/hostname",
                        labelSelector: { matchLabels: selector },
                    },
                ],
            },
        },
        controller: {
            resources: {
                requests: { cpu: "1", memory: "1Gi" },
                limits: { cpu: "1", memory: "1Gi" },
            },
        },
    };
}

/**
 * Karpenter on EKS as its documentation installs it: the controller (two replicas on the
 * system node group) with an IRSA role, the node role with its EC2_LINUX access entry, the
 * interruption queue and its EventBridge rules, the discovery tag on the cluster security
 * group (the private subnets carry it from the Network), the EC2NodeClass and the NodePools
 * of the workloads and the data stores (docs/cluster.md, "Karpenter").
 */
export class Karpenter extends pulumi.ComponentResource {
    public readonly controllerRoleArn: pulumi.Output<string>;
    public readonly nodeRoleArn: pulumi.Output<string>;
    /** The role name of Karpenter's nodes (the image cache attaches its pull policy). */
    public readonly nodeRoleName: pulumi.Output<string>;
    public readonly interruptionQueueName: pulumi.Output<string>;
    /** Depend on it before anything that needs Karpenter's capacity. */
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:Karpenter", name, {}, opts);

        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

        const nodeRole = new aws.iam.Role(
            `${name}-node`,
            {
                description: `Nodes Karpenter launches in ${args.clusterName}`,
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
        const nodePolicies = karpenterNodePolicies.map(
            (policy) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-node-${policy}`,
                    {
                        role: nodeRole.name,
                        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`,
                    },
                    { parent: this },
                ),
        );
        // Lets the nodes join: EKS maps the role to system:nodes (no aws-auth ConfigMap).
        // The SSM agent's managed policy reads every parameter; the nodes need none of ours.
        const nodeParameters = new aws.iam.RolePolicy(
            `${name}-node-parameters`,
            {
                role: nodeRole.name,
                policy: partition.apply((p) =>
                    JSON.stringify({
                        Version: "2012-10-17",
                        Statement: [parameterFenceStatement({ partition: p, allowed: [] })],
                    }),
                ),
            },
            { parent: this },
        );
        const access = new aws.eks.AccessEntry(
            `${name}-node`,
            { clusterName: args.clusterName, principalArn: nodeRole.arn, type: "EC2_LINUX" },
            { parent: this },
        );

        const interruption = new KarpenterInterruption(
            `${name}-interruption`,
            { queueName: args.clusterName },
            { parent: this },
        );

        const controllerRole = new IrsaRole(
            `${name}-controller`,
            {
                oidc: args.oidc,
                serviceAccount: karpenterServiceAccount,
                policy: pulumi
                    .all([
                        partition,
                        accountId,
                        nodeRole.arn,
                        interruption.queueArn,
                        args.volumeKeyArn,
                    ])
                    .apply(([partition, accountId, nodeRoleArn, queueArn, volumeKeyArn]) =>
                        karpenterControllerPolicy({
                            partition,
                            accountId,
                            region: args.region,
                            clusterName: args.clusterName,
                            nodeRoleArn,
                            queueArn,
                            volumeKeyArn,
                        }),
                    ),
            },
            { parent: this },
        );

        // The EKS-created cluster security group is not declared here; tag it in place.
        new aws.ec2.Tag(
            `${name}-cluster-sg-discovery`,
            {
                resourceId: args.clusterSecurityGroupId,
                key: karpenterDiscoveryTag,
                value: args.clusterName,
            },
            { parent: this },
        );

        const crds = new k8s.helm.v3.Release(
            `${name}-crd`,
            {
                name: "karpenter-crd",
                chart: karpenterCharts.crds,
                version: args.chartVersion,
                namespace: karpenterServiceAccount.namespace,
                createNamespace: false,
                atomic: true,
                cleanupOnFail: true,
            },
            { parent: this },
        );
        this.release = new k8s.helm.v3.Release(
            `${name}-controller`,
            {
                name: "karpenter",
                chart: karpenterCharts.controller,
                version: args.chartVersion,
                namespace: karpenterServiceAccount.namespace,
                createNamespace: false,
                // The CRDs are the karpenter-crd release's, so chart upgrades update them.
                skipCrds: true,
                values: pulumi
                    .all([args.clusterEndpoint, interruption.queueName, controllerRole.roleArn])
                    .apply(([clusterEndpoint, interruptionQueue, roleArn]) =>
                        karpenterValues({
                            clusterName: args.clusterName,
                            clusterEndpoint,
                            interruptionQueue,
                            roleArn,
                        }),
                    ),
                atomic: true,
                cleanupOnFail: true,
                timeout: 600,
            },
            {
                parent: this,
                dependsOn: [crds, controllerRole, access, nodeParameters, ...nodePolicies],
            },
        );

        new k8s.apiextensions.CustomResource(
            `${name}-node-class`,
            {
                apiVersion: "karpenter.k8s.aws/v1",
                kind: "EC2NodeClass",
                metadata: { name: nodeClassName },
                spec: pulumi.all([nodeRole.name, args.volumeKeyArn]).apply(
                    ([nodeRoleName, volumeKeyArn]) =>
                        ec2NodeClassManifest({
                            clusterName: args.clusterName,
                            nodeRoleName,
                            amiAlias: args.settings.amiAlias,
                            rootVolumeGiB: args.settings.rootVolumeGiB,
                            volumeKeyArn,
                        }).spec,
                ),
            },
            { parent: this, dependsOn: [crds] },
        );

        const pools = args.settings.nodePools;
        const dataWindows = args.maintenanceWindows.filter((w) =>
            w.namespaces.includes(dataNamespace),
        );
        const manifests = [
            nodePoolManifest({
                name: generalNodePoolName,
                pool: pools.general,
                budgets: budgetsOutsideWindows(
                    pools.general.maxDisruption,
                    args.maintenanceWindows,
                ),
            }),
            nodePoolManifest({
                name: dataStoreNodePool.name,
                pool: pools.dataStores,
                budgets: budgetsInsideWindows(pools.dataStores.maxDisruption, dataWindows),
                taints: [dataStoreNodePool.taint],
            }),
        ];
        for (const manifest of manifests) {
            const metadata = manifest.metadata as { name: string };
            new k8s.apiextensions.CustomResource(
                `${name}-pool-${metadata.name}`,
                {
                    apiVersion: manifest.apiVersion as string,
                    kind: manifest.kind as string,
                    metadata,
                    spec: manifest.spec,
                },
                { parent: this, dependsOn: [crds] },
            );
        }

        this.controllerRoleArn = controllerRole.roleArn;
        this.nodeRoleArn = nodeRole.arn;
        this.nodeRoleName = nodeRole.name;
        this.interruptionQueueName = interruption.queueName;
        this.registerOutputs({
            controllerRoleArn: this.controllerRoleArn,
            nodeRoleArn: this.nodeRoleArn,
            interruptionQueueName: this.interruptionQueueName,
        });
    }
}
