import * as aws from "@pulumi/aws";
import {
    type PolicyResource,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import { coversInternet } from "./lib/cidr";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";
import { ofTypes, referenced } from "./lib/refs";

/**
 * The EKS controls of the CIS Amazon EKS Benchmark that can be read from the program:
 * control-plane logging (2.1.1), access entries (4.1.7), Secrets envelope encryption with a
 * CMK (5.3.1), endpoint access (5.4.1–5.4.2) and private nodes (5.4.3).
 */

export const controlPlaneLogTypes = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

export const clusterLogging: ResourceValidationPolicy = {
    name: "aws-eks-cluster-control-plane-logging",
    description:
        "Checks whether an EKS cluster sends all five control-plane log types (api, audit, authenticator, controllerManager, scheduler) to CloudWatch.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("2.1.1"),
    tags: ["cis-eks-2.1.1"],
    remediationSteps: `Set enabledClusterLogTypes: ${JSON.stringify(controlPlaneLogTypes)} on the aws.eks.Cluster.`,
    validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
        const enabled = cluster.enabledClusterLogTypes ?? [];
        const missing = controlPlaneLogTypes.filter((t) => !enabled.includes(t));
        if (missing.length > 0) {
            reportViolation(
                `EKS cluster ${args.name} must enable control-plane log types ${missing.join(", ")}.`,
            );
        }
    }),
};

export const secretsEncryption: ResourceValidationPolicy = {
    name: "aws-eks-cluster-secrets-encryption",
    description:
        "Checks whether an EKS cluster envelope-encrypts Kubernetes Secrets with a customer-managed KMS key.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("5.3.1"),
    tags: ["cis-eks-5.3.1", "hardening-baseline"],
    remediationSteps:
        'Set encryptionConfig: { provider: { keyArn: <rotating aws.kms.Key ARN> }, resources: ["secrets"] } (only possible when the cluster is created).',
    validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
        const config = cluster.encryptionConfig;
        if (!config?.provider?.keyArn || !(config.resources ?? []).includes("secrets")) {
            reportViolation(
                `EKS cluster ${args.name} must encrypt Secrets with a KMS key (encryptionConfig with resources ["secrets"] and provider.keyArn).`,
            );
        }
    }),
};

export const endpointAccess: ResourceValidationPolicy = {
    name: "aws-eks-cluster-endpoint-access",
    description:
        "Checks whether an EKS cluster's API endpoint is private, and public only for listed CIDRs that do not together cover the whole internet.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("5.4.1, 5.4.2"),
    tags: ["cis-eks-5.4.1", "cis-eks-5.4.2"],
    remediationSteps:
        "Set vpcConfig.endpointPrivateAccess: true and endpointPublicAccess: false, or keep it public only with publicAccessCidrs from mcp-platform:cluster.endpointPublicAccessCidrs (never 0.0.0.0/0).",
    validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
        const vpc = cluster.vpcConfig;
        if (vpc?.endpointPrivateAccess !== true) {
            reportViolation(
                `EKS cluster ${args.name} must enable the private endpoint (vpcConfig.endpointPrivateAccess: true).`,
            );
        }
        // AWS defaults endpointPublicAccess to true and publicAccessCidrs to 0.0.0.0/0.
        if (vpc?.endpointPublicAccess === false) return;
        const cidrs = vpc?.publicAccessCidrs ?? [];
        // CIDRs that together cover the internet (0.0.0.0/1 + 128.0.0.0/1) count as 0.0.0.0/0.
        if (cidrs.length === 0 || coversInternet(cidrs)) {
            reportViolation(
                `EKS cluster ${args.name} must disable the public endpoint (vpcConfig.endpointPublicAccess: false) or restrict publicAccessCidrs (got ${cidrs.join(", ") || "the default 0.0.0.0/0"}).`,
            );
        }
    }),
};

const accessSchema = {
    properties: {
        authenticationModes: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "Allowed accessConfig.authenticationMode values.",
            default: ["API"],
        },
    },
};

