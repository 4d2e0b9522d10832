import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { DeployRunner } from "../../../components/cluster/deploy-runner";
import { runnerUserData } from "../../../components/cluster/runner-user-data";
import { type Recorded, recordResources } from "../../support/pulumi";
import { projectDir } from "../../support/synth";

type Obj = Record<string, any>;

const config = {
    repository: "acme/mcp-platform",
    tokenParameter: "/mcp-platform/production/github-runner-token",
    version: "2.330.0",
    sha256: "ab".repeat(32),
    instanceType: "t3.large",
};

let recorded: Recorded;
let templates: Record<string, Obj>;
let scripts: Record<string, string>;

beforeAll(async () => {
    recorded = await recordResources(
        () =>
            new DeployRunner("deploy-runner", {
                ...config,
                label: "mcp-production",
                region: "us-east-1",
                vpcId: "vpc-1",
                privateSubnetIds: ["subnet-1", "subnet-2"],
                volumeKmsKeyArn: "arn:aws:kms:us-east-1:111111111111:key/1",
            }),
        { stack: "production" },
    );
    templates = Object.fromEntries(
        recorded
            .ofType("aws:ec2/launchTemplate:LaunchTemplate")
            .map((r) => [r.name, r.inputs as Obj]),
    );
    scripts = Object.fromEntries(
        Object.entries(templates).map(([name, t]) => [
            name,
            Buffer.from(t.userData, "base64").toString(),
        ]),
    );
});

/** The lines of a heredoc `<<'NAME'` that follows the line matching `opener`. */
function heredoc(script: string, opener: RegExp): string[] {
    const lines = script.split("\n");
    const start = lines.findIndex((l) => opener.test(l));
    expect(start, String(opener)).toBeGreaterThanOrEqual(0);
    const delimiter = /<<'(\w+)'/.exec(lines[start])![1];
    const end = lines.indexOf(delimiter, start + 1);
    return lines.slice(start + 1, end);
}

describe("DeployRunner", () => {
    it("runs two separate pools: deploy and pull-request previews, each its own label, role and group", () => {
        expect(Object.keys(templates).sort()).toEqual([
            "deploy-runner-preview-template",
            "deploy-runner-template",
        ]);
        expect(scripts["deploy-runner-template"]).toContain("--labels mcp-production ");
        expect(scripts["deploy-runner-preview-template"]).toContain(
            "--labels mcp-production-preview ",
        );
        expect(
            recorded
                .ofType("aws:iam/role:Role")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["deploy-runner-preview-role", "deploy-runner-role"]);
        expect(
            recorded
                .ofType("aws:ec2/securityGroup:SecurityGroup")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["deploy-runner-preview-sg", "deploy-runner-sg"]);
        for (const group of recorded.ofType("aws:autoscaling/group:Group")) {
            expect(group.inputs).toMatchObject({ minSize: 1, maxSize: 1 });
        }
    });

    it("registers ephemeral runners that power off after one job and are terminated", () => {
        for (const [name, script] of Object.entries(scripts)) {
            expect(script, name).toMatch(/\.\/config\.sh [^\n]*--ephemeral /);
            expect(script, name).toContain("--disableupdate");
            const unit = heredoc(script, /actions-runner\.service <<'UNIT'/);
            expect(unit).toEqual(expect.arrayContaining(["SuccessAction=poweroff"]));
            expect(templates[name].instanceInitiatedShutdownBehavior).toBe("terminate");
            expect(templates[name].metadataOptions).toMatchObject({
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            });
        }
    });

    it("boots the current AMI at each launch and refreshes the group on a new template", () => {
        for (const [name, template] of Object.entries(templates)) {
            // Resolved by EC2 at launch: a new Amazon Linux release is no change of ours.
            expect(template.imageId, name).toBe(
                "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
            );
        }
        for (const group of recorded.ofType("aws:autoscaling/group:Group")) {
            const template = templates[group.name.replace(/-group$/, "-template")];
            expect(template, group.name).toBeDefined();
            // A version number, so a new template version changes the group and refreshes it.
            expect((group.inputs as Obj).launchTemplate.version, group.name).toMatch(/^\d+$/);
            expect((group.inputs as Obj).instanceRefresh.strategy).toBe("Rolling");
        }
    });

    it("keeps the GitHub token out of the jobs' reach", () => {
        for (const [name, script] of Object.entries(scripts)) {
            // The token is read only inside the root-only registration script…
            const register = heredoc(script, /\/usr\/local\/sbin\/register-runner <<'SCRIPT'/);
            expect(
                script.split("\n").find((l) => l.includes("/usr/local/sbin/register-runner <<")),
            ).toMatch(/^install -m 0700 -o root -g root /);
            expect(register.join("\n")).toContain("aws ssm get-parameter");
            const outside = script.replace(register.join("\n"), "");
            expect(outside, name).not.toContain("ssm get-parameter");
            expect(outside, name).not.toContain("GITHUB_TOKEN");
            // …by a root service that has finished before the runner starts…
            const registerUnit = heredoc(script, /actions-runner-register\.service <<'UNIT'/);
            expect(registerUnit).toEqual(expect.arrayContaining(["Type=oneshot"]));
            expect(registerUnit.some((l) => l.startsWith("User="))).toBe(false);
            // …and the jobs run as `runner`, without privileges or the metadata service.
            const unit = heredoc(script, /actions-runner\.service <<'UNIT'/);
            expect(unit).toEqual(
                expect.arrayContaining([
                    "Requires=actions-runner-register.service",
                    "After=actions-runner-register.service",
                    "User=runner",
                    "NoNewPrivileges=yes",
                    "ProtectSystem=full",
                    "IPAddressDeny=169.254.169.254/32 fd00:ec2::254/128",
                ]),
            );
            expect(script).not.toMatch(/sudoers|wheel/);
        }
    });

    it("installs kubectl at the patch release of the test control plane", () => {
        const engines = fs.readFileSync(
            path.join(projectDir, "dev/engines/kubernetes/go.mod"),
            "utf8",
        );
        const kubernetes = /k8s\.io\/kubernetes v(\d+\.\d+\.\d+)/.exec(engines)![1];
        expect(scripts["deploy-runner-template"]).toMatch(
            new RegExp(`^dnf install .* kubectl-${kubernetes.replace(/\./g, "\\.")}( |$)`, "m"),
        );
        const stacks = ["production", "dr"].map(
            (s) =>
                parse(fs.readFileSync(path.join(projectDir, `Pulumi.${s}.yaml`), "utf8")).config[
                    "mcp-platform:cluster"
                ].version as string,
        );
        for (const version of stacks) expect(kubernetes.startsWith(`${version}.`)).toBe(true);
    });

    it("refuses a version that is not x.y.z", () => {
        expect(() =>
            runnerUserData({
                ...config,
                region: "us-east-1",
                label: "mcp-production",
                ghVersion: "latest",
            }),
        ).toThrow('deploy runner: ghVersion must be a version such as 1.2.3, got "latest"');
    });
});
