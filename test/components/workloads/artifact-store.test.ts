import { beforeAll, describe, expect, it } from "vitest";
import { artifactAccessPolicy, ArtifactStore } from "../../../components/workloads/artifact-store";
import { type Recorded, recordResources } from "../../support/pulumi";

describe("ArtifactStore", () => {
    let recorded: Recorded;
    beforeAll(async () => {
        recorded = await recordResources(
            () =>
                new ArtifactStore("artifacts", {
                    region: "us-east-1",
                    bucketPrefix: "mcp-artifacts",
                    retentionDays: 90,
                    oidc: {
                        providerArn: "arn:aws:iam::123456789012:oidc-provider/oidc.example/id/X",
                        issuerHost: "oidc.example/id/X",
                    },
                    serviceAccounts: [
                        { namespace: "mcp-system", name: "mcp-semantic-control-plane" },
                    ],
                }),
        );
    });

    it("keeps the bucket private, versioned and encrypted with its own rotating key", () => {
        const bucket = recorded.one("aws:s3/bucket:Bucket", "artifacts-bucket").inputs;
        // Globally unique: the prefix, the account id and the region.
        expect(bucket.bucket).toBe("mcp-artifacts-123456789012-us-east-1");
        expect(recorded.one("aws:kms/key:Key", "artifacts-key").inputs.enableKeyRotation).toBe(
            true,
        );
        const sse = recorded.one(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "artifacts-encryption",
        ).inputs as any;
        expect(sse.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm).toBe("aws:kms");
        const block = recorded.one(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "artifacts-public-access",
        ).inputs;
        expect(block).toMatchObject({
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        });
        const versioning = recorded.one(
            "aws:s3/bucketVersioning:BucketVersioning",
            "artifacts-versioning",
        ).inputs as any;
        expect(versioning.versioningConfiguration.status).toBe("Enabled");
        const policy = JSON.parse(
            recorded.one("aws:s3/bucketPolicy:BucketPolicy", "artifacts-policy").inputs
                .policy as string,
        );
        expect(policy.Statement[0].Condition).toEqual({ Bool: { "aws:SecureTransport": "false" } });
    });

    it("expires artifacts after artifact.retention.days", () => {
        const lifecycle = recorded.one(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "artifacts-lifecycle",
        ).inputs as any;
        expect(lifecycle.rules[0]).toMatchObject({
            status: "Enabled",
            expiration: { days: 90 },
            noncurrentVersionExpiration: { noncurrentDays: 30 },
        });
    });

    it("gives each service account its own IRSA role limited to the bucket and key", () => {
        const role = recorded.one("aws:iam/role:Role", "artifacts-mcp-semantic-control-plane-role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
        expect(trust.Statement[0].Condition.StringEquals["oidc.example/id/X:sub"]).toBe(
            "system:serviceaccount:mcp-system:mcp-semantic-control-plane",
        );
        const access = JSON.parse(artifactAccessPolicy("arn:aws:s3:::b", "arn:aws:kms:k"));
        const actions = access.Statement.flatMap((s: any) => [s.Action].flat());
        expect(actions.sort()).toEqual([
            "kms:Decrypt",
            "kms:GenerateDataKey",
            "s3:DeleteObject",
            "s3:GetObject",
            "s3:ListBucket",
            "s3:PutObject",
        ]);
        expect(access.Statement.map((s: any) => s.Resource)).toEqual([
            "arn:aws:s3:::b",
            "arn:aws:s3:::b/*",
            "arn:aws:kms:k",
        ]);
    });
});