export const accessEntries: ResourceValidationPolicy = {
    name: "aws-eks-cluster-access-entries",
    description:
        "Checks whether an EKS cluster manages access through access entries (authenticationMode API) instead of the aws-auth ConfigMap.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: cisEks("4.1.7, 5.5.1"),
    tags: ["cis-eks-4.1.7", "cis-eks-5.5.1"],
    configSchema: accessSchema,
    remediationSteps:
        'Set accessConfig: { authenticationMode: "API" } and grant admins with aws.eks.AccessEntry + AccessPolicyAssociation.',
    validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
        const { authenticationModes } = configOf<{ authenticationModes: string[] }>(
            accessSchema,
            args,
        );
        const mode = cluster.accessConfig?.authenticationMode;
        if (!mode || !authenticationModes.includes(mode)) {
            reportViolation(
                `EKS cluster ${args.name} must set accessConfig.authenticationMode to ${authenticationModes.join(" or ")} (got ${mode ?? "CONFIG_MAP by default"}).`,
            );
        }
    }),
};

function isPublicSubnet(
    subnet: PolicyResource,
    resources: readonly PolicyResource[],
): string | undefined {
    if (subnet.props.mapPublicIpOnLaunch === true) return "maps public IPs on launch";
    const tags = (subnet.props.tags ?? {}) as Record<string, string>;
    if (tags["kubernetes.io/role/elb"] === "1")
        return "is tagged for internet-facing load balancers";
    const gateways = ofTypes(resources, [aws.ec2.InternetGateway]);
    if (gateways.length === 0) return undefined;
    const tables = ofTypes(resources, [aws.ec2.RouteTable]);
    const associated = ofTypes(resources, [aws.ec2.RouteTableAssociation])
        .filter((a) => referenced(a, "subnetId", [subnet]).length > 0)
        .flatMap((a) => referenced(a, "routeTableId", tables));
    for (const table of associated) {
        const inline = ((table.props.routes ?? []) as PolicyResource["props"][]).some((route) =>
            gateways.some((g) => [`${g.name}-id`, g.props.id].includes(route.gatewayId)),
        );
        const separate = ofTypes(resources, [aws.ec2.Route]).some(
            (route) =>
                referenced(route, "routeTableId", [table]).length > 0 &&
                referenced(route, "gatewayId", gateways).length > 0,
        );
        if (inline || separate) return "routes to an internet gateway";
    }
    return undefined;
}

export const privateNodes: StackValidationPolicy = {
    name: "aws-eks-node-group-private",
    description:
        "Checks whether every EKS node group runs in private subnets only (no public IPs, no route to an internet gateway) and allows no SSH remote access.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("5.4.3"),
    tags: ["cis-eks-5.4.3"],
    remediationSteps:
        "Pass only the private subnets (NAT egress) as subnetIds, remove remoteAccess, and keep associatePublicIpAddress off in the launch template; use SSM for node access.",
    validateStack: (args, reportViolation) => {
        const groups = ofTypes(args.resources, [aws.eks.NodeGroup]);
        if (groups.length === 0) return args.notApplicable("the stack declares no EKS node group");
        const subnets = ofTypes(args.resources, [aws.ec2.Subnet]);
        const templates = ofTypes(args.resources, [aws.ec2.LaunchTemplate]);
        for (const group of groups) {
            if (group.props.remoteAccess) {
                reportViolation(
                    `EKS node group ${group.name} must not enable remoteAccess (SSH); use SSM Session Manager.`,
                    group.urn,
                );
            }
            for (const subnet of referenced(group, "subnetIds", subnets)) {
                const why = isPublicSubnet(subnet, args.resources);
                if (why) {
                    reportViolation(
                        `EKS node group ${group.name} must run in private subnets only: subnet ${subnet.name} ${why}.`,
                        group.urn,
                    );
                }
            }
            for (const template of referenced(group, "launchTemplate", templates)) {
                const interfaces = (template.props.networkInterfaces ?? []) as {
                    associatePublicIpAddress?: string;
                }[];
                if (interfaces.some((i) => String(i.associatePublicIpAddress) === "true")) {
                    reportViolation(
                        `EKS node group ${group.name} launch template ${template.name} must not associate public IP addresses.`,
                        group.urn,
                    );
                }
            }
        }
    },
};

export const eksResourcePolicies: ResourceValidationPolicy[] = [
    clusterLogging,
    secretsEncryption,
    endpointAccess,
    accessEntries,
];

export const eksStackPolicies: StackValidationPolicy[] = [privateNodes];
