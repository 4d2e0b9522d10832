import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { EksManagedAddons } from "./managed-addons";
import { EksNodeGroups } from "./eks-node-groups";
import { type AddonVersions, nodeBootstrapAddons, workloadAddons } from "./managed-addon-specs";
import { suspiciousAccessQueries } from "../../contracts/logging";
import type { OidcIdentity } from "../kit/irsa";
import { accountKeyPolicy, ebsCsiKmsPolicy, logsKeyPolicy } from "../kit/kms";
import { kubeconfig } from "./kubeconfig";
import { gp3StorageClassArgs, kubernetesProviderSettings } from "./cluster-kubernetes";
import type { NodeGroupCapacity } from "./eks-node-groups";

/** Control-plane log types; CIS 2.1.1 wants all five. */
export const controlPlaneLogTypes = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
] as const;

/** The Kubernetes group preview roles are mapped to (bound read-only by ClusterAddons). */
export const previewGroup = "mcp-platform:preview";

export interface EksClusterArgs {
    /** Physical cluster name operators type (`aws eks update-kubeconfig --name ...`). */
    readonly clusterName: string;
    /** The stack's region, written into the kubeconfig's `aws eks get-token` call. */
    readonly region: string;
    /** Kubernetes minor version, e.g. "1.33". */
    readonly version: string;
    readonly vpcId: pulumi.Input<string>;
    /** The VPC's CIDR: clients inside the VPC may reach the private API endpoint. */
    readonly vpcCidr: pulumi.Input<string>;
    /** Control-plane ENIs and every node live here (CIS 5.4.3). */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /**
     * CIDRs allowed on the public API endpoint. Empty keeps the endpoint private-only
     * (CIS 5.4.2); `0.0.0.0/0` is refused (CIS 5.4.1). @default []
     */
    readonly endpointPublicAccessCidrs?: readonly string[];
    /**
     * The operator's single address (a /32) that may reach the public endpoint during the
     * first deploy of a new account, before the in-VPC runner exists. @default none
     */
    readonly bootstrapOperatorCidr?: string;
    /** IAM roles granted cluster-admin through EKS access entries (at least one). */
    readonly adminRoleArns: readonly pulumi.Input<string>[];
    /**
     * IAM roles of pull-request previews: read-only access, Secrets included, so that
     * `pulumi preview` can diff every object and Helm release. @default []
     */
    readonly previewRoleArns?: readonly pulumi.Input<string>[];
    /** Control-plane log retention in days. @default 90 */
    readonly logRetentionDays?: number;
    /** Node group capacity from the stack config. */
    readonly nodeGroups: {
        readonly system: NodeGroupCapacity;
        readonly workload: NodeGroupCapacity;
    };
    /** Pinned EKS managed add-on versions. */
    readonly addonVersions: AddonVersions;
    /** Refuse to delete the cluster until this is turned off. @default true */
    readonly deletionProtection?: boolean;
    /** AWS CLI profile for `aws eks get-token`, when credentials come from a profile. @default ambient credentials */
    readonly awsProfile?: string;
}

/**
 * What is wrong with the arguments, if anything: the stack config refuses both already; this
 * guards callers that build the arguments themselves.
 */
export function clusterArgsProblem(args: EksClusterArgs): string | undefined {
    if ((args.endpointPublicAccessCidrs ?? []).some((cidr) => cidr.endsWith("/0"))) {
        return "endpointPublicAccessCidrs must not contain 0.0.0.0/0 (CIS 5.4.1)";
    }
    if (args.bootstrapOperatorCidr !== undefined && !args.bootstrapOperatorCidr.endsWith("/32")) {
        return "bootstrapOperatorCidr must be a single address (/32)";
    }
    if (args.adminRoleArns.length === 0) return "adminRoleArns needs at least one role";
    return undefined;
}

/**
 * A hardened EKS cluster from `@pulumi/aws` primitives: Secrets envelope encryption with a
 * customer-managed key (CIS 5.3.1), all five control-plane log types to an encrypted log
 * group with retention (CIS 2.1.1), a private API endpoint (CIS 5.4.1-5.4.2), access entries
 * only (authentication mode API, CIS 4.1.7), an OIDC provider for IRSA (CIS 5.2.1), managed
 * node groups in private subnets (CIS 5.4.3), pinned managed add-ons with NetworkPolicy
 * enforcement (CIS 5.4.4), a KMS-encrypted gp3 default StorageClass, and a Kubernetes
 * provider whose kubeconfig calls `aws eks get-token`.
 */
