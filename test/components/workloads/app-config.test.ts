import { describe, expect, it } from "vitest";
import { AppConfig, type AppConfigArgs } from "../../../components/workloads/app-config";
import { recordResources } from "../../support/pulumi";

const args: AppConfigArgs = {
    // A plain string on purpose: the component must still keep it secret.
    jwtSecret: "test-only-jwt",
    jwtSecretRotation: "2026-11",
    semanticConfig: {
        validationCacheSize: 50000,
        validationCacheTtlMs: 600000,
        artifactRetentionDays: 90,
        artifactBucket: "mcp-artifacts",
        region: "us-east-1",
    },
};

describe("AppConfig", () => {
    it("stores the jwt-secret it is given in mcp-secrets and generates none", async () => {
        const recorded = await recordResources(() => new AppConfig("app", args));
        // platform/secrets.ts generates it (test/platform/secrets.test.ts).
        expect(recorded.ofType("random:index/randomPassword:RandomPassword")).toEqual([]);
        const secret = recorded.one("kubernetes:core/v1:Secret", "app-mcp-secrets").inputs as any;
        expect(secret.metadata).toMatchObject({ name: "mcp-secrets", namespace: "mcp-production" });
        // The value is a Pulumi secret: recorded redacted, never in plaintext.
        expect(secret.stringData).toEqual({ "jwt-secret": "[secret]" });
    });

    it("writes mcp-semantic-config with the control plane's keys in mcp-system", async () => {
        const recorded = await recordResources(() => new AppConfig("app", args));
        const map = recorded.one("kubernetes:core/v1:ConfigMap", "app-semantic-config")
            .inputs as any;
        expect(map.metadata).toMatchObject({
            name: "mcp-semantic-config",
            namespace: "mcp-system",
        });
        expect(map.data).toEqual({
            "validation.cache.size": "50000",
            "validation.cache.ttl": "600000",
            "artifact.retention.days": "90",
            "storage.backend": "s3",
            "storage.bucket": "mcp-artifacts",
            "storage.region": "us-east-1",
        });
    });
});
