/**
 * Reviewed exemptions from the pack's Kubernetes controls — the only place they live.
 *
 * An exemption is narrow by construction: a namespace and the exact host paths a pod there
 * may mount, read-only. Everything else stays enforced in that namespace (privileged,
 * capabilities, runAsNonRoot, seccomp, read-only root filesystem, …), a hostPath anywhere
 * else is still refused, and so is a writable, broader or extra path in the exempt namespace.
 *
 * These lists are the `configSchema` defaults of `k8s-pod-no-host-path` and
 * `k8s-namespace-pod-security-admission`, so `pulumi preview --policy-pack policies` and
 * `npm run synth` apply them alike; a `--policy-pack-config` file can still override them.
 * Adding an entry is a security decision: explain it in `reason` and in docs/policies.md.
 */

export interface HostPathExemption {
    /** The namespace whose pods may mount these paths. */
    readonly namespace: string;
    /** Absolute host paths, matched exactly (no prefix, no glob). Always mounted read-only. */
    readonly paths: readonly string[];
    /** Why the exemption is needed (shown in docs and reviews). */
    readonly reason: string;
}

/** The one reviewed exemption: the log collector's read-only view of the node's container logs. */
export const hostPathExemptions: readonly HostPathExemption[] = [
    {
        namespace: "logging",
        paths: ["/var/log/containers", "/var/log/pods"],
        reason: "The log collector (DaemonSet logging/fluent-bit, components/logging/log-collector.ts) tails every container's log: /var/log/containers holds the kubelet's symlinks, /var/log/pods the containerd files they point to. Mounted read-only by a non-root pod with no privilege, all capabilities dropped and a read-only root filesystem (docs/logging.md).",
    },
];

/** Pod Security admission levels a namespace may enforce instead of `restricted`. */
export type PodSecurityLevel = "baseline" | "privileged";

export interface PodSecurityAdmissionExemption {
    readonly namespace: string;
    /** The level the namespace may enforce; its audit and warn labels stay `restricted`. */
    readonly enforce: PodSecurityLevel;
    readonly reason: string;
}

/**
 * Namespaces that may enforce less than `restricted` at admission. The pack still checks
 * every pod it can see there against every control; this only relaxes the cluster's own
 * admission for pods the pack cannot see (Helm-rendered node agents) or that hold a
 * hostPath exemption above. Namespaces with a hostPath exemption are added automatically
 * (hostPath is forbidden even by `baseline`, so they need `privileged`).
 */
export const podSecurityAdmissionExemptions: readonly PodSecurityAdmissionExemption[] = [
    {
        namespace: "node-exporter",
        enforce: "privileged",
        reason: "prometheus-node-exporter (kube-prometheus-stack, Helm-rendered) reads node metrics through hostNetwork, hostPID and read-only hostPath mounts of / , /proc and /sys, which even `baseline` forbids; nothing else runs there and a default-deny NetworkPolicy covers the namespace (docs/cluster.md).",
    },
];

/** The effective default: explicit entries plus one `privileged` entry per hostPath namespace. */
export function defaultPodSecurityAdmissionExemptions(): PodSecurityAdmissionExemption[] {
    const entries = [...podSecurityAdmissionExemptions];
    for (const exemption of hostPathExemptions) {
        if (!entries.some((e) => e.namespace === exemption.namespace)) {
            entries.push({
                namespace: exemption.namespace,
                enforce: "privileged",
                reason: exemption.reason,
            });
        }
    }
    return entries;
}
