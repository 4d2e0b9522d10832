import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenedLaunchTemplate } from "../kit/launch-template";
import { parameterFenceStatement } from "./parameter-fence";
import { runnerUserData } from "./runner-user-data";

export interface DeployRunnerArgs {
    /** The GitHub repository the runners register with, `owner/name`. */
    readonly repository: string;
    /** The SSM SecureString parameter the registration service reads the GitHub token from. */
    readonly tokenParameter: string;
    /** The actions/runner release and the sha256 of its linux-x64 tarball. */
    readonly version: string;
    readonly sha256: string;
    readonly instanceType: string;
    /** Label of the pool that runs deploy, dr and drift jobs (main's code only). */
    readonly label: string;
    /**
     * Label of the pool that runs pull-request previews: separate instances, role and
     * security group, so code from a pull request never runs where a deploy will.
     * @default `${label}-preview`
     */
    readonly previewLabel?: string;
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** The runners live here, next to the private API endpoint they deploy through. */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The customer-managed key of the runners' root volumes. */
    readonly volumeKmsKeyArn: pulumi.Input<string>;
    /** GitHub CLI release installed on the runners. @default defaultGhVersion */
    readonly ghVersion?: string;
    /** kubectl release installed on the runners. @default defaultKubectlVersion */
    readonly kubectlVersion?: string;
}

/** The two pools of one stack: trusted (deploy, dr, drift) and pull-request previews. */
export function runnerPools(args: Pick<DeployRunnerArgs, "label" | "previewLabel">) {
    return [
        { suffix: "", purpose: "deploy", label: args.label },
        {
            suffix: "-preview",
            purpose: "preview",
            label: args.previewLabel ?? `${args.label}-preview`,
        },
    ] as const;
}

/** The runners' AMI: Amazon Linux 2023's public SSM parameter, resolved by EC2 at launch. */
export const runnerImage =
    "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64";

/**
 * The self-hosted GitHub Actions runners of one stack: the EKS API endpoint is private, so
 * `pulumi up` and `pulumi preview` run inside the VPC. Two pools, each an Auto Scaling group of
 * one ephemeral runner across the private subnets (a new instance for every job,
 * components/cluster/runner-user-data.ts): `label` for deploy, dr and drift, `previewLabel` for
 * pull-request previews. Each instance has IMDSv2 only with hop limit 1, an encrypted root
 * volume, no inbound rule and HTTPS out only; its role may read the GitHub token parameter
 * (only the root-only registration service can reach it) and use SSM Session Manager. The
 * workflows assume their AWS roles through GitHub's OIDC, never through the instance.
 */
export class DeployRunner extends pulumi.ComponentResource {
    /** The deploy pool's instance role and security group. */
    public readonly roleArn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;
    /** The preview pool's instance role and security group. */
    public readonly previewRoleArn: pulumi.Output<string>;
    public readonly previewSecurityGroupId: pulumi.Output<string>;

    constructor(name: string, args: DeployRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:DeployRunner", name, {}, opts);
        const child = { parent: this };
        const partition = aws.getPartitionOutput({}, child).partition;
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;

        const roles: Record<string, pulumi.Output<string>> = {};
        const groups: Record<string, pulumi.Output<string>> = {};
        for (const pool of runnerPools(args)) {
            const prefix = `${name}${pool.suffix}`;
            const role = new aws.iam.Role(
                `${prefix}-role`,
                {
                    description: `GitHub Actions runner ${pool.label}`,
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
                child,
            );
            new aws.iam.RolePolicyAttachment(
                `${prefix}-ssm`,
                {
                    role: role.name,
                    policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
                },
                child,
            );
            new aws.iam.RolePolicy(
                `${prefix}-token`,
                {
                    role: role.name,
                    policy: pulumi.all([partition, accountId]).apply(([p, account]) =>
                        JSON.stringify({
                            Version: "2012-10-17",
                            Statement: [
                                {
                                    Sid: "ReadRunnerToken",
                                    Effect: "Allow",
                                    Action: "ssm:GetParameter",
                                    Resource: `arn:${p}:ssm:${args.region}:${account}:parameter${args.tokenParameter}`,
                                },
                                parameterFenceStatement({
                                    partition: p,
                                    allowed: [
                                        `arn:${p}:ssm:${args.region}:${account}:parameter${args.tokenParameter}`,
                                    ],
                                }),
                            ],
                        }),
                    ),
                },
                child,
            );
            const profile = new aws.iam.InstanceProfile(
                `${prefix}-profile`,
                { role: role.name },
                child,
            );

            const securityGroup = new aws.ec2.SecurityGroup(
                `${prefix}-sg`,
                {
                    description: `GitHub Actions runner ${pool.label}: no inbound, HTTPS out`,
                    vpcId: args.vpcId,
                    egress: [
                        {
                            description: "GitHub, AWS, Pulumi, npm and Cloudflare APIs",
                            protocol: "tcp",
                            fromPort: 443,
                            toPort: 443,
                            cidrBlocks: ["0.0.0.0/0"],
                        },
                    ],
                    tags: { Name: pool.label },
                },
                child,
            );

            const template = new aws.ec2.LaunchTemplate(
                `${prefix}-template`,
                {
                    description: `GitHub Actions runner ${pool.label}: encrypted root, IMDSv2 only`,
                    // EC2 resolves the public parameter at each launch: every (ephemeral)
                    // runner boots the current Amazon Linux 2023, and a new release changes
                    // nothing in the program, so previews and drift checks stay quiet.
                    imageId: runnerImage,
                    instanceType: args.instanceType,
                    iamInstanceProfile: { arn: profile.arn },
                    vpcSecurityGroupIds: [securityGroup.id],
                    userData: Buffer.from(runnerUserData({ ...args, label: pool.label })).toString(
                        "base64",
                    ),
                    // A runner powers off after its one job: terminate it, the group starts anew.
                    instanceInitiatedShutdownBehavior: "terminate",
                    updateDefaultVersion: true,
                    ...hardenedLaunchTemplate({
                        rootVolumeGiB: 50,
                        kmsKeyId: args.volumeKmsKeyArn,
                        nameTag: pool.label,
                    }),
                },
                child,
            );
            new aws.autoscaling.Group(
                `${prefix}-group`,
                {
                    minSize: 1,
                    maxSize: 1,
                    desiredCapacity: 1,
                    vpcZoneIdentifiers: args.privateSubnetIds,
                    // The version number, not "$Latest": a new template version changes the
                    // group, which starts the instance refresh below (a runner upgrade).
                    launchTemplate: {
                        id: template.id,
                        version: template.latestVersion.apply(String),
                    },
                    healthCheckType: "EC2",
                    // A new template (a runner upgrade) replaces the instance.
                    instanceRefresh: {
                        strategy: "Rolling",
                        preferences: { minHealthyPercentage: 0 },
                    },
                },
                child,
            );
            roles[pool.purpose] = role.arn;
            groups[pool.purpose] = securityGroup.id;
        }

        this.roleArn = roles.deploy;
        this.previewRoleArn = roles.preview;
        this.securityGroupId = groups.deploy;
        this.previewSecurityGroupId = groups.preview;
        this.registerOutputs({
            roleArn: this.roleArn,
            previewRoleArn: this.previewRoleArn,
            securityGroupId: this.securityGroupId,
            previewSecurityGroupId: this.previewSecurityGroupId,
        });
    }
}
