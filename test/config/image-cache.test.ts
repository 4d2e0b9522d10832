import { describe, expect, it } from "vitest";
import { imageRegistryHost } from "../../config/image-cache";
import { configProblems, parseStack } from "../support/config";

/** `mcp-platform:cluster.imageCache` (docs/cluster.md, "Image cache"). */

const file = "Pulumi.production.yaml";
const key = "mcp-platform:cluster.imageCache";
const secret = (region: string, account: string, name: string) =>
    `arn:aws:secretsmanager:${region}:${account}:secret:ecr-pullthroughcache/${name}`;

function problems(edit: (cache: Record<string, any>, ns: Record<string, any>) => void) {
    return configProblems("production", (ns) => edit(ns["mcp-platform"].cluster.imageCache, ns));
}

describe("mcp-platform:cluster.imageCache", () => {
    it("reads both stacks' credentials; the registry is their account's in the stack's region", () => {
        for (const [stack, region] of [
            ["production", "us-east-1"],
            ["dr", "us-west-2"],
        ]) {
            const cfg = parseStack(stack);
            expect(cfg.cluster.imageCache.upstreamCredentials.dockerHub).toBe(
                secret(region, "111111111111", "docker-hub-AbCdEf"),
            );
            expect(imageRegistryHost(cfg.cluster.imageCache, cfg.region)).toBe(
                `111111111111.dkr.ecr.${region}.amazonaws.com`,
            );
        }
    });

    it("refuses a stack without it, naming the key", () => {
        const found = configProblems(
            "production",
            (ns) => delete ns["mcp-platform"].cluster.imageCache,
        );
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(new RegExp(`^${file}: ${key.replace(/\./g, "\\.")}: is required`));
    });

    it("refuses a missing credential, naming its key", () => {
        const found = problems((cache) => delete cache.upstreamCredentials.ghcr);
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(`${file}: ${key}.upstreamCredentials.ghcr: is required`);
    });

    it("refuses a secret ECR cannot use for a cache rule", () => {
        const arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:dockerhub-token";
        const found = problems((cache) => (cache.upstreamCredentials.dockerHub = arn));
        expect(found).toHaveLength(1);
        expect(found[0]).toContain(
            `${file}: ${key}.upstreamCredentials.dockerHub: expected a Secrets Manager secret ARN named ecr-pullthroughcache/<name>`,
        );
    });

    it("refuses a secret in another region or account", () => {
        const west = secret("us-west-2", "111111111111", "ghcr");
        expect(problems((cache) => (cache.upstreamCredentials.ghcr = west))).toEqual([
            `${file}: ${key}.upstreamCredentials.ghcr: expected a secret in the stack's region us-east-1 (ECR reads a cache rule's secret in its own region) (got "${west}")`,
        ]);
        const other = secret("us-east-1", "222222222222", "ghcr");
        expect(problems((cache) => (cache.upstreamCredentials.ghcr = other))).toEqual([
            `${file}: ${key}.upstreamCredentials.ghcr: expected a secret in account 111111111111, the other credentials' (the stack's registry) (got "${other}")`,
        ]);
    });

    it("refuses secrets outside aws:allowedAccountIds", () => {
        expect(problems((_cache, ns) => (ns.aws.allowedAccountIds = ["333333333333"]))).toEqual([
            `${file}: ${key}.upstreamCredentials: expected secrets in an account of aws:allowedAccountIds (333333333333) (got "111111111111")`,
        ]);
    });
});
