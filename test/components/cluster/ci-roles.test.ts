import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import {
    CiRoles,
    ciTrustedJobs,
    githubOidcSubject,
    githubTrustPolicy,
    type TrustedJob,
} from "../../../components/cluster/ci-roles";
import { recordResources } from "../../support/pulumi";
import { projectDir } from "../../support/synth";

type Obj = Record<string, any>;
type Job = {
    if?: string;
    environment?: string;
    strategy?: { matrix: { include: Obj[] } };
    steps: { uses?: string; with?: Record<string, string> }[];
};

const repository = "acme/mcp-platform";
const provider = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com";
const workflow = (file: string) =>
    parse(fs.readFileSync(path.join(projectDir, ".github/workflows", file), "utf8")) as {
        on: Obj;
        jobs: Record<string, Job>;
    };

/** Every (stack, role variable, trusted job) a workflow's AWS credential steps ask for. */
function requestedTrust(): { stack: string; variable: string; job: TrustedJob }[] {
    const out: { stack: string; variable: string; job: TrustedJob }[] = [];
    for (const file of ["pull-request.yml", "deploy.yml", "dr.yml", "drift.yml"]) {
        const wf = workflow(file);
        for (const job of Object.values(wf.jobs)) {
            const aws = job.steps.find((s) => s.uses?.startsWith("aws-actions/"));
            if (!aws) continue;
            const variable = /vars\.(\w+)/.exec(aws.with!["role-to-assume"])![1];
            const entries = job.strategy?.matrix.include ?? [{ stack: "dr" }];
            for (const entry of entries) {
                const environment = job
                    .environment!.replace("${{ matrix.stack }}", entry.stack)
                    .replace("${{ matrix.environment }}", entry.environment);
                const ref = file === "pull-request.yml" ? "refs/pull/*/merge" : "refs/heads/main";
                out.push({
                    stack: entry.stack,
                    variable,
                    job: { workflow: file, environment, ref },
                });
            }
        }
    }
    return out;
}

describe("GitHub OIDC trust of the CI roles", () => {
    it("pins every deploy subject to main, an environment and a workflow file, exactly", () => {
        for (const stack of ["production", "dr"]) {
            const { deploy } = ciTrustedJobs(stack);
            const policy = JSON.parse(githubTrustPolicy(provider, repository, deploy));
            expect(policy.Statement).toHaveLength(1);
            const [statement] = policy.Statement;
            expect(statement.Principal).toEqual({ Federated: provider });
            expect(statement.Action).toBe("sts:AssumeRoleWithWebIdentity");
            // StringEquals only: no wildcard can widen a main-only subject.
            expect(Object.keys(statement.Condition)).toEqual(["StringEquals"]);
            const subjects = statement.Condition.StringEquals[
                "token.actions.githubusercontent.com:sub"
            ] as string[];
            expect(
                statement.Condition.StringEquals["token.actions.githubusercontent.com:aud"],
            ).toBe("sts.amazonaws.com");
            for (const sub of subjects) {
                expect(sub).toMatch(
                    /^repo:acme\/mcp-platform:environment:[\w-]+:job_workflow_ref:acme\/mcp-platform\/\.github\/workflows\/(deploy|dr)\.yml@refs\/heads\/main$/,
                );
            }
        }
        expect(ciTrustedJobs("production").deploy.map((j) => j.environment)).toEqual([
            "production",
        ]);
        expect(ciTrustedJobs("dr").deploy.map((j) => j.environment)).toEqual(["dr-standby", "dr"]);
    });

    it("trusts pull requests only in the read-only role, and only through the preview environment", () => {
        for (const stack of ["production", "dr"]) {
            const { deploy, readOnly } = ciTrustedJobs(stack);
            expect(deploy.some((j) => j.ref.startsWith("refs/pull/"))).toBe(false);
            const policy = JSON.parse(githubTrustPolicy(provider, repository, readOnly));
            const like = policy.Statement.find((s: Obj) => s.Condition.StringLike);
            expect(like.Condition.StringLike["token.actions.githubusercontent.com:sub"]).toEqual([
                `repo:${repository}:environment:preview-${stack}:job_workflow_ref:${repository}/.github/workflows/pull-request.yml@refs/pull/*/merge`,
            ]);
        }
    });

    it("matches what each workflow job asks for: deploy roles only from main", () => {
        const asked = requestedTrust();
        expect(asked.length).toBeGreaterThanOrEqual(7);
        for (const { stack, variable, job } of asked) {
            const trusted = ciTrustedJobs(stack);
            const role = /PREVIEW/.test(variable) ? trusted.readOnly : trusted.deploy;
            const subjects = role.map((j) => githubOidcSubject(repository, j));
            expect(subjects, `${job.workflow} ${stack} (${variable})`).toContain(
                githubOidcSubject(repository, job),
            );
        }
        // The jobs that get a deploy role run only on refs/heads/main.
        for (const file of ["deploy.yml", "dr.yml"]) {
            for (const job of Object.values(workflow(file).jobs)) {
                expect(job.if, file).toBe("github.ref == 'refs/heads/main'");
            }
        }
    });

    it("refuses a repository that is not owner/name and a role that trusts nothing", () => {
        expect(() => githubTrustPolicy(provider, "acme", ciTrustedJobs("dr").deploy)).toThrow(
            'CI roles: repository must be owner/name, got "acme"',
        );
        expect(() => githubTrustPolicy(provider, repository, [])).toThrow(
            "CI roles: a role must trust at least one job",
        );
    });
});

describe("CiRoles", () => {
    it("declares the stack's CI role and read-only role apart from the human admin roles", async () => {
        const recorded = await recordResources(
            () => new CiRoles("ci", { repository, stack: "production" }),
            { stack: "production" },
        );
        const roles = recorded.ofType("aws:iam/role:Role").map((r) => r.inputs as Obj);
        expect(roles.map((r) => r.name).sort()).toEqual([
            "mcp-platform-production-ci",
            "mcp-platform-production-ci-read",
        ]);
        for (const role of roles) expect(role.path).toBe("/mcp-platform-ci/");
        const deploy = roles.find((r) => r.name === "mcp-platform-production-ci")!;
        const trust = JSON.parse(deploy.assumeRolePolicy);
        expect(trust.Statement[0].Principal.Federated).toMatch(
            /^arn:aws:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
        );
        const policies = recorded
            .ofType("aws:iam/rolePolicy:RolePolicy")
            .map((r) => JSON.parse((r.inputs as Obj).policy));
        const denied = policies.flatMap((p) => p.Statement).filter((s: Obj) => s.Effect === "Deny");
        // The CI role cannot change its own trust; the read-only role cannot read the runners'
        // GitHub token or any data.
        expect(denied.flatMap((s: Obj) => s.Action)).toEqual(
            expect.arrayContaining([
                "iam:UpdateAssumeRolePolicy",
                "ssm:GetParameter",
                "s3:GetObject*",
            ]),
        );
    });
});
