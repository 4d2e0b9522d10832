/**
 * AmazonSSMManagedInstanceCore, the AWS-managed policy that lets the SSM agent serve Session
 * Manager on the deploy runner and Karpenter's nodes, also allows `ssm:GetParameter(s)` on every
 * parameter of the account: the other stack's runner token included. This statement fences an
 * instance role to the parameters it reads: AWS's public ones (`/aws/service/…`, no account in
 * their ARN) and those it names. test/iam/requests/ssm-agent.yaml checks it both ways.
 */
export interface ParameterFenceScope {
    readonly partition: string;
    /** Parameter ARNs the role reads itself (the runner's token). */
    readonly allowed: readonly string[];
}

export function parameterFenceStatement(scope: ParameterFenceScope): Record<string, unknown> {
    return {
        Sid: "OnlyOwnParameters",
        Effect: "Deny",
        Action: [
            "ssm:GetParameter",
            "ssm:GetParameters",
            "ssm:GetParametersByPath",
            "ssm:GetParameterHistory",
        ],
        NotResource: [...scope.allowed, `arn:${scope.partition}:ssm:*::parameter/aws/service/*`],
    };
}
