import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type CacheUpstreamKey, cacheUpstreams } from "../../contracts/image-cache";

/** The upstreams whose cache rules need a Secrets Manager secret. */
type CredentialedUpstream = {
    [K in CacheUpstreamKey]: (typeof cacheUpstreams)[K]["credentials"] extends true ? K : never;
}[CacheUpstreamKey];

export interface ImageCacheArgs {
    /**
     * The stack's private registry, `<account>.dkr.ecr.<region>.amazonaws.com`: the pods'
     * images name it, and the node policy's repository ARNs are in its account and region.
     */
    readonly registryHost: string;
    /** The Secrets Manager secret of each upstream that requires credentials. */
    readonly upstreamCredentials: Readonly<Record<CredentialedUpstream, pulumi.Input<string>>>;
    /** The roles of the nodes that pull, by a short key (`nodes`, `karpenter-nodes`). */
    readonly nodeRoleNames: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The actions a pull through the cache takes besides an ordinary pull (ECR User Guide). */
export const cachePullActions = ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"] as const;

/** The node policy's statement: the cache's repositories only, in the stack's registry. */
export function cachePullStatement(partition: string, registryHost: string) {
    const [account, , , region] = registryHost.split(".");
    return {
        Sid: "PullThroughCache",
        Effect: "Allow",
        Action: [...cachePullActions],
        Resource: Object.values(cacheUpstreams).map(
            (u) => `arn:${partition}:ecr:${region}:${account}:repository/${u.prefix}/*`,
        ),
    };
}

/**
 * The ECR pull-through cache the platform's pods pull through (docs/cluster.md, "Image
 * cache"): one rule per upstream of contracts/image-cache.ts (Docker Hub and ghcr.io with
 * their Secrets Manager credentials), enhanced scanning (Amazon Inspector) continuously on
 * every cached repository and on push everywhere else, and the nodes' permission to create
 * the cache's repositories on the first pull of an image — under the cache prefixes only.
 */
export class ImageCache extends pulumi.ComponentResource {
    /** The registry the pods' images name. */
    public readonly registryHost: string;
    /** The cache rules, by upstream key: pulls wait for them. */
    public readonly rules: Readonly<Record<CacheUpstreamKey, aws.ecr.PullThroughCacheRule>>;

    constructor(name: string, args: ImageCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:ImageCache", name, {}, opts);
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;

        const credentials = args.upstreamCredentials as Readonly<
            Partial<Record<CacheUpstreamKey, pulumi.Input<string>>>
        >;
        const rules = {} as Record<CacheUpstreamKey, aws.ecr.PullThroughCacheRule>;
        for (const [key, upstream] of Object.entries(cacheUpstreams) as [
            CacheUpstreamKey,
            (typeof cacheUpstreams)[CacheUpstreamKey],
        ][]) {
            rules[key] = new aws.ecr.PullThroughCacheRule(
                `${name}-${upstream.prefix}`,
                {
                    ecrRepositoryPrefix: upstream.prefix,
                    upstreamRegistryUrl: upstream.registry,
                    credentialArn: upstream.credentials ? credentials[key] : undefined,
                },
                { parent: this },
            );
        }

        // Registry-wide (one per region): Inspector rescans the cached images whenever a new
        // vulnerability is published; anything pushed elsewhere is scanned on push.
        new aws.ecr.RegistryScanningConfiguration(
            `${name}-scanning`,
            {
                scanType: "ENHANCED",
                rules: [
                    {
                        scanFrequency: "CONTINUOUS_SCAN",
                        repositoryFilters: Object.values(cacheUpstreams).map((u) => ({
                            filter: `${u.prefix}/*`,
                            filterType: "WILDCARD",
                        })),
                    },
                    {
                        scanFrequency: "SCAN_ON_PUSH",
                        repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }],
                    },
                ],
            },
            { parent: this },
        );

        // AmazonEC2ContainerRegistryPullOnly already allows the import on "*"; the first pull
        // of a new image also creates its repository, which this allows under the prefixes.
        Object.entries(args.nodeRoleNames).forEach(
            ([key, role]) =>
                new aws.iam.RolePolicy(
                    `${name}-${key}-pull`,
                    {
                        role,
                        policy: partition.apply((p) =>
                            JSON.stringify({
                                Version: "2012-10-17",
                                Statement: [cachePullStatement(p, args.registryHost)],
                            }),
                        ),
                    },
                    { parent: this },
                ),
        );

        this.registryHost = args.registryHost;
        this.rules = rules;
        this.registerOutputs({ registryHost: this.registryHost });
    }
}
