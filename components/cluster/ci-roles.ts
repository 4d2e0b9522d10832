import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The AWS roles GitHub Actions assumes for one stack, through GitHub's OIDC provider: one CI
 * role that deploys the stack (separate from the human administrators' roles) and one
 * read-only role for previews and drift checks. Each trusts only named workflows of one
 * repository, in named GitHub environments, at named refs — the deploy role only `main`.
 *
 * The subjects rely on the repository's OIDC subject template
 * `{"use_default": false, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}`
 * (docs/operations.md, "CI/CD setup"), which makes a job's `sub`
 * `repo:<owner>/<repo>:environment:<env>:job_workflow_ref:<owner>/<repo>/.github/workflows/<file>@<ref>`:
 * the environment, the workflow file and the ref it ran from, all signed by GitHub.
 */

/** The one place GitHub's OIDC tokens come from. */
export const githubOidcHost = "token.actions.githubusercontent.com";

/** One kind of job a role trusts: a workflow file, in an environment, at a ref. */
export interface TrustedJob {
    readonly workflow: string;
    readonly environment: string;
    /** `refs/heads/main`, or `refs/pull/*\/merge` (pull_request events). */
    readonly ref: string;
}

/** The `sub` claim of a job's OIDC token under the repository's subject template. */
export function githubOidcSubject(repository: string, job: TrustedJob): string {
    return (
        `repo:${repository}:environment:${job.environment}` +
        `:job_workflow_ref:${repository}/.github/workflows/${job.workflow}@${job.ref}`
    );
}

/** The jobs each of a stack's two roles trusts; the workflows name the same environments. */
export function ciTrustedJobs(stack: string): { deploy: TrustedJob[]; readOnly: TrustedJob[] } {
    const main = "refs/heads/main";
    const deploy: TrustedJob[] =
        stack === "dr"
            ? [
                  { workflow: "deploy.yml", environment: "dr-standby", ref: main },
                  { workflow: "dr.yml", environment: "dr", ref: main },
              ]
            : [{ workflow: "deploy.yml", environment: stack, ref: main }];
    return {
        deploy,
        readOnly: [
            {
                workflow: "pull-request.yml",
                environment: `preview-${stack}`,
                ref: "refs/pull/*/merge",
            },
            { workflow: "drift.yml", environment: `drift-${stack}`, ref: main },
        ],
    };
}

/**
 * The trust policy of a CI role: GitHub's OIDC provider, audience `sts.amazonaws.com`, and
 * exactly these subjects. A subject with a wildcard (pull-request refs) is matched with
 * StringLike; every other with StringEquals, so a `main` subject matches nothing else.
 */
export function githubTrustPolicy(
    providerArn: string,
    repository: string,
    jobs: readonly TrustedJob[],
): string {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
        throw new Error(`CI roles: repository must be owner/name, got "${repository}"`);
    }
    if (jobs.length === 0) throw new Error("CI roles: a role must trust at least one job");
    const subjects = jobs.map((job) => githubOidcSubject(repository, job));
    const exact = subjects.filter((s) => !s.includes("*"));
    const patterns = subjects.filter((s) => s.includes("*"));
    const audience = `${githubOidcHost}:aud`;
    const subject = `${githubOidcHost}:sub`;
    const statement = (operator: "StringEquals" | "StringLike", values: string[]) => ({
        Effect: "Allow",
        Principal: { Federated: providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition:
            operator === "StringEquals"
                ? { StringEquals: { [audience]: "sts.amazonaws.com", [subject]: values } }
                : {
                      StringEquals: { [audience]: "sts.amazonaws.com" },
                      StringLike: { [subject]: values },
                  },
    });
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            ...(exact.length > 0 ? [statement("StringEquals", exact)] : []),
            ...(patterns.length > 0 ? [statement("StringLike", patterns)] : []),
        ],
    });
}

/** Reads a read-only role must not make: data, secrets and the runner's GitHub token. */
export function readOnlyDenyPolicy(partition: string, account: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "NoDataOrSecretReads",
                Effect: "Deny",
                Action: [
                    "s3:GetObject*",
                    "kms:Decrypt",
                    "secretsmanager:GetSecretValue",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                    "logs:StartQuery",
                    "logs:GetQueryResults",
                    "ec2:GetPasswordData",
                    "ec2:GetConsoleOutput",
                    "ec2:GetConsoleScreenshot",
                ],
                Resource: "*",
            },
            {
                // The account's own parameters (the runners' GitHub token among them); AWS's
                // public parameters (the AMI the runners boot) stay readable.
                Sid: "NoAccountParameterReads",
                Effect: "Deny",
                Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
                Resource: `arn:${partition}:ssm:*:${account}:parameter/*`,
            },
        ],
    });
}

