import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { PreflightReport } from "../../tools/lib/preflight/report";
import { projectDir } from "../support/synth";

/** `npm run preflight -- <args>` as a child process (tsx directly, as npm runs it). */
function run(args: readonly string[]) {
    const child = spawnSync(
        process.execPath,
        [path.join(projectDir, "node_modules/.bin/tsx"), "tools/preflight.ts", ...args],
        { cwd: projectDir, encoding: "utf8", timeout: 120_000 },
    );
    return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

const stackTrace = /^\s+at /m;
const filled = "test/fixtures/preflight/Pulumi.production.yaml";

/** A copy of the filled-in fixture with `edit` applied to its text, in a temporary directory. */
function variant(edit: (text: string) => string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
    const file = path.join(dir, "Pulumi.production.yaml");
    fs.writeFileSync(file, edit(fs.readFileSync(path.join(projectDir, filled), "utf8")));
    return file;
}

describe("npm run preflight -- production (the committed stack file)", () => {
    const result = run(["production"]);

    it("exits 1 and lists every unset secret with the command that sets it", () => {
        expect(result.status).toBe(1);
        expect(result.stderr).toBe("");
        for (const key of [
            "cloudflare:apiToken",
            "mcp-platform:pagerdutyRoutingKey",
            "mcp-platform:slackWebhookUrl",
            "mcp-platform:smtpPassword",
            "mcp-platform:deadMansSwitchToken",
        ]) {
            expect(result.stdout).toContain(
                `    pulumi config set --stack production --secret ${key}\n`,
            );
        }
        // The origin credential too: the ALBs refuse requests without it.
        expect(result.stdout).toContain(
            "    pulumi config set --stack production --secret mcp-platform:edgeOriginToken\n",
        );
    });

    it("lists the example values by key path, each with its pulumi config set --path command", () => {
        for (const line of [
            "  mcp-platform:cluster.adminRoleArns[0]  now arn:aws:iam::111111111111:role/platform-admin",
            "    pulumi config set --stack production --path 'mcp-platform:cluster.adminRoleArns[0]' 'arn:aws:iam::<account-id>:role/platform-admin'",
            "    pulumi config set --stack production --path 'mcp-platform:cluster.deployRunner.sha256' '<sha256-of-the-linux-x64-tarball>'",
            "    pulumi config set --stack production --path 'mcp-platform:workloads.ingress.certificateArn' '<acm-certificate-arn>'",
            "    pulumi config set --stack production --path 'mcp-platform:edge.accountId' '<cloudflare-account-id>'",
            "    pulumi config set --stack production --path 'mcp-platform:edge.worker.zoneId' '<cloudflare-zone-id>'",
            "    pulumi config set --stack production --path 'mcp-platform:monitoring.receivers.email.to' 'ops@<your-domain>'",
            "    pulumi config set --stack production --path 'mcp-platform:monitoring.receivers.email.smarthost' 'smtp.<your-domain>:587'",
        ]) {
            expect(result.stdout).toContain(`${line}\n`);
        }
        expect(result.stdout).toMatch(
            /^preflight production: Pulumi\.production\.yaml needs \d+ values before a real deploy\n/,
        );
    });

    it("groups them, secrets first, and says how to finish", () => {
        const headings = result.stdout
            .split("\n")
            .filter((line) => /^\S.*\(\d+\)$/.test(line))
            .map((line) => line.replace(/[:(].*$/, "").trim());
        expect(headings).toEqual([
            "unset secrets",
            "example ACM certificate ARNs",
            "the example AWS account ID in ARNs and names",
            "example Cloudflare IDs",
            "example hostnames and addresses",
            "the deploy runner",
        ]);
        expect(result.stdout.trimEnd().split("\n").at(-1)).toBe(
            "Set them, then run `npm run preflight -- production` again; it exits 0 when none is left.",
        );
    });
});

describe("npm run preflight -- dr --json", () => {
    const result = run(["dr", "--json"]);
    const report = JSON.parse(result.stdout) as PreflightReport;
    const keys = (id: string) =>
        report.groups.find((g) => g.id === id)?.items.map((item) => item.key) ?? [];

    it("reports the dr stack's example accounts, exit 1; the primary stack is found by name", () => {
        expect(result.status).toBe(1);
        expect(report).toMatchObject({ stack: "dr", stackFile: "Pulumi.dr.yaml", ready: false });
        // `primaryStack: production` resolves in the deploying organization: nothing to fill.
        expect(keys("stack-name")).toEqual([]);
        expect(keys("aws-account")).toEqual([
            "mcp-platform:cluster.imageCache.upstreamCredentials.dockerHub",
            "mcp-platform:cluster.imageCache.upstreamCredentials.ghcr",
            "mcp-platform:cluster.adminRoleArns[0]",
            "mcp-platform:cluster.previewRoleArns[0]",
        ]);
        expect(keys("unset-secrets")).toContain("cloudflare:apiToken");
        // Secrets are listed by key only: no `current` value.
        for (const item of report.groups.find((g) => g.id === "unset-secrets")!.items) {
            expect(item).toEqual({ key: item.key, command: expect.any(String) });
        }
    });
});

describe("npm run preflight on a filled-in stack file", () => {
    it("exits 0 when nothing is left", () => {
        const result = run(["production", "--stack-file", filled]);
        expect(result.stderr).toBe("");
        expect(result.stdout).toBe(
            `preflight production: ${filled} is ready: no unset secret, example value or invalid value left\n`,
        );
        expect(result.status).toBe(0);
    });

    it("finds one example value anywhere in the file (an image, an account in an ARN)", () => {
        const file = variant((text) =>
            text
                .replace(
                    "image: ghcr.io/mcp-platform/mcp-cache:v2.4.1",
                    "image: registry.example.com/mcp-cache:v2.4.1",
                )
                .replace(
                    "arn:aws:iam::210987654321:role/platform-admin",
                    "arn:aws:iam::123456789012:role/platform-admin",
                ),
        );
        const report = JSON.parse(
            run(["production", "--stack-file", file, "--json"]).stdout,
        ) as PreflightReport;
        expect(report.groups.map((g) => [g.id, g.items.map((i) => i.key)])).toEqual([
            ["aws-account", ["mcp-platform:cluster.adminRoleArns[0]"]],
            ["image", ["mcp-platform:workloads.services.mcp-cache.image"]],
        ]);
    });

    it("lists an unset credential without a stack trace and exits 1", () => {
        const file = variant((text) =>
            text.replace(/ {2}mcp-platform:smtpPassword:\n {4}secure: \S+\n/, ""),
        );
        const result = run(["production", "--stack-file", file]);
        expect(result.status).toBe(1);
        expect(result.stdout).toContain(
            "  mcp-platform:smtpPassword  password of the SMTP user of the email receiver\n    pulumi config set --stack production --secret mcp-platform:smtpPassword\n",
        );
        expect(result.stdout).not.toMatch(stackTrace);
    });

    it("reports a value the config validation rejects, never echoing a plaintext credential", () => {
        const file = variant((text) =>
            text
                .replace("vpcCidr: 10.10.0.0/16", "vpcCidr: 10.10.0.0/33")
                .replace(
                    /( {2}mcp-platform:slackWebhookUrl:)\n {4}secure: \S+\n/,
                    "$1 https://hooks.slack.com/services/T000/B000/plaintextvalue\n",
                ),
        );
        const result = run(["production", "--stack-file", file]);
        expect(result.status).toBe(1);
        expect(result.stdout).toContain("values the config validation rejects (2)");
        expect(result.stdout).toContain(
            "  mcp-platform:network.vpcCidr  expected an IPv4 CIDR block",
        );
        expect(result.stdout).toContain(
            "    pulumi config set --stack production --secret mcp-platform:slackWebhookUrl\n",
        );
        expect(result.stdout + result.stderr).not.toContain("plaintextvalue");
    });

    it("names the file and line of a malformed stack file in one line", () => {
        const file = variant((text) =>
            text.replace(
                "  mcp-platform:owner: platform-sre",
                "  mcp-platform:owner: [platform-sre",
            ),
        );
        const result = run(["production", "--stack-file", file]);
        expect(result.status).toBe(1);
        expect(result.stdout).toBe("");
        const lines = result.stderr.trimEnd().split("\n");
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(
            new RegExp(`^preflight: \\S*Pulumi\\.production\\.yaml:\\d+:\\d+: \\S`),
        );
        expect(result.stderr).not.toMatch(stackTrace);
    });
});

describe("npm run preflight command line", () => {
    it("--help prints the usage and the stacks, exit 0", () => {
        const result = run(["--help"]);
        expect(result.status).toBe(0);
        expect(result.stdout).toMatch(/^usage: npm run preflight -- <stack> \[-o json\|yaml\]\n/);
        for (const option of [
            "-o, --output json|yaml",
            "--json",
            "--stack-file FILE",
            "-h, --help",
            "--version",
        ]) {
            expect(result.stdout).toContain(`  ${option} `);
        }
        expect(result.stdout).toContain("stacks in this project: dr, production");
    });

    it.each([
        [["--nope"], "unknown option --nope"],
        [["production", "dr"], "unexpected argument dr"],
        [["production", "--stack-file"], "--stack-file needs a value"],
        [[], "no stack given; stacks in this project: dr, production"],
        [["staging"], 'unknown stack "staging"; stacks in this project: dr, production'],
    ])("%j exits 2 with one line", (args, problem) => {
        const result = run(args);
        expect(result.status).toBe(2);
        expect(result.stdout).toBe("");
        expect(result.stderr).toBe(`preflight: ${problem}; see npm run preflight -- --help\n`);
    });
});