export class EksCluster extends pulumi.ComponentResource {
    public readonly clusterName: pulumi.Output<string>;
    public readonly endpoint: pulumi.Output<string>;
    /** The kubeconfig (a secret): `aws eks get-token`, no embedded credential. */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly kubernetesProvider: k8s.Provider;
    public readonly oidc: { providerArn: pulumi.Output<string>; issuerHost: pulumi.Output<string> };
    public readonly oidcProviderArn: pulumi.Output<string>;
    /** The EKS-managed cluster security group, attached to every managed node. */
    public readonly nodeSecurityGroupId: pulumi.Output<string>;
    public readonly secretsKeyArn: pulumi.Output<string>;
    /** The key the gp3 StorageClass encrypts PersistentVolumes with. */
    public readonly volumeKeyArn: pulumi.Output<string>;
    public readonly nodeRoleArn: pulumi.Output<string>;
    /** The managed node groups' role name (the image cache attaches its pull policy). */
    public readonly nodeRoleName: pulumi.Output<string>;
    public readonly storageClassName: pulumi.Output<string>;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:eks:Cluster", name, {}, opts);

        const problem = clusterArgsProblem(args);
        if (problem) throw new pulumi.ResourceError(problem, this);
        const publicCidrs = [
            ...(args.endpointPublicAccessCidrs ?? []),
            ...(args.bootstrapOperatorCidr === undefined ? [] : [args.bootstrapOperatorCidr]),
        ];

        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        const keyContext = pulumi
            .all([partition, accountId])
            .apply(([partition, accountId]) => ({ partition, accountId, region: args.region }));

        const secretsKey = this.key(name, "secrets", "EKS Secrets envelope encryption", keyContext);
        const volumeKey = this.key(
            name,
            "volumes",
            "EBS volumes of the gp3 StorageClass",
            keyContext,
        );
        const logsKey = this.key(name, "logs", "EKS control-plane logs", keyContext, true);

