import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf, patternOf } from "./lib/config";
import { cisEks, podPolicy } from "./lib/define";
import { containersOf, describeContainer, longRunningKinds } from "./lib/pods";
import { parseQuantity } from "./lib/quantity";

/**
 * Workload hygiene from the platform's hardening baseline, CIS EKS 4.1.5/4.1.6/4.4.1 and the
 * default checks of kube-linter / kube-score / Polaris: read-only root filesystem,
 * requests and limits, probes, pinned images, no default service-account token, no secret
 * literals in env.
 */

export const readOnlyRootFilesystem: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-read-only-root-filesystem",
    description: "Checks whether every container runs with a read-only root filesystem.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: [
        "hardening-baseline",
        "kube-linter:no-read-only-root-fs",
        "polaris:notReadOnlyRootFilesystem",
    ],
    remediationSteps:
        "Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir at each path the process writes (/tmp, caches).",
    check: (pod, report) => {
        for (const ref of containersOf(pod.spec, ["container", "initContainer"])) {
            if (ref.container.securityContext?.readOnlyRootFilesystem !== true) {
                report(
                    `${describeContainer(ref)} must set securityContext.readOnlyRootFilesystem: true.`,
                );
            }
        }
    },
});

const resourcesSchema = {
    properties: {
        requireCpuLimit: {
            type: "boolean" as const,
            description: "Whether a CPU limit is required besides the CPU request.",
            default: true,
        },
    },
};

export const resources: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-resources",
    description:
        "Checks whether every container declares CPU and memory requests and limits, with requests not above limits.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["kube-score:container-resources", "polaris:efficiency"],
    configSchema: resourcesSchema,
    remediationSteps:
        "Set resources.requests.{cpu,memory} and resources.limits.{cpu,memory} from the service's figures in the stack config.",
    check: (pod, report, args) => {
        const { requireCpuLimit } = configOf<{ requireCpuLimit: boolean }>(resourcesSchema, args);
        for (const ref of containersOf(pod.spec, ["container", "initContainer"])) {
            const requests = (ref.container.resources?.requests ?? {}) as Record<string, string>;
            const limits = (ref.container.resources?.limits ?? {}) as Record<string, string>;
            const missing: string[] = [];
            if (parseQuantity(requests.cpu) === undefined) missing.push("requests.cpu");
            if (parseQuantity(requests.memory) === undefined) missing.push("requests.memory");
            if (requireCpuLimit && parseQuantity(limits.cpu) === undefined)
                missing.push("limits.cpu");
            if (parseQuantity(limits.memory) === undefined) missing.push("limits.memory");
            if (missing.length > 0) {
                report(`${describeContainer(ref)} must set resources ${missing.join(", ")}.`);
            }
            for (const resource of ["cpu", "memory"]) {
                const request = parseQuantity(requests[resource]);
                const limit = parseQuantity(limits[resource]);
                if (request !== undefined && limit !== undefined && request > limit) {
                    report(
                        `${describeContainer(ref)} requests.${resource} (${requests[resource]}) must not exceed limits.${resource} (${limits[resource]}).`,
                    );
                }
            }
        }
    },
});

export const probes: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-probes",
    description:
        "Checks whether every container of a long-running workload has a readiness and a liveness probe.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: [
        "kube-score:pod-probes",
        "polaris:readinessProbeMissing",
        "polaris:livenessProbeMissing",
    ],
    remediationSteps:
        "Add readinessProbe (GET /health/ready) and livenessProbe (GET /health/live), the health endpoints every MCP service serves, or an exec/tcpSocket probe for sidecars.",
    kinds: longRunningKinds,
    check: (pod, report) => {
        for (const ref of containersOf(pod.spec, ["container"])) {
            const missing = (["readinessProbe", "livenessProbe"] as const).filter(
                (p) => !ref.container[p],
            );
            if (missing.length > 0)
                report(`${describeContainer(ref)} must define ${missing.join(" and ")}.`);
        }
    },
});

const imageSchema = {
    properties: {
        requireDigest: {
            type: "boolean" as const,
            description: "Require images pinned by digest (@sha256:…), not only by tag.",
            default: false,
        },
    },
};

