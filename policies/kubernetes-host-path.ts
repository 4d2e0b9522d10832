import * as k8s from "@pulumi/kubernetes";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { type HostPathExemption, hostPathExemptions } from "./exemptions";
import { configOf } from "./lib/config";
import { pss } from "./lib/define";
import { containersOf, describeContainer, type PodTemplate, validatePods } from "./lib/pods";

/**
 * Host paths and volume types (PSS baseline `hostPathVolumes`, restricted `restrictedVolumes`).
 *
 * hostPath is judged here and only here, so the one reviewed exemption mechanism
 * (policies/exemptions.ts: a namespace plus exact paths, always read-only) applies in one
 * place; the volume-type policy leaves hostPath volumes to this policy.
 */

const hostPathSchema = {
    properties: {
        exemptions: {
            type: "array" as const,
            description:
                "Reviewed exemptions: pods in `namespace` may mount exactly these host `paths`, read-only. Default: none.",
            items: {
                type: "object" as const,
                properties: {
                    namespace: { type: "string" as const, minLength: 1 },
                    paths: {
                        type: "array" as const,
                        items: { type: "string" as const, pattern: "^/[^*?]*$" },
                        minItems: 1,
                    },
                    reason: { type: "string" as const },
                },
                required: ["namespace", "paths"],
                additionalProperties: false,
            },
            default: hostPathExemptions as unknown as object[],
        },
    },
};

/** hostPath types that only read what already exists; `*OrCreate` writes to the node. */
const readOnlyHostPathTypes = [undefined, "", "Directory", "File"];

function checkHostPaths(
    pod: PodTemplate,
    exemptions: readonly HostPathExemption[],
    report: (m: string) => void,
) {
    const inNamespace = exemptions.filter((e) => e.namespace === pod.namespace);
    for (const volume of pod.spec.volumes ?? []) {
        const hostPath = volume.hostPath;
        if (!hostPath) continue;
        const path = hostPath.path;
        const exempt = inNamespace.some((e) => e.paths.includes(path));
        if (!exempt) {
            const allowed = inNamespace.flatMap((e) => e.paths);
            const hint =
                allowed.length > 0
                    ? ` (namespace ${pod.namespace} may mount only ${allowed.join(", ")}, read-only)`
                    : "";
            report(
                `volume "${volume.name}" must not mount host path ${path}${hint}; use emptyDir, a ConfigMap/Secret or a PVC.`,
            );
            continue;
        }
        if (!readOnlyHostPathTypes.includes(hostPath.type)) {
            report(
                `volume "${volume.name}" (exempt host path ${path}) must use hostPath type Directory or File, not ${hostPath.type}.`,
            );
        }
        for (const ref of containersOf(pod.spec)) {
            for (const mount of ref.container.volumeMounts ?? []) {
                if (mount.name !== volume.name) continue;
                if (mount.readOnly !== true) {
                    report(
                        `${describeContainer(ref)} must mount exempt host path ${path} read-only (volumeMounts[].readOnly: true).`,
                    );
                }
                if (mount.mountPropagation === "Bidirectional") {
                    report(
                        `${describeContainer(ref)} must not use Bidirectional mount propagation for host path ${path}.`,
                    );
                }
            }
        }
    }
}

export const hostPathPolicy: ResourceValidationPolicy = {
    name: "k8s-pod-no-host-path",
    description:
        "Checks whether a pod mounts a hostPath volume (or a PersistentVolume uses hostPath), allowing only reviewed read-only exemptions by namespace and exact path.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: pss("hostPathVolumes", "baseline"),
    tags: ["pss", "kube-linter:sensitive-host-mounts"],
    configSchema: hostPathSchema,
    remediationSteps:
        "Replace the hostPath volume with emptyDir, a ConfigMap/Secret or a PVC. A node agent that must read host files gets a reviewed entry in policies/exemptions.ts (namespace + exact paths, mounted read-only).",
    validateResource: [
        ...validatePods((pod, report, args) => {
            const { exemptions } = configOf<{ exemptions: HostPathExemption[] }>(
                hostPathSchema,
                args,
            );
            checkHostPaths(pod, exemptions, report);
        }),
        validateResourceOfType(k8s.core.v1.PersistentVolume, (pv, args, reportViolation) => {
            if (pv.spec?.hostPath) {
                reportViolation(
                    `PersistentVolume ${pv.metadata?.name ?? args.name}: spec.hostPath must not be used; use the EBS CSI driver (gp3, encrypted) instead.`,
                );
            }
        }),
    ],
};

/** Inline volume types the restricted PSS allows. */
const restrictedVolumeTypes = [
    "configMap",
    "downwardAPI",
    "emptyDir",
    "projected",
    "secret",
    "csi",
    "persistentVolumeClaim",
    "ephemeral",
    "image",
];

export const restrictedVolumeTypesPolicy: ResourceValidationPolicy = {
    name: "k8s-pod-restricted-volume-types",
    description:
        "Checks whether a pod uses only the volume types the restricted PSS allows (configMap, downwardAPI, emptyDir, projected, secret, csi, persistentVolumeClaim, ephemeral, image); hostPath is judged by k8s-pod-no-host-path.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("restrictedVolumes"),
    tags: ["pss"],
    remediationSteps:
        "Replace the volume with one of the allowed types (a PVC through the EBS CSI driver for storage; configMap/secret/projected for files).",
    validateResource: validatePods((pod, report) => {
        for (const volume of pod.spec.volumes ?? []) {
            const types = Object.entries(volume)
                .filter(([key, value]) => key !== "name" && value !== undefined && value !== null)
                .map(([key]) => key);
            for (const type of types) {
                if (type === "hostPath" || restrictedVolumeTypes.includes(type)) continue;
                report(
                    `volume "${volume.name}" must not use volume type ${type} (allowed: ${restrictedVolumeTypes.join(", ")}).`,
                );
            }
        }
    }),
};
