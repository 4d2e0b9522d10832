import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ebsVolumeType } from "../../contracts/names";

type LaunchTemplateArgs = aws.ec2.LaunchTemplateArgs;

/**
 * The hardening every EC2 launch template of the platform shares: an encrypted gp3 root volume
 * deleted with the instance, IMDSv2 only with a hop limit of 1 (containers cannot reach the
 * node's credentials), and the name tag on the instance and its volume.
 */
export function hardenedLaunchTemplate(args: {
    readonly rootVolumeGiB: number;
    /** The root volume's customer-managed key. @default the account's default EBS key */
    readonly kmsKeyId?: pulumi.Input<string>;
    readonly nameTag: string;
}): Pick<LaunchTemplateArgs, "blockDeviceMappings" | "metadataOptions" | "tagSpecifications"> {
    return {
        blockDeviceMappings: [
            {
                deviceName: "/dev/xvda",
                ebs: {
                    volumeSize: args.rootVolumeGiB,
                    volumeType: ebsVolumeType,
                    encrypted: "true",
                    ...(args.kmsKeyId === undefined ? {} : { kmsKeyId: args.kmsKeyId }),
                    deleteOnTermination: "true",
                },
            },
        ],
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        },
        tagSpecifications: ["instance", "volume"].map((resourceType) => ({
            resourceType,
            tags: { Name: args.nameTag },
        })),
    };
}