        // EKS writes to exactly this group; creating it first sets retention and encryption.
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-control-plane`,
            {
                name: `/aws/eks/${args.clusterName}/cluster`,
                retentionInDays: args.logRetentionDays ?? 90,
                kmsKeyId: logsKey.arn,
            },
            { parent: this, protect: true },
        );
        // The audit log's saved searches (`mcp security access-log --suspicious` runs the same text).
        for (const query of suspiciousAccessQueries()) {
            new aws.cloudwatch.QueryDefinition(
                `${name}-query-${query.key}`,
                {
                    name: `${args.clusterName}/${query.key}`,
                    logGroupNames: [logGroup.name],
                    queryString: query.queryString,
                },
                { parent: this },
            );
        }

        const clusterRole = new aws.iam.Role(
            `${name}-role`,
            {
                description: `EKS control plane of ${args.clusterName}`,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Principal: { Service: "eks.amazonaws.com" },
                            Action: ["sts:AssumeRole", "sts:TagSession"],
                        },
                    ],
                }),
            },
            { parent: this },
        );
        const clusterPolicy = new aws.iam.RolePolicyAttachment(
            `${name}-cluster-policy`,
            {
                role: clusterRole.name,
                policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonEKSClusterPolicy`,
            },
            { parent: this },
        );

        // Clients inside the VPC (a CI runner, a VPN endpoint, a bastion) reach the private
        // endpoint; nothing else is opened.
        const apiSecurityGroup = new aws.ec2.SecurityGroup(
            `${name}-api`,
            {
                description: `HTTPS to the ${args.clusterName} API from inside the VPC`,
                vpcId: args.vpcId,
                tags: { Name: `${args.clusterName}-api` },
            },
            { parent: this },
        );
        new aws.vpc.SecurityGroupIngressRule(
            `${name}-api-https`,
            {
                securityGroupId: apiSecurityGroup.id,
                description: "Kubernetes API from the VPC",
                cidrIpv4: args.vpcCidr,
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
            },
            { parent: this },
        );

        const cluster = new aws.eks.Cluster(
            `${name}-cluster`,
            {
                name: args.clusterName,
                version: args.version,
                roleArn: clusterRole.arn,
                vpcConfig: {
                    subnetIds: args.privateSubnetIds,
                    securityGroupIds: [apiSecurityGroup.id],
                    endpointPrivateAccess: true,
                    endpointPublicAccess: publicCidrs.length > 0,
                    publicAccessCidrs: publicCidrs.length > 0 ? publicCidrs : undefined,
                },
                encryptionConfig: {
                    provider: { keyArn: secretsKey.arn },
                    resources: ["secrets"],
                },
                enabledClusterLogTypes: [...controlPlaneLogTypes],
                accessConfig: {
                    authenticationMode: "API",
                    bootstrapClusterCreatorAdminPermissions: false,
                },
                // Every system component is a pinned managed add-on below, nothing implicit.
                bootstrapSelfManagedAddons: false,
                upgradePolicy: { supportType: "STANDARD" },
                deletionProtection: args.deletionProtection ?? true,
            },
            // Protected: deleting the cluster deletes every workload and volume attachment.
            { parent: this, dependsOn: [logGroup, clusterPolicy], protect: true },
        );

        const issuer = cluster.identities.apply((identities) => identities[0].oidcs![0].issuer!);
        const oidcProvider = new aws.iam.OpenIdConnectProvider(
            `${name}-oidc`,
            { url: issuer, clientIdLists: ["sts.amazonaws.com"] },
            { parent: this },
        );
        const oidc: OidcIdentity & EksCluster["oidc"] = {
            providerArn: oidcProvider.arn,
            issuerHost: issuer.apply((url) => url.replace(/^https:\/\//, "")),
        };

        const adminAccess = args.adminRoleArns.map((principalArn, index) => {
            const entry = new aws.eks.AccessEntry(
                `${name}-admin-${index}`,
                { clusterName: cluster.name, principalArn, type: "STANDARD" },
                { parent: this },
            );
            return new aws.eks.AccessPolicyAssociation(
                `${name}-admin-${index}`,
                {
                    clusterName: cluster.name,
                    principalArn: entry.principalArn,
                    policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
                    accessScope: { type: "cluster" },
                },
                { parent: this },
            );
        });

        // Previews read everything they diff, Secrets included (Helm keeps its releases in
        // Secrets); the Kubernetes group `mcp-platform:preview` is bound to a read-only
        // ClusterRole by ClusterAddons. No EKS access policy: AmazonEKSViewPolicy omits Secrets.
        for (const [index, principalArn] of (args.previewRoleArns ?? []).entries()) {
            new aws.eks.AccessEntry(
                `${name}-preview-${index}`,
                {
                    clusterName: cluster.name,
                    principalArn,
                    type: "STANDARD",
                    kubernetesGroups: [previewGroup],
                },
                { parent: this },
            );
        }

        const bootstrapAddons = new EksManagedAddons(
            `${name}-node-addons`,
            { clusterName: cluster.name, oidc, addons: nodeBootstrapAddons(args.addonVersions) },
            { parent: this },
        );
        const nodes = new EksNodeGroups(
            `${name}-nodes`,
            {
                clusterName: cluster.name,
                version: cluster.version,
                privateSubnetIds: args.privateSubnetIds,
                groups: {
                    system: { nodeGroupName: "system-nodes", capacity: args.nodeGroups.system },
                    workload: { nodeGroupName: "worker-nodes", capacity: args.nodeGroups.workload },
                },
            },
            { parent: this, dependsOn: [bootstrapAddons] },
        );
        const addons = new EksManagedAddons(
            `${name}-addons`,
            {
                clusterName: cluster.name,
                oidc,
                addons: workloadAddons(args.addonVersions, volumeKey.arn.apply(ebsCsiKmsPolicy)),
            },
            { parent: this, dependsOn: [nodes] },
        );

        this.kubeconfig = pulumi.secret(
            pulumi
                .all([cluster.name, cluster.endpoint, cluster.certificateAuthority])
                .apply(([clusterName, endpoint, ca]) =>
                    JSON.stringify(
                        kubeconfig({
                            clusterName,
                            region: args.region,
                            endpoint,
                            certificateAuthorityData: ca.data!,
                            awsProfile: args.awsProfile,
                        }),
                    ),
                ),
        );
        // Waits for admin access and for nodes with DNS, so Helm releases can start.
        this.kubernetesProvider = new k8s.Provider(
            `${name}-k8s`,
            {
                kubeconfig: this.kubeconfig,
                ...kubernetesProviderSettings,
            },
            { parent: this, dependsOn: [...adminAccess, addons] },
        );

        const storageClass = new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            gp3StorageClassArgs(volumeKey.arn),
            { parent: this, provider: this.kubernetesProvider },
        );

        this.clusterName = cluster.name;
        this.endpoint = cluster.endpoint;
        this.oidc = oidc;
        this.oidcProviderArn = oidcProvider.arn;
        this.nodeSecurityGroupId = cluster.vpcConfig.clusterSecurityGroupId;
        this.secretsKeyArn = secretsKey.arn;
        this.volumeKeyArn = volumeKey.arn;
        this.nodeRoleArn = nodes.nodeRoleArn;
        this.nodeRoleName = nodes.nodeRoleName;
        this.storageClassName = storageClass.metadata.name;
        this.registerOutputs({
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            kubeconfig: this.kubeconfig,
            oidcProviderArn: this.oidcProviderArn,
            nodeSecurityGroupId: this.nodeSecurityGroupId,
            secretsKeyArn: this.secretsKeyArn,
            volumeKeyArn: this.volumeKeyArn,
            nodeRoleArn: this.nodeRoleArn,
            storageClassName: this.storageClassName,
        });
    }

    /** A customer-managed key with yearly rotation; `forLogs` lets CloudWatch Logs use it. */
    private key(
        name: string,
        purpose: string,
        description: string,
        context: pulumi.Output<{ partition: string; accountId: string; region: string }>,
        forLogs = false,
    ): aws.kms.Key {
        const key = new aws.kms.Key(
            `${name}-${purpose}-key`,
            {
                description,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: context.apply(forLogs ? logsKeyPolicy : accountKeyPolicy),
            },
            // Protected: without it the cluster's secrets, volumes or logs are unreadable.
            { parent: this, protect: true },
        );
        new aws.kms.Alias(
            `${name}-${purpose}-key`,
            { name: `alias/${name}-${purpose}`, targetKeyId: key.keyId },
            { parent: this },
        );
        return key;
    }
}
