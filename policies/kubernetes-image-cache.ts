import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { cachePrefixes, ecrRegistryHost, ecrRegistryHostPattern } from "../contracts/image-cache";
import { type ImageCacheExemption, imageCacheExemptions } from "./exemptions";
import { configOf } from "./lib/config";
import { podPolicy } from "./lib/define";
import { describeObject, k8sObjects, templateOf } from "./lib/k8s-objects";
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

/** The registry of a cache rule's credential ARN (`arn:aws:secretsmanager:<region>:<account>:…`). */
function registryOfCredential(arn: string): string | undefined {
    const [, , service, region, account] = arn.split(":");
    return service === "secretsmanager" && /^\d{12}$/.test(account ?? "")
        ? ecrRegistryHost(account, region)
        : undefined;
}

export const imageOwnRegistry: StackValidationPolicy = {
    name: "k8s-stack-image-own-registry",
    description:
        "Checks whether every pod image from a private ECR registry names the stack's own: the account and region of its pull-through cache rules' credentials.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["supply-chain", "image-scanning"],
    remediationSteps:
        "Render images with the stack's registry host (config/image-cache.ts imageRegistryHost, passed to the in-cluster layer as awsDerived.imageRegistry); another account's or region's ECR is neither cached nor scanned by this stack.",
    validateStack: (args, reportViolation) => {
        const hosts = new Set<string>();
        for (const rule of args.resources) {
            if (rule.type !== "aws:ecr/pullThroughCacheRule:PullThroughCacheRule") continue;
            const arn = (rule.props as { credentialArn?: unknown }).credentialArn;
            const host = typeof arn === "string" ? registryOfCredential(arn) : undefined;
            if (host) hosts.add(host);
        }
        if (hosts.size === 0) {
            return args.notApplicable(
                "the stack declares no pull-through cache rule with credentials",
            );
        }
        if (hosts.size > 1) {
            reportViolation(
                `The pull-through cache rules' credentials must be in one account and region (found registries ${[...hosts].join(", ")}).`,
            );
            return;
        }
        const [own] = hosts;
        for (const o of k8sObjects(args.resources)) {
            const template = templateOf(o);
            if (!template) continue;
            for (const ref of containersOf(template.spec)) {
                const host = ref.container.image?.split("/")[0] ?? "";
                if (ecrRegistryHostPattern.test(host) && host !== own) {
                    reportViolation(
                        `${describeObject(o)} ${describeContainer(ref)} image ${ref.container.image} must come from the stack's registry ${own}, not another account's or region's.`,
                        o.resource.urn,
                    );
                }
            }
        }
    },
};