/** Changes the deploy role may not make: to the CI roles' own trust and permissions. */
export function noSelfChangePolicy(partition: string, account: string, path: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "NoChangeToCiRoles",
                Effect: "Deny",
                Action: [
                    "iam:UpdateAssumeRolePolicy",
                    "iam:PutRolePolicy",
                    "iam:DeleteRolePolicy",
                    "iam:AttachRolePolicy",
                    "iam:DetachRolePolicy",
                    "iam:PutRolePermissionsBoundary",
                    "iam:DeleteRolePermissionsBoundary",
                    "iam:UpdateRole",
                    "iam:DeleteRole",
                    "iam:TagRole",
                    "iam:UntagRole",
                ],
                Resource: `arn:${partition}:iam::${account}:role${path}*`,
            },
            {
                Sid: "NoChangeToGithubProvider",
                Effect: "Deny",
                Action: [
                    "iam:CreateOpenIDConnectProvider",
                    "iam:DeleteOpenIDConnectProvider",
                    "iam:UpdateOpenIDConnectProviderThumbprint",
                    "iam:AddClientIDToOpenIDConnectProvider",
                    "iam:RemoveClientIDFromOpenIDConnectProvider",
                ],
                Resource: `arn:${partition}:iam::${account}:oidc-provider/${githubOidcHost}`,
            },
        ],
    });
}

export interface CiRolesArgs {
    /** `owner/repository` whose workflows assume the roles. */
    readonly repository: string;
    /** The stack the roles serve: "production" or "dr". */
    readonly stack: string;
    /**
     * The account's GitHub OIDC provider (one per account, created once:
     * docs/operations.md, "CI/CD setup").
     * @default arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com
     */
    readonly providerArn?: pulumi.Input<string>;
}

/**
 * The stack's CI role (`mcp-platform-<stack>-ci`: deploys, AdministratorAccess less any change
 * to the CI roles themselves) and its read-only role (`mcp-platform-<stack>-ci-read`:
 * ReadOnlyAccess less data and secret reads), both under the IAM path `/mcp-platform-ci/`.
 * Their fixed names give the ARNs the GitHub environments' variables hold. Changing them takes
 * an administrator's `pulumi up`: the CI role may not.
 */
export class CiRoles extends pulumi.ComponentResource {
    public readonly deployRoleArn: pulumi.Output<string>;
    public readonly readOnlyRoleArn: pulumi.Output<string>;

    constructor(name: string, args: CiRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:CiRoles", name, {}, opts);
        const child = { parent: this };
        const partition = aws.getPartitionOutput({}, child).partition;
        const account = aws.getCallerIdentityOutput({}, child).accountId;
        const path = "/mcp-platform-ci/";
        const providerArn =
            args.providerArn ??
            pulumi.interpolate`arn:${partition}:iam::${account}:oidc-provider/${githubOidcHost}`;
        const jobs = ciTrustedJobs(args.stack);

        const deploy = new aws.iam.Role(
            `${name}-deploy`,
            {
                name: `mcp-platform-${args.stack}-ci`,
                path,
                description: `GitHub Actions: pulumi up of the ${args.stack} stack from main`,
                maxSessionDuration: 2 * 3600,
                assumeRolePolicy: pulumi
                    .output(providerArn)
                    .apply((arn) => githubTrustPolicy(arn, args.repository, jobs.deploy)),
            },
            child,
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-deploy-admin`,
            {
                role: deploy.name,
                policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/AdministratorAccess`,
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-deploy-no-self-change`,
            {
                role: deploy.name,
                policy: pulumi
                    .all([partition, account])
                    .apply(([p, a]) => noSelfChangePolicy(p, a, path)),
            },
            child,
        );

        const readOnly = new aws.iam.Role(
            `${name}-read`,
            {
                name: `mcp-platform-${args.stack}-ci-read`,
                path,
                description: `GitHub Actions: preview and drift of the ${args.stack} stack`,
                assumeRolePolicy: pulumi
                    .output(providerArn)
                    .apply((arn) => githubTrustPolicy(arn, args.repository, jobs.readOnly)),
            },
            child,
        );
        new aws.iam.RolePolicyAttachment(
            `${name}-read-only`,
            {
                role: readOnly.name,
                policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/ReadOnlyAccess`,
            },
            child,
        );
        new aws.iam.RolePolicy(
            `${name}-read-no-data`,
            {
                role: readOnly.name,
                policy: pulumi
                    .all([partition, account])
                    .apply(([p, a]) => readOnlyDenyPolicy(p, a)),
            },
            child,
        );

        this.deployRoleArn = deploy.arn;
        this.readOnlyRoleArn = readOnly.arn;
        this.registerOutputs({
            deployRoleArn: this.deployRoleArn,
            readOnlyRoleArn: this.readOnlyRoleArn,
        });
    }
}
