import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { hardenedLaunchTemplate } from "../kit/launch-template";
import { parameterFenceStatement } from "./parameter-fence";

export interface DeployRunnerArgs {
    /** The GitHub repository the runner registers with, `owner/name`. */
    readonly repository: string;
    /** The SSM SecureString parameter the runner reads its registration credential from. */
    readonly tokenParameter: string;
    /** The actions/runner release and the sha256 of its linux-x64 tarball. */
    readonly version: string;
    readonly sha256: string;
    readonly instanceType: string;
    /** Label the workflows select (`runs-on: [self-hosted, linux, x64, <label>]`). */
    readonly label: string;
    readonly region: string;
    readonly vpcId: pulumi.Input<string>;
    /** The runner lives here, next to the private API endpoint it deploys through. */
    readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
    /** The customer-managed key of the runner's root volume. */
    readonly volumeKmsKeyArn: pulumi.Input<string>;
}

/** The boot script: install the pinned runner (checksum verified), register, run as a service. */
export function runnerUserData(
    args: Omit<DeployRunnerArgs, "vpcId" | "privateSubnetIds" | "volumeKmsKeyArn">,
): string {
    const tarball = `actions-runner-linux-x64-${args.version}.tar.gz`;
    return [
        "#!/bin/bash",
        "set -euo pipefail",
        "dnf install -y --setopt=install_weak_deps=False git jq tar gzip libicu",
        "id runner >/dev/null 2>&1 || useradd --create-home runner",
        "cd /home/runner",
        `curl -fsSL -o runner.tar.gz https://github.com/actions/runner/releases/download/v${args.version}/${tarball}`,
        `echo "${args.sha256}  runner.tar.gz" | sha256sum --check --strict -`,
        "tar xzf runner.tar.gz && rm runner.tar.gz && chown -R runner:runner /home/runner",
        `GITHUB_TOKEN=$(aws ssm get-parameter --region ${args.region} --with-decryption --name '${args.tokenParameter}' --query Parameter.Value --output text)`,
        `REGISTRATION=$(curl -fsSL -X POST -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" https://api.github.com/repos/${args.repository}/actions/runners/registration-token | jq -r .token)`,
        "unset GITHUB_TOKEN",
        `sudo -u runner ./config.sh --unattended --replace --url https://github.com/${args.repository} --token "$REGISTRATION" --labels ${args.label} --name "${args.label}-$(hostname -s)"`,
        "./svc.sh install runner",
        "./svc.sh start",
        "",
    ].join("\n");
}

/**
 * The self-hosted GitHub Actions runner deploys run on: the EKS API endpoint is private, so
 * `pulumi up` runs inside the VPC. One instance in an Auto Scaling group across the private
 * subnets (replaced if it fails), IMDSv2 only with hop limit 1, an encrypted root volume, no
 * inbound rule and HTTPS out only. Its role may read its GitHub token parameter and use SSM
 * Session Manager; the workflows assume their deploy role through GitHub's OIDC.
 */
export class DeployRunner extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly securityGroupId: pulumi.Output<string>;

    constructor(name: string, args: DeployRunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:DeployRunner", name, {}, opts);
        const child = { parent: this };
        const partition = aws.getPartitionOutput({}, child).partition;
        const accountId = aws.getCallerIdentityOutput({}, child).accountId;

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: `GitHub Actions runner ${args.label}`,
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
            `${name}-ssm`,
            {
                role: role.name,
                policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-token`,
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
        const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, child);

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                description: `GitHub Actions runner ${args.label}: no inbound, HTTPS out`,
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
                tags: { Name: args.label },
            },
            child,
        );

        const image = aws.ssm.getParameterOutput(
            { name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" },
            child,
        );
        const template = new aws.ec2.LaunchTemplate(
            `${name}-template`,
            {
                description: `GitHub Actions runner ${args.label}: encrypted root, IMDSv2 only`,
                imageId: image.value,
                instanceType: args.instanceType,
                iamInstanceProfile: { arn: profile.arn },
                vpcSecurityGroupIds: [securityGroup.id],
                userData: Buffer.from(runnerUserData(args)).toString("base64"),
                updateDefaultVersion: true,
                ...hardenedLaunchTemplate({
                    rootVolumeGiB: 50,
                    kmsKeyId: args.volumeKmsKeyArn,
                    nameTag: args.label,
                }),
            },
            child,
        );
        new aws.autoscaling.Group(
            `${name}-group`,
            {
                minSize: 1,
                maxSize: 1,
                desiredCapacity: 1,
                vpcZoneIdentifiers: args.privateSubnetIds,
                launchTemplate: { id: template.id, version: "$Latest" },
                healthCheckType: "EC2",
                // A new template (a runner upgrade) replaces the instance.
                instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 0 } },
            },
            child,
        );

        this.roleArn = role.arn;
        this.securityGroupId = securityGroup.id;
        this.registerOutputs({ roleArn: this.roleArn, securityGroupId: this.securityGroupId });
    }
}
