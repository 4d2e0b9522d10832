import type { ResourceValidationPolicy } from "@pulumi/policy";
import { cachePrefixes, ecrRegistryHostPattern } from "../contracts/image-cache";
import { type ImageCacheExemption, imageCacheExemptions } from "./exemptions";
import { configOf } from "./lib/config";
import { podPolicy } from "./lib/define";
import { containersOf, describeContainer } from "./lib/pods";

/**
 * Images come through the stack's ECR pull-through cache (docs/cluster.md, "Image cache"):
 * there enhanced scanning (Amazon Inspector) scans them on first pull and continuously, and
 * `mcp security update --check` lists what it finds. An image pulled from anywhere else is
 * never scanned.
 */

const imageCacheSchema = {
    properties: {
        cachePrefixes: {
            type: "array" as const,
            description:
                "The cache's repository prefixes (contracts/image-cache.ts): an image must be `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/…`.",
            items: { type: "string" as const, minLength: 1 },
            default: [...cachePrefixes],
        },
        exemptions: {
            type: "array" as const,
            description:
                "Reviewed exemptions: pods in `namespace` may run exactly `image` (no tag or digest) from elsewhere. Default: none.",
            items: {
                type: "object" as const,
                properties: {
                    namespace: { type: "string" as const, minLength: 1 },
                    image: { type: "string" as const, minLength: 1 },
                    reason: { type: "string" as const },
                },
                required: ["namespace", "image", "reason"],
                additionalProperties: false,
            },
            default: imageCacheExemptions as unknown as object[],
        },
    },
};

/** The image's name without tag and digest. */
function imageName(image: string): string {
    const withoutDigest = image.split("@")[0];
    const lastSlash = withoutDigest.lastIndexOf("/");
    const lastColon = withoutDigest.lastIndexOf(":");
    return lastColon > lastSlash ? withoutDigest.slice(0, lastColon) : withoutDigest;
}

/** Whether `image` is `<private ECR host>/<one of prefixes>/<repository>`. */
export function isCachedImage(image: string, prefixes: readonly string[]): boolean {
    const [host, prefix, ...rest] = image.split("/");
    return (
        ecrRegistryHostPattern.test(host) &&
        prefixes.includes(prefix) &&
        rest.length > 0 &&
        rest.every((segment) => segment !== "")
    );
}

export const imageThroughCache: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-image-through-cache",
    description:
        "Checks whether every container image is pulled through the stack's ECR pull-through cache, where enhanced scanning covers it.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["supply-chain", "image-scanning"],
    configSchema: imageCacheSchema,
    remediationSteps:
        "Render the image through cachedImage (contracts/image-cache.ts), as platform/image-cache.ts does for every image of the config; an image ECR cannot cache needs a reviewed entry in policies/exemptions.ts (imageCacheExemptions).",
    check: (pod, report, args) => {
        const config = configOf<{
            cachePrefixes: string[];
            exemptions: ImageCacheExemption[];
        }>(imageCacheSchema, args);
        for (const ref of containersOf(pod.spec)) {
            const image = ref.container.image;
            if (!image || isCachedImage(image, config.cachePrefixes)) continue;
            const exempt = config.exemptions.some(
                (e) => e.namespace === pod.namespace && e.image === imageName(image),
            );
            if (exempt) continue;
            report(
                `${describeContainer(ref)} image ${image} must be pulled through the stack's ECR pull-through cache (<account>.dkr.ecr.<region>.amazonaws.com/{${config.cachePrefixes.join(",")}}/…).`,
            );
        }
    },
});
