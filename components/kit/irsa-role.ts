import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { irsaTrustPolicy, type OidcIdentity, type ServiceAccountRef } from "./irsa";

export interface IrsaRoleArgs {
    /** The cluster's OIDC provider and issuer. */
    readonly oidc: OidcIdentity;
    /** The one service account allowed to assume the role. */
    readonly serviceAccount: ServiceAccountRef;
    /** Inline permissions, as an IAM policy document (JSON). Keep them to what the pod needs. */
    readonly policy?: pulumi.Input<string>;
    /** Managed policies to attach by ARN (e.g. the EBS CSI driver's AWS-managed policy). @default [] */
    readonly managedPolicyArns?: pulumi.Input<string>[];
}

/**
 * An IAM role that exactly one Kubernetes service account can assume (IRSA), with its
 * permissions. The role ARN goes into the service account's
 * `eks.amazonaws.com/role-arn` annotation.
 */
export class IrsaRole extends pulumi.ComponentResource {
    public readonly roleArn: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: IrsaRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:iam:IrsaRole", name, {}, opts);

        const role = new aws.iam.Role(
            `${name}-role`,
            {
                description: `IRSA role for ${args.serviceAccount.namespace}/${args.serviceAccount.name}`,
                assumeRolePolicy: irsaTrustPolicy(args.oidc, args.serviceAccount),
            },
            { parent: this },
        );
        if (args.policy !== undefined) {
            new aws.iam.RolePolicy(
                `${name}-policy`,
                { role: role.name, policy: args.policy },
                { parent: this },
            );
        }
        (args.managedPolicyArns ?? []).forEach((policyArn, index) => {
            new aws.iam.RolePolicyAttachment(
                `${name}-managed-${index}`,
                { role: role.name, policyArn },
                { parent: this },
            );
        });

        this.roleArn = role.arn;
        this.roleName = role.name;
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
    }
}
