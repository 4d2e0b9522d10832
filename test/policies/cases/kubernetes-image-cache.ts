import { imageOwnRegistry, imageThroughCache } from "../../../policies/kubernetes-image-cache";
import { fixture } from "../../support/policy";
import type { PolicyCases } from "../lib/cases";
import { deployment, firstContainer, type Obj, workload } from "../lib/fixtures";

const cache = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

const withImage = (image: string) => deployment({ pod: firstContainer((c) => (c.image = image)) });

/** An init container beside the cached app container. */
const withInit = (image: string) =>
    workload("CronJob", {
        pod: (p: Obj) => {
            p.spec.initContainers = [
                { ...structuredClone(p.spec.containers[0]), name: "tools", image },
            ];
        },
    });

export const imageCacheCases: PolicyCases[] = [
    {
        policy: imageThroughCache,
        pass: [
            { title: "ghcr.io image through the cache", resources: [deployment()] },
            {
                title: "Docker Hub library image through the cache, by digest",
                resources: [
                    withImage(
                        `${cache}/docker-hub/library/postgres:15.13@sha256:${"a".repeat(64)}`,
                    ),
                ],
            },
            {
                title: "a reviewed exemption in its namespace",
                resources: [withImage("registry.example.com/team/tool:1.0.0")],
                config: {
                    exemptions: [
                        {
                            namespace: "mcp-production",
                            image: "registry.example.com/team/tool",
                            reason: "test",
                        },
                    ],
                },
            },
        ],
        fail: [
            {
                title: "the upstream ghcr.io image",
                resources: [withImage("ghcr.io/mcp-platform/app:1.4.2")],
                expect: /container "app" image ghcr.io\/mcp-platform\/app:1.4.2 must be pulled through the stack's ECR pull-through cache/,
            },
            {
                title: "a Docker Hub image by short name",
                resources: [withImage("postgres:15.13-bookworm")],
                expect: /image postgres:15.13-bookworm must be pulled through/,
            },
            {
                title: "the stack's registry outside the cache prefixes",
                resources: [withImage(`${cache}/mcp/app:1.4.2`)],
                expect: /must be pulled through/,
            },
            {
                title: "a look-alike registry host",
                resources: [
                    withImage(
                        "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example/ghcr/app:1",
                    ),
                ],
                expect: /must be pulled through/,
            },
            {
                title: "an upstream init container",
                resources: [withInit("amazon/aws-cli:2.17.0")],
                expect: /initContainer "tools" image amazon\/aws-cli:2.17.0 must be pulled through/,
            },
            {
                title: "an exemption for another namespace",
                resources: [withImage("registry.example.com/team/tool:1.0.0")],
                config: {
                    exemptions: [
                        {
                            namespace: "monitoring",
                            image: "registry.example.com/team/tool",
                            reason: "test",
                        },
                    ],
                },
                expect: /must be pulled through/,
            },
        ],
    },
];

/** A cache rule whose credentials name the stack's registry (account and region). */
const rule = (account = "123456789012", region = "us-east-1") =>
    fixture("aws:ecr/pullThroughCacheRule:PullThroughCacheRule", {
        ecrRepositoryPrefix: "ghcr",
        upstreamRegistryUrl: "ghcr.io",
        credentialArn: `arn:aws:secretsmanager:${region}:${account}:secret:ecr-pullthroughcache/ghcr-AbCdEf`,
    });

export const imageOwnRegistryCases: PolicyCases[] = [
    {
        policy: imageOwnRegistry,
        pass: [
            { title: "images from the stack's own registry", resources: [rule(), deployment()] },
            {
                title: "an upstream image is left to k8s-container-image-through-cache",
                resources: [rule(), withImage("ghcr.io/mcp-platform/app:1.4.2")],
            },
        ],
        fail: [
            {
                title: "another account's ECR",
                resources: [
                    rule(),
                    withImage("999999999999.dkr.ecr.us-east-1.amazonaws.com/ghcr/x/app:1"),
                ],
                expect: /image 999999999999\.dkr\.ecr\.us-east-1\.amazonaws\.com\/ghcr\/x\/app:1 must come from the stack's registry 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/,
            },
            {
                title: "the same account in another region",
                resources: [
                    rule(),
                    withImage(`${cache.replace("us-east-1", "us-west-2")}/ghcr/x/app:1`),
                ],
                expect: /must come from the stack's registry/,
            },
            {
                title: "cache rules in two accounts",
                resources: [rule(), rule("210987654321"), deployment()],
                expect: /must be in one account and region/,
            },
        ],
    },
];
