import { describe, expect, it } from "vitest";
import { cachePullStatement } from "../../../components/cluster/image-cache";
import {
    cachedImage,
    cachePrefixes,
    ecrRegistryHost,
    upstreamImage,
} from "../../../contracts/image-cache";
import { throughImageCache } from "../../../platform/image-cache";
import { parseStack } from "../../support/config";
import { synth } from "../../support/synth";

/**
 * The ECR pull-through cache (docs/cluster.md, "Image cache"): the mapping the pods' images
 * take, and what `npm run synth` declares for both stacks.
 */

describe("cachedImage", () => {
    const host = ecrRegistryHost("111111111111", "us-east-1");
    it.each([
        ["ghcr.io/mcp-platform/mcp-router:v2.4.1", `${host}/ghcr/mcp-platform/mcp-router:v2.4.1`],
        ["postgres:15", `${host}/docker-hub/library/postgres:15`],
        ["docker.io/library/redis:7.2.5", `${host}/docker-hub/library/redis:7.2.5`],
        ["docker.io/redis:7.2.5", `${host}/docker-hub/library/redis:7.2.5`],
        ["oliver006/redis_exporter:v1.62.0", `${host}/docker-hub/oliver006/redis_exporter:v1.62.0`],
        [
            "quay.io/prometheus/blackbox-exporter:v0.28.0",
            `${host}/quay/prometheus/blackbox-exporter:v0.28.0`,
        ],
        [
            `alpine/k8s:1.30.0@sha256:${"b".repeat(64)}`,
            `${host}/docker-hub/alpine/k8s:1.30.0@sha256:${"b".repeat(64)}`,
        ],
        [`${host}/ghcr/x/y:1`, `${host}/ghcr/x/y:1`],
    ])("%s → %s", (upstream, cached) => {
        expect(cachedImage(upstream, host)).toBe(cached);
    });

    it.each([
        "ghcr.io/mcp-platform/mcp-router:v2.4.1",
        "postgres:15",
        "oliver006/redis_exporter:v1.62.0",
        "quay.io/prometheus/blackbox-exporter:v0.28.0",
        `alpine/k8s:1.30.0@sha256:${"b".repeat(64)}`,
    ])("upstreamImage gives back the stack file's name of %s", (image) => {
        expect(upstreamImage(cachedImage(image, host))).toBe(image);
        expect(upstreamImage(image)).toBe(image);
    });

    it("refuses a registry without a cache rule, naming the image and the cached registries", () => {
        expect(() => cachedImage("cr.fluentbit.io/fluent/fluent-bit:5.1.1", host)).toThrow(
            "image cr.fluentbit.io/fluent/fluent-bit:5.1.1: cr.fluentbit.io has no pull-through cache rule (cached upstreams: registry-1.docker.io, ghcr.io, quay.io)",
        );
    });

    it("the registry host is ECR's, in the China partition too", () => {
        expect(ecrRegistryHost("111111111111", "cn-north-1")).toBe(
            "111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn",
        );
    });
});

describe("throughImageCache", () => {
    it("maps every image of the config and leaves the stack file's names upstream", () => {
        const cfg = parseStack("production");
        const host = ecrRegistryHost("111111111111", "us-east-1");
        const mapped = throughImageCache(cfg, host);
        expect(cfg.data.postgres.image).toBe("postgres:15.13-bookworm");
        expect(mapped.data.postgres.image).toBe(
            `${host}/docker-hub/library/postgres:15.13-bookworm`,
        );
        // As tools/mcp/lib/pins.ts finds them: a key `image`/`…Image`, or any key under `images`.
        const images: string[] = [];
        const walk = (node: unknown, keys: string[]): void => {
            const key = keys[keys.length - 1] ?? "";
            const isImage = /^image$|Image$/.test(key) || keys[keys.length - 2] === "images";
            if (typeof node === "string" && isImage) images.push(node);
            else if (node && typeof node === "object") {
                for (const [k, v] of Object.entries(node)) walk(v, [...keys, k]);
            }
        };
        walk({ ...mapped, credentials: {} }, []);
        expect(images.length).toBeGreaterThan(15);
        expect(images.filter((i) => !i.startsWith(`${host}/`))).toEqual([]);
    });
});

describe("cachePullStatement", () => {
    it("allows creating and importing under the cache prefixes of the stack's registry only", () => {
        expect(cachePullStatement("aws", "111111111111.dkr.ecr.us-west-2.amazonaws.com")).toEqual({
            Sid: "PullThroughCache",
            Effect: "Allow",
            Action: ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"],
            Resource: cachePrefixes.map(
                (p) => `arn:aws:ecr:us-west-2:111111111111:repository/${p}/*`,
            ),
        });
    });
});

describe.each([
    ["production", "us-east-1"],
    ["dr", "us-west-2"],
])("synth %s: the image cache", (stack, region) => {
    const result = synth(stack);
    const resources = result.resources();
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    const host = `111111111111.dkr.ecr.${region}.amazonaws.com`;

    it("caches Docker Hub and ghcr.io with their Secrets Manager credentials, quay.io without", () => {
        const rules = ofType("aws:ecr/pullThroughCacheRule:PullThroughCacheRule").map((r) => ({
            prefix: r.inputs.ecrRepositoryPrefix,
            upstream: r.inputs.upstreamRegistryUrl,
            credentialArn: r.inputs.credentialArn,
        }));
        const secret = (name: string) =>
            `arn:aws:secretsmanager:${region}:111111111111:secret:ecr-pullthroughcache/${name}-AbCdEf`;
        expect(rules).toEqual([
            {
                prefix: "docker-hub",
                upstream: "registry-1.docker.io",
                credentialArn: secret("docker-hub"),
            },
            { prefix: "ghcr", upstream: "ghcr.io", credentialArn: secret("ghcr") },
            { prefix: "quay", upstream: "quay.io", credentialArn: undefined },
        ]);
    });

    it("scans with Inspector: the cache continuously, everything else on push", () => {
        const [scanning] = ofType(
            "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration",
        );
        expect(scanning.inputs).toEqual({
            scanType: "ENHANCED",
            rules: [
                {
                    scanFrequency: "CONTINUOUS_SCAN",
                    repositoryFilters: cachePrefixes.map((p) => ({
                        filter: `${p}/*`,
                        filterType: "WILDCARD",
                    })),
                },
                {
                    scanFrequency: "SCAN_ON_PUSH",
                    repositoryFilters: [{ filter: "*", filterType: "WILDCARD" }],
                },
            ],
        });
    });

    it("lets both node roles create the cache's repositories, nothing else", () => {
        const policies = ofType("aws:iam/rolePolicy:RolePolicy").filter((r) =>
            r.name.startsWith("image-cache-"),
        );
        expect(policies.map((p) => p.inputs.role).sort()).toEqual([
            "eks-nodes-role",
            "karpenter-node",
        ]);
        for (const p of policies) {
            expect(JSON.parse(p.inputs.policy as string).Statement).toEqual([
                cachePullStatement("aws", host),
            ]);
        }
    });

    it("renders every pod image from the stack's cache", () => {
        const manifests = resources.filter((r) => r.type.startsWith("kubernetes:"));
        const images =
            JSON.stringify(manifests.map((m) => m.inputs)).match(/"image":"[^"]+"/g) ?? [];
        expect(images.length).toBeGreaterThan(20);
        expect(images.filter((i) => !i.startsWith(`"image":"${host}/`))).toEqual([]);
    });
});
