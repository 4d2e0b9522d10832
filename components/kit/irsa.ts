import * as pulumi from "@pulumi/pulumi";

/**
 * IAM Roles for Service Accounts: the trust policy that lets exactly one Kubernetes service
 * account (`system:serviceaccount:<namespace>:<name>`) assume a role through the cluster's
 * OIDC provider, and nothing else (no wildcard subject, audience pinned to STS).
 */

/** The cluster's OIDC identity, as the EKS cluster component exports it. */
export interface OidcIdentity {
    /** ARN of the `aws.iam.OpenIdConnectProvider`. */
    readonly providerArn: pulumi.Input<string>;
    /** The issuer without scheme, e.g. `oidc.eks.us-east-1.amazonaws.com/id/ABC`. */
    readonly issuerHost: pulumi.Input<string>;
}

export interface ServiceAccountRef {
    readonly namespace: string;
    readonly name: string;
}

/** The trust policy document (JSON) limited to one service account. */
export function irsaTrustPolicy(
    identity: OidcIdentity,
    account: ServiceAccountRef,
): pulumi.Output<string> {
    return pulumi
        .all([identity.providerArn, identity.issuerHost])
        .apply(([providerArn, issuerHost]) =>
            JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    {
                        Effect: "Allow",
                        Principal: { Federated: providerArn },
                        Action: "sts:AssumeRoleWithWebIdentity",
                        Condition: {
                            StringEquals: {
                                [`${issuerHost}:sub`]: `system:serviceaccount:${account.namespace}:${account.name}`,
                                [`${issuerHost}:aud`]: "sts.amazonaws.com",
                            },
                        },
                    },
                ],
            }),
        );
}
