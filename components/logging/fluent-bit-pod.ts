import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
    collectorHostPaths,
    configDir,
    configFileName,
    healthPath,
    metricsPort,
    stateDir,
} from "./fluent-bit-config";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

/**
 * The collector's pod: restricted in every respect but one, the read-only hostPath volumes
 * of exactly {@link collectorHostPaths}. Containerd writes the files under /var/log/pods as
 * 0640 root:root (directories 0755), so the pod runs as UID 10001 with GID 0 as a
 * *supplemental* group: it can read them without running as root, privileged, or with
 * CAP_DAC_READ_SEARCH. fsGroup never applies to hostPath volumes, so nothing on the node
 * is chowned.
 */

/** Members of the root group can read containerd's 0640 root:root log files. */
export const logReaderGroup = 0;

/** `/var/log/containers` → volume `var-log-containers`, mounted at the same path. */
export function hostLogVolumes(): { name: string; path: string }[] {
    return collectorHostPaths.map((path) => ({ name: path.slice(1).replace(/\//g, "-"), path }));
}

export interface CollectorPodOptions {
    readonly name: string;
    readonly image: string;
    readonly serviceAccountName: string;
    readonly configMapName: pulumi.Input<string>;
    readonly resources: ResourceRequirements;
    /** Size cap of the emptyDir with tail offsets and buffered chunks. */
    readonly stateSizeLimit: string;
}

export function collectorPodSpec(options: CollectorPodOptions): PodSpec {
    const hostVolumes = hostLogVolumes();
    return {
        serviceAccountName: options.serviceAccountName,
        // The API token is mounted explicitly (kube-api-access below) as a short-lived
        // projected token rather than through the implicit automount.
        automountServiceAccountToken: false,
        priorityClassName: "system-node-critical",
        nodeSelector: { "kubernetes.io/os": "linux" },
        // Every node, tainted or not, needs its logs collected.
        tolerations: [{ operator: "Exists" }],
        terminationGracePeriodSeconds: 30,
        securityContext: {
            ...restrictedPodSecurityContext(),
            supplementalGroups: [logReaderGroup],
        },
        containers: [
            {
                name: options.name,
                image: options.image,
                command: ["/fluent-bit/bin/fluent-bit"],
                args: ["-c", `${configDir}/${configFileName}`],
                ports: [{ name: "http-metrics", containerPort: metricsPort, protocol: "TCP" }],
                securityContext: restrictedContainerSecurityContext(),
                resources: options.resources,
                livenessProbe: {
                    httpGet: { path: "/", port: "http-metrics" },
                    initialDelaySeconds: 10,
                    periodSeconds: 30,
                },
                readinessProbe: {
                    httpGet: { path: healthPath, port: "http-metrics" },
                    periodSeconds: 10,
                },
                volumeMounts: [
                    { name: "config", mountPath: configDir, readOnly: true },
                    { name: "state", mountPath: stateDir },
                    ...hostVolumes.map((volume) => ({
                        name: volume.name,
                        mountPath: volume.path,
                        readOnly: true,
                    })),
                    {
                        name: "kube-api-access",
                        mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
                        readOnly: true,
                    },
                ],
            },
        ],
        volumes: [
            { name: "config", configMap: { name: options.configMapName } },
            // Tail offsets and buffered chunks: survive container restarts, not pod
            // replacement (docs/logging.md, "Offsets and duplicates").
            { name: "state", emptyDir: { sizeLimit: options.stateSizeLimit } },
            ...hostVolumes.map((volume) => ({
                name: volume.name,
                hostPath: { path: volume.path, type: "Directory" },
            })),
            {
                name: "kube-api-access",
                projected: {
                    sources: [
                        { serviceAccountToken: { path: "token", expirationSeconds: 3600 } },
                        {
                            configMap: {
                                name: "kube-root-ca.crt",
                                items: [{ key: "ca.crt", path: "ca.crt" }],
                            },
                        },
                        {
                            downwardAPI: {
                                items: [
                                    {
                                        path: "namespace",
                                        fieldRef: { fieldPath: "metadata.namespace" },
                                    },
                                ],
                            },
                        },
                    ],
                },
            },
        ],
    };
}
