import { z } from "zod";
import { cacheSecretNamePrefix, ecrRegistryHost } from "../contracts/image-cache";
import type { ConfigProblem } from "./lib/format";

/** A Secrets Manager secret a pull-through cache rule may use (its name prefix is required). */
const cacheCredentialArn = z
    .string()
    .regex(
        /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+$/,
        {
            message: `expected a Secrets Manager secret ARN named ${cacheSecretNamePrefix}<name> (arn:aws:secretsmanager:<region>:<account>:secret:${cacheSecretNamePrefix}…)`,
        },
    );

/**
 * `mcp-platform:cluster.imageCache` — the ECR pull-through cache the pods pull through
 * (docs/cluster.md, "Image cache"). Required: with no credentials ECR cannot pull from Docker
 * Hub or ghcr.io, and every pod image is mapped to the cache.
 */
export const imageCacheSchema = z.strictObject({
    /**
     * Secrets Manager secrets (`{"username": …, "accessToken": …}`) of the upstream
     * registries that require them, in the stack's account and region, each named
     * `ecr-pullthroughcache/<name>`.
     */
    upstreamCredentials: z.strictObject({
        /** A Docker Hub user and access token (read-only, public repositories). */
        dockerHub: cacheCredentialArn,
        /** A GitHub user and a classic token with `read:packages`. */
        ghcr: cacheCredentialArn,
    }),
});

export type ImageCacheConfig = z.output<typeof imageCacheSchema>;

/** The account and region of a Secrets Manager ARN. */
function arnParts(arn: string): { region: string; account: string } {
    const [, , , region, account] = arn.split(":");
    return { region, account };
}

/** The stack's private registry host: the account of the cache's credentials, the stack's region. */
export function imageRegistryHost(cache: ImageCacheConfig, region: string): string {
    return ecrRegistryHost(arnParts(cache.upstreamCredentials.dockerHub).account, region);
}

/**
 * ECR reads a cache rule's secret in its own account and region: each secret must be in the
 * stack's region, both in one account, and that account allowed (`aws:allowedAccountIds`).
 */
export function imageCacheProblems(
    cache: ImageCacheConfig,
    region: string,
    allowedAccountIds: readonly string[] | undefined,
): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const entries = Object.entries(cache.upstreamCredentials);
    const account = arnParts(entries[0][1]).account;
    for (const [key, arn] of entries) {
        const parts = arnParts(arn);
        const keyPath = `mcp-platform:cluster.imageCache.upstreamCredentials.${key}`;
        if (parts.region !== region) {
            problems.push({
                keyPath,
                expected: `expected a secret in the stack's region ${region} (ECR reads a cache rule's secret in its own region)`,
                got: JSON.stringify(arn),
            });
        }
        if (parts.account !== account) {
            problems.push({
                keyPath,
                expected: `expected a secret in account ${account}, the other credentials' (the stack's registry)`,
                got: JSON.stringify(arn),
            });
        }
    }
    if (allowedAccountIds && !allowedAccountIds.includes(account)) {
        problems.push({
            keyPath: "mcp-platform:cluster.imageCache.upstreamCredentials",
            expected: `expected secrets in an account of aws:allowedAccountIds (${allowedAccountIds.join(", ")})`,
            got: JSON.stringify(account),
        });
    }
    return problems;
}
