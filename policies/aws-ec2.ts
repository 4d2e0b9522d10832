import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configOf } from "./lib/config";

/**
 * EC2 nodes: encrypted EBS volumes (launch templates, instances, volumes) and IMDSv2
 * required with a hop limit that keeps pods away from the node's credentials. EKS managed
 * node groups must use a launch template, since without one EKS picks both settings.
 */

function encrypted(value: unknown): boolean {
    return value === true || value === "true";
}

const nodeGroupTemplate = validateResourceOfType(
    aws.eks.NodeGroup,
    (group, args, reportViolation) => {
        if (!group.launchTemplate?.id && !group.launchTemplate?.name) {
            reportViolation(
                `EKS node group ${args.name} must use a launch template (encrypted gp3 root volume, IMDSv2 required) instead of EKS defaults.`,
            );
        }
    },
);

export const ebsEncrypted: ResourceValidationPolicy = {
    name: "aws-ebs-encrypted",
    description:
        "Checks whether EBS volumes are encrypted: every launch template block device, instance root and data volume, and standalone volume.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["encryption-at-rest", "hardening-baseline"],
    remediationSteps:
        'In the launch template set blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeType: "gp3", kmsKeyId } }]; set encrypted: true on instances and volumes.',
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (template, args, reportViolation) => {
            const mappings = (template.blockDeviceMappings ?? []).filter((m) => m.ebs);
            if (mappings.length === 0) {
                reportViolation(
                    `Launch template ${args.name} must declare its root volume in blockDeviceMappings with ebs.encrypted: "true".`,
                );
            }
            for (const mapping of mappings) {
                if (!encrypted(mapping.ebs?.encrypted)) {
                    reportViolation(
                        `Launch template ${args.name} volume ${mapping.deviceName ?? "?"} must set ebs.encrypted: "true".`,
                    );
                }
            }
        }),
        validateResourceOfType(aws.ec2.Instance, (instance, args, reportViolation) => {
            if (!encrypted(instance.rootBlockDevice?.encrypted)) {
                reportViolation(
                    `EC2 instance ${args.name} must set rootBlockDevice.encrypted: true.`,
                );
            }
            for (const device of instance.ebsBlockDevices ?? []) {
                if (!encrypted(device.encrypted)) {
                    reportViolation(
                        `EC2 instance ${args.name} volume ${device.deviceName} must set encrypted: true.`,
                    );
                }
            }
        }),
        validateResourceOfType(aws.ebs.Volume, (volume, args, reportViolation) => {
            if (!encrypted(volume.encrypted))
                reportViolation(`EBS volume ${args.name} must set encrypted: true.`);
        }),
        nodeGroupTemplate,
    ],
};

const imdsSchema = {
    properties: {
        maxHopLimit: {
            type: "integer" as const,
            minimum: 1,
            description:
                "Highest httpPutResponseHopLimit allowed; 1 keeps pods (one hop further) away from IMDS.",
            default: 1,
        },
    },
};

type MetadataOptions =
    { httpTokens?: string; httpPutResponseHopLimit?: number; httpEndpoint?: string } | undefined;

function imdsProblems(options: MetadataOptions, maxHopLimit: number): string[] {
    if (options?.httpEndpoint === "disabled") return [];
    const problems: string[] = [];
    if (options?.httpTokens !== "required")
        problems.push('metadataOptions.httpTokens must be "required" (IMDSv2)');
    const hops = options?.httpPutResponseHopLimit;
    if (hops === undefined || hops > maxHopLimit) {
        problems.push(
            `metadataOptions.httpPutResponseHopLimit must be at most ${maxHopLimit} (got ${hops ?? "unset"})`,
        );
    }
    return problems;
}

export const imdsV2: ResourceValidationPolicy = {
    name: "aws-ec2-imdsv2-required",
    description:
        "Checks whether launch templates and instances require IMDSv2 session tokens with a hop limit that keeps pods from reaching the node's instance metadata.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["imdsv2", "cis-eks-5.2.1"],
    configSchema: imdsSchema,
    remediationSteps:
        'Set metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 }; pods get AWS credentials through IRSA.',
    validateResource: [
        validateResourceOfType(aws.ec2.LaunchTemplate, (template, args, reportViolation) => {
            const { maxHopLimit } = configOf<{ maxHopLimit: number }>(imdsSchema, args);
            for (const problem of imdsProblems(template.metadataOptions, maxHopLimit)) {
                reportViolation(`Launch template ${args.name}: ${problem}.`);
            }
        }),
        validateResourceOfType(aws.ec2.Instance, (instance, args, reportViolation) => {
            const { maxHopLimit } = configOf<{ maxHopLimit: number }>(imdsSchema, args);
            for (const problem of imdsProblems(instance.metadataOptions, maxHopLimit)) {
                reportViolation(`EC2 instance ${args.name}: ${problem}.`);
            }
        }),
        nodeGroupTemplate,
    ],
};

export const ec2Policies: ResourceValidationPolicy[] = [ebsEncrypted, imdsV2];
