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
const podSecurityAdmissionExemptions: readonly PodSecurityAdmissionExemption[] = [
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

export interface IamWildcardResourceExemption {
    /** The logical name of the IAM policy resource (aws.iam.Policy / RolePolicy) exempted. */
    readonly policy: string;
    /** The exact actions that policy may grant on Resource "*", beyond the read-only list. */
    readonly actions: readonly string[];
    readonly reason: string;
}

/**
 * Write actions that one IAM policy may grant on Resource "*". These are the `exemptions`
 * default of `aws-iam-no-wildcard-resource`; every other action on "*" must be on that
 * policy's reviewed read-only list.
 */
export const iamWildcardResourceExemptions: readonly IamWildcardResourceExemption[] = [
    {
        policy: "cluster-addons-alb-controller-policy",
        actions: ["shield:CreateProtection", "elasticloadbalancing:SetWebAcl"],
        reason: 'The AWS Load Balancer Controller (installed by the mcp-platform:cluster:ClusterAddons component) attaches WAF web ACLs and Shield protection to the ALBs it creates from Ingress annotations. These two actions have no resource-level permissions (the service authorization reference lists no resource type for them), so they can only be granted on Resource "*", as the upstream controller policy does; the WAFv2 and other Shield calls are scoped to this account\'s web ACLs, load balancers and protections. If the platform never sets the wafv2/shield Ingress annotations, both can be dropped from the policy instead.',
    },
];

export interface AdminAttachmentExemption {
    /** The logical name of the aws.iam.RolePolicyAttachment exempted. */
    readonly attachment: string;
    /** The component type its parent must be, so a same-named attachment elsewhere is not. */
    readonly parentType: string;
    readonly reason: string;
}

/**
 * Attachments of an administrator managed policy that `aws-iam-no-wildcard-admin` allows. The
 * one exemption is the role `pulumi up` runs as in CI: it creates and changes every resource of
 * the stack, IAM roles and EKS access included, so no narrower policy lets it deploy.
 */
export const adminAttachmentExemptions: readonly AdminAttachmentExemption[] = [
    {
        attachment: "ci-deploy-admin",
        parentType: "mcp-platform:cluster:CiRoles",
        reason: "The stack's CI deploy role (mcp-platform-<stack>-ci, components/cluster/ci-roles.ts) runs `pulumi up` of the whole stack, which creates IAM roles, KMS keys, the EKS cluster and its access entries: AdministratorAccess is what that takes. It is contained instead: only the deploy workflow in the stack's GitHub environment at refs/heads/main may assume it (trust pinned by aws-iam-irsa-trust-single-service-account), an inline deny stops it changing the CI roles or the GitHub OIDC provider, and sessions last at most 2 hours.",
    },
];

export interface ExposedServiceExemption {
    readonly namespace: string;
    readonly name: string;
    readonly reason: string;
}

/**
 * Services that may be of type LoadBalancer or NodePort, or set externalIPs. Empty: the
 * reviewed ingress path is the ALB that the AWS Load Balancer Controller builds from Ingress
 * objects with target-type ip (the mcp-platform:workloads:PublicIngresses component), which reaches ClusterIP
 * Services directly and needs no Service exposed on the nodes or its own load balancer.
 */
export const exposedServiceExemptions: readonly ExposedServiceExemption[] = [];

export interface AllowedHelmChart {
    /** The chart name as the release names it (`kube-prometheus-stack`). */
    readonly chart: string;
    /** The chart repository URL. */
    readonly repository: string;
    readonly reason: string;
}

/**
 * The Helm charts the platform may install. The pack cannot see what a chart renders (its
 * objects are not Pulumi resources offline), so a chart is reviewed once, by name and
 * repository, and its release values are still scanned for privileged and host settings.
 */
export const allowedHelmCharts: readonly AllowedHelmChart[] = [
    {
        chart: "kube-prometheus-stack",
        repository: "https://prometheus-community.github.io/helm-charts",
        reason: "Prometheus, Alertmanager, Grafana and node-exporter (docs/monitoring.md); node-exporter's host access is confined to the node-exporter namespace's admission exemption above.",
    },
    {
        chart: "aws-load-balancer-controller",
        repository: "https://aws.github.io/eks-charts",
        reason: "Builds the ALB from Ingress objects: the platform's one ingress path (docs/cluster.md).",
    },
    {
        chart: "metrics-server",
        repository: "https://kubernetes-sigs.github.io/metrics-server/",
        reason: "Resource metrics for the HorizontalPodAutoscalers (docs/cluster.md).",
    },
    {
        chart: "vpa",
        repository: "https://charts.fairwinds.com/stable",
        reason: "The VerticalPodAutoscaler recommender, updater and admission controller (docs/cluster.md).",
    },
    {
        chart: "karpenter",
        repository: "oci://public.ecr.aws/karpenter",
        reason: "Node autoscaling (docs/cluster.md, Karpenter): the controller runs on the system node group with an IRSA role limited to nodes tagged for this cluster.",
    },
    {
        chart: "karpenter-crd",
        repository: "oci://public.ecr.aws/karpenter",
        reason: "Karpenter's CustomResourceDefinitions (NodePool, NodeClaim, EC2NodeClass), in their own release so chart upgrades update them.",
    },
];

export interface SecretsReadExemption {
    /** The ClusterRole that may read Secrets cluster-wide (get, list, watch). */
    readonly clusterRole: string;
    readonly reason: string;
}

/**
 * ClusterRoles that may read every Secret. `k8s-rbac-minimal-secrets-access` refuses any
 * other role that reads Secrets without naming them. None today: the preview role reads the
 * Secrets the program declares by name (components/cluster/preview-access.ts).
 */
export const secretsReadExemptions: readonly SecretsReadExemption[] = [];

export interface ImageCacheExemption {
    /** The namespace whose pods may run it. */
    readonly namespace: string;
    /** The image name as written, without tag or digest (`registry.example.com/team/tool`), matched exactly. */
    readonly image: string;
    readonly reason: string;
}

/**
 * Images that `k8s-container-image-through-cache` lets a pod pull from outside the stack's
 * ECR pull-through cache. None: every image the program renders is mapped to the cache
 * (platform/image-cache.ts), so enhanced scanning sees it. An entry is for an image whose
 * registry ECR cannot cache, and its scanning must then be stated in `reason`.
 */
export const imageCacheExemptions: readonly ImageCacheExemption[] = [];
