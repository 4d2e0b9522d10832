import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { projectDir, synth } from "../support/synth";

/**
 * The acceptance case of the policy pack: a program with a privileged Deployment, a public
 * unencrypted bucket and a wildcard IAM policy makes the synth (what the pull-request check
 * runs) fail with a report that names each policy, the resource and the fix.
 */
describe("synth of an insecure program", () => {
    const fixture = path.join(projectDir, "test/fixtures/insecure");
    const result = synth("production", {
        program: path.join(fixture, "index.ts"),
        stackFile: path.join(fixture, "Pulumi.production.yaml"),
    });
    const urn = (type: string, name: string) =>
        `urn:pulumi:production::mcp-platform::${type}::${name}`;

    it("exits non-zero and says why on stderr", () => {
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(
            /synth production: 12 mandatory policy violation\(s\); see above\./,
        );
    });

    it.each([
        [
            "k8s-container-not-privileged",
            urn("kubernetes:apps/v1:Deployment", "privileged"),
            'Deployment mcp-production/debug-shell: container "shell" must not be privileged',
            "fix: Set securityContext.privileged: false",
        ],
        [
            "k8s-container-image-through-cache",
            urn("kubernetes:apps/v1:Deployment", "privileged"),
            'container "shell" image busybox:1.36.1 must be pulled through the stack\'s ECR pull-through cache',
            "fix: Render the image through cachedImage",
        ],
        [
            "aws-s3-bucket-not-public",
            urn("aws:s3/bucket:Bucket", "public-assets"),
            "S3 bucket public-assets must not use the public-read ACL.",
            "fix: Remove the public ACL",
        ],
        [
            "aws-s3-bucket-encrypted-cmk",
            urn("aws:s3/bucket:Bucket", "public-assets"),
            "must default to SSE-KMS with a customer-managed key (got none)",
            "fix: Add aws.s3.BucketServerSideEncryptionConfiguration",
        ],
        [
            "aws-s3-bucket-public-access-block",
            urn("aws:s3/bucket:Bucket", "public-assets"),
            "must have a public access block",
            "fix: Add aws.s3.BucketPublicAccessBlock",
        ],
        [
            "aws-iam-no-wildcard-admin",
            urn("aws:iam/policy:Policy", "wildcard"),
            'IAM policy wildcard statement 0 must not allow Action "*" on Resource "*"',
            "fix: Replace the statement with the specific actions",
        ],
    ])(
        "reports %s on the resource with the message and the fix",
        (policy, resource, message, fix) => {
            const lines = result.stdout.split("\n");
            const at = lines.findIndex((l) => l.trim() === `[mandatory] ${policy}: ${resource}`);
            expect(at, `no report line for ${policy}`).toBeGreaterThanOrEqual(0);
            expect(lines[at + 1]).toContain(message);
            expect(lines[at + 2].trim()).toMatch(
                new RegExp(`^${fix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
            );
        },
    );

    it("writes every result and every policy that ran to policy-report.json", () => {
        const report = result.policyReport();
        expect(report.ran.map((r) => r.policy).sort()).toEqual(policies.map((p) => p.name).sort());
        const violated = new Set(report.results.map((r) => r.policy));
        expect([...violated].sort()).toEqual([
            "aws-iam-no-wildcard-action",
            "aws-iam-no-wildcard-admin",
            "aws-iam-pass-role-scoped",
            "aws-s3-bucket-encrypted-cmk",
            "aws-s3-bucket-not-public",
            "aws-s3-bucket-public-access-block",
            "aws-s3-bucket-tls-only",
            "aws-s3-bucket-versioning",
            "aws-stateful-resources-protected",
            "k8s-container-image-through-cache",
            "k8s-container-no-privilege-escalation",
            "k8s-container-not-privileged",
        ]);
        expect(report.results.every((r) => r.level === "mandatory")).toBe(true);
    });
});