/** Splits an image reference into its tag and digest (either may be absent). */
export function imageReference(image: string): { tag?: string; digest?: string } {
    const [withoutDigest, digest] = image.split("@", 2);
    const lastSlash = withoutDigest.lastIndexOf("/");
    const lastColon = withoutDigest.lastIndexOf(":");
    const tag = lastColon > lastSlash ? withoutDigest.slice(lastColon + 1) : undefined;
    return { tag: tag || undefined, digest: digest || undefined };
}

export const imagePinned: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-image-pinned",
    description:
        "Checks whether every container image is pinned by a version tag or digest (no `latest`, no missing tag).",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["kube-linter:latest-tag", "polaris:tagNotSpecified"],
    configSchema: imageSchema,
    remediationSteps:
        "Pin the image to an explicit version tag (e.g. postgres:15.8-alpine) or a digest (@sha256:…).",
    check: (pod, report, args) => {
        const { requireDigest } = configOf<{ requireDigest: boolean }>(imageSchema, args);
        for (const ref of containersOf(pod.spec)) {
            const image = ref.container.image;
            if (!image) {
                report(`${describeContainer(ref)} must set an image pinned by tag or digest.`);
                continue;
            }
            const { tag, digest } = imageReference(image);
            if (requireDigest && !digest) {
                report(
                    `${describeContainer(ref)} image ${image} must be pinned by digest (@sha256:…).`,
                );
            } else if (!digest && (tag === undefined || tag === "latest")) {
                report(
                    `${describeContainer(ref)} image ${image} must be pinned to a version tag or digest, not ${tag ?? "an implicit latest"}.`,
                );
            }
        }
    },
});

export const defaultServiceAccountToken: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-default-service-account-token",
    description:
        "Checks whether a pod that runs as the namespace's default service account mounts its API token.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.1.5, 4.1.6"),
    tags: ["cis-eks-4.1.5", "cis-eks-4.1.6", "polaris:automountServiceAccountToken"],
    remediationSteps:
        "Give the workload its own ServiceAccount (serviceAccountName), or set automountServiceAccountToken: false on the pod spec.",
    check: (pod, report) => {
        const account = pod.spec.serviceAccountName ?? pod.spec.serviceAccount ?? "default";
        if (account === "default" && pod.spec.automountServiceAccountToken !== false) {
            report(
                "runs as the default service account and must set automountServiceAccountToken: false (or use its own ServiceAccount).",
            );
        }
    },
});

const envSchema = {
    properties: {
        sensitiveNamePattern: {
            type: "string" as const,
            description: "Case-insensitive pattern of env var names that hold secrets.",
            default: "(secret|passw(or)?d|token|api_?key|private_?key|credential|access_?key)",
        },
        allowedNamePattern: {
            type: "string" as const,
            description:
                "Names that match the sensitive pattern but hold no secret (paths to mounted files, TTLs).",
            default: "(_FILE|_PATH|_DIR|_TTL|_SECONDS|_ROTATION_DAYS)$",
        },
    },
};

export const envSecretLiterals: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-env-no-secret-literals",
    description:
        "Checks whether a container sets a secret-looking env var (password, token, key…) to a literal value instead of a Secret reference.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisEks("4.4.1"),
    tags: ["cis-eks-4.4.1", "kube-linter:env-var-secret", "polaris:sensitiveContainerEnvVar"],
    configSchema: envSchema,
    remediationSteps:
        "Put the value in a Kubernetes Secret and mount it as a file (preferred, CIS 4.4.1) or reference it with valueFrom.secretKeyRef.",
    check: (pod, report, args) => {
        const config = configOf<{ sensitiveNamePattern: string; allowedNamePattern: string }>(
            envSchema,
            args,
        );
        const sensitive = patternOf(config.sensitiveNamePattern);
        const allowed = patternOf(config.allowedNamePattern);
        for (const ref of containersOf(pod.spec)) {
            for (const env of ref.container.env ?? []) {
                if (env.value === undefined || env.value === "") continue;
                if (sensitive.test(env.name) && !allowed.test(env.name)) {
                    report(
                        `${describeContainer(ref)} env ${env.name} must come from a Secret (valueFrom.secretKeyRef or a mounted file), not a literal value.`,
                    );
                }
            }
        }
    },
});

export const workloadPolicies: ResourceValidationPolicy[] = [
    readOnlyRootFilesystem,
    resources,
    probes,
    imagePinned,
    defaultServiceAccountToken,
    envSecretLiterals,
];
