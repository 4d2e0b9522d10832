/**
 * The ECR pull-through cache the platform's pods pull through (docs/cluster.md, "Image cache"):
 * one cache rule per upstream registry, each under its own repository prefix of the stack's
 * private registry. Images stay upstream-named in the stack files (what operators read and
 * Renovate updates); {@link cachedImage} maps them to the cache when the pods are rendered.
 * The policy pack, the node role's policy and `mcp security update --check` read the prefixes
 * from here.
 */

/** An upstream registry the cache pulls from. */
export interface CacheUpstream {
    /** The upstream registry's host as ECR names it (`upstreamRegistryUrl`). */
    readonly registry: string;
    /** The cache's repository prefix in the stack's registry. */
    readonly prefix: string;
    /** Whether ECR requires credentials (a Secrets Manager secret) for this upstream. */
    readonly credentials: boolean;
}

/**
 * The upstreams of the platform's pod images (tools/mcp/lib/pins.ts lists them): Docker Hub
 * and ghcr.io need credentials, quay.io does not.
 */
export const cacheUpstreams = {
    dockerHub: { registry: "registry-1.docker.io", prefix: "docker-hub", credentials: true },
    ghcr: { registry: "ghcr.io", prefix: "ghcr", credentials: true },
    quay: { registry: "quay.io", prefix: "quay", credentials: false },
} as const satisfies Record<string, CacheUpstream>;

export type CacheUpstreamKey = keyof typeof cacheUpstreams;

/** Every cache prefix, e.g. for the node role's `repository/<prefix>/*` resources. */
export const cachePrefixes: readonly string[] = Object.values(cacheUpstreams).map((u) => u.prefix);

/** Secrets Manager requires this name prefix for a pull-through cache credential. */
export const cacheSecretNamePrefix = "ecr-pullthroughcache/";

/** `<account>.dkr.ecr.<region>.amazonaws.com`, the stack's private registry. */
export function ecrRegistryHost(account: string, region: string): string {
    const suffix = region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    return `${account}.dkr.ecr.${region}.${suffix}`;
}

/** A private ECR registry host (any account, any region). */
export const ecrRegistryHostPattern = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/**
 * The upstream name of an image of the cache (`<host>/ghcr/x/y:1` → `ghcr.io/x/y:1`,
 * `<host>/docker-hub/library/postgres:15` → `postgres:15`): what the stack files write. Any
 * other reference is returned as is.
 */
export function upstreamImage(reference: string): string {
    const [host, prefix, ...rest] = reference.split("/");
    const upstream = Object.values(cacheUpstreams).find((u) => u.prefix === prefix);
    if (!ecrRegistryHostPattern.test(host) || !upstream || rest.length === 0) return reference;
    const path = rest.join("/");
    if (upstream.registry !== cacheUpstreams.dockerHub.registry)
        return `${upstream.registry}/${path}`;
    return path.startsWith("library/") ? path.slice("library/".length) : path;
}

/** Docker Hub's names for itself in image references. */
const dockerHubHosts = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** An image reference split at its registry (Docker Hub's library images normalized). */
export function splitImage(reference: string): { registry: string; path: string } {
    const [first, ...rest] = reference.split("/");
    const hasRegistry = rest.length > 0 && (/[.:]/.test(first) || first === "localhost");
    if (!hasRegistry) {
        // `postgres:15` is Docker Hub's `library/postgres:15`; `oliver006/x:1` is itself.
        return {
            registry: cacheUpstreams.dockerHub.registry,
            path: rest.length === 0 ? `library/${first}` : reference,
        };
    }
    const registry = dockerHubHosts.has(first) ? cacheUpstreams.dockerHub.registry : first;
    const path = rest.join("/");
    return {
        registry,
        path:
            registry === cacheUpstreams.dockerHub.registry && rest.length === 1
                ? `library/${path}`
                : path,
    };
}

/**
 * The cache's name for an upstream image: `ghcr.io/x/y:tag` →
 * `<registryHost>/ghcr/x/y:tag`, `postgres:15` → `<registryHost>/docker-hub/library/postgres:15`;
 * tag and digest are kept. An image already in `registryHost` is returned as is. An image from
 * a registry the cache has no rule for is refused: add a rule (and its prefix here) or use
 * the image's copy on a cached registry.
 */
export function cachedImage(reference: string, registryHost: string): string {
    if (reference.startsWith(`${registryHost}/`)) return reference;
    const { registry, path } = splitImage(reference);
    const upstream = Object.values(cacheUpstreams).find((u) => u.registry === registry);
    if (!upstream) {
        const known = Object.values(cacheUpstreams)
            .map((u) => u.registry)
            .join(", ");
        throw new Error(
            `image ${reference}: ${registry} has no pull-through cache rule (cached upstreams: ${known})`,
        );
    }
    return `${registryHost}/${upstream.prefix}/${path}`;
}
