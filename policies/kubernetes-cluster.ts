import * as k8s from "@pulumi/kubernetes";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import {
    defaultPodSecurityAdmissionExemptions,
    type PodSecurityAdmissionExemption,
} from "./exemptions";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";

/**
 * Namespace-level and cluster-level Kubernetes controls: nothing in `default` (CIS EKS
 * 4.5.2), Pod Security admission labels on every namespace (and on every NamespacePatch
 * that touches them), TLS on every Ingress (CIS EKS 5.4.5) and encrypted EBS StorageClasses
 * (data at rest is encrypted everywhere, like Secrets).
 */

/** Kinds that have no namespace. */
export const clusterScopedKinds = [
    "APIService",
    "CertificateSigningRequest",
    "ClusterIssuer",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "EC2NodeClass",
    "FlowSchema",
    "IngressClass",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "NodeClaim",
    "NodeOverlay",
    "NodePool",
    "PersistentVolume",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeSnapshotClass",
];

const helmReleaseType = "kubernetes:helm.sh/v3:Release";

const namespaceSchema = {
    properties: {
        extraClusterScopedKinds: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "Further cluster-scoped kinds (custom resources) that carry no namespace.",
            default: [],
        },
    },
};

export const noDefaultNamespace: ResourceValidationPolicy = {
    name: "k8s-no-default-namespace",
    description:
        "Checks whether a namespaced Kubernetes object (or Helm release) names its namespace explicitly and avoids `default`.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: cisEks("4.5.2"),
    tags: ["cis-eks-4.5.1", "cis-eks-4.5.2"],
    configSchema: namespaceSchema,
    remediationSteps:
        "Set metadata.namespace to the component's namespace (mcp-production, mcp-system, mcp-platform, …), never `default`.",
    validateResource: (args, reportViolation) => {
        if (!args.type.startsWith("kubernetes:"))
            return args.notApplicable("not a Kubernetes object");
        const props = args.props;
        if (args.type === helmReleaseType) {
            const ns = props.namespace as string | undefined;
            if (!ns || ns === "default") {
                reportViolation(
                    `Helm release ${props.name ?? args.name} must set namespace to a namespace other than default (got ${ns ?? "none"}).`,
                );
            }
            return;
        }
        const kind = props.kind;
        if (
            typeof kind !== "string" ||
            typeof props.apiVersion !== "string" ||
            kind.endsWith("List")
        ) {
            return args.notApplicable("not a Kubernetes object");
        }
        const { extraClusterScopedKinds } = configOf<{ extraClusterScopedKinds: string[] }>(
            namespaceSchema,
            args,
        );
        if (clusterScopedKinds.includes(kind) || extraClusterScopedKinds.includes(kind)) {
            return args.notApplicable("cluster-scoped kind");
        }
        const ns = props.metadata?.namespace as string | undefined;
        if (!ns || ns === "default") {
            reportViolation(
                `${kind} ${props.metadata?.name ?? args.name} must set metadata.namespace to a namespace other than default (got ${ns ?? "none"}).`,
            );
        }
    },
};

const psaLabels = ["enforce", "audit", "warn"].map((mode) => `pod-security.kubernetes.io/${mode}`);

const psaSchema = {
    properties: {
        exemptions: {
            type: "array" as const,
            description:
                "Namespaces that may enforce `baseline` or `privileged` (audit and warn stay restricted). Default: policies/exemptions.ts.",
            items: {
                type: "object" as const,
                properties: {
                    namespace: { type: "string" as const, minLength: 1 },
                    enforce: { type: "string" as const, enum: ["baseline", "privileged"] },
                    reason: { type: "string" as const },
                },
                required: ["namespace", "enforce"],
                additionalProperties: false,
            },
            default: defaultPodSecurityAdmissionExemptions() as unknown as object[],
        },
    },
};

export const namespacePodSecurity: ResourceValidationPolicy = {
    name: "k8s-namespace-pod-security-admission",
    description:
        "Checks whether every Namespace labels Pod Security admission to enforce, audit and warn at `restricted`, and no NamespacePatch lowers or removes those labels.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.2"),
    tags: ["pss", "hardening-baseline"],
    configSchema: psaSchema,
    remediationSteps:
        "Label the namespace pod-security.kubernetes.io/enforce, /audit and /warn = restricted. A reviewed exception goes in policies/exemptions.ts.",
    validateResource: [k8s.core.v1.Namespace, k8s.core.v1.NamespacePatch].map((cls) =>
        validateResourceOfType(
            cls as typeof k8s.core.v1.Namespace,
            (namespace, args, reportViolation) => {
                const { exemptions } = configOf<{
                    exemptions: PodSecurityAdmissionExemption[];
                }>(psaSchema, args);
                // A patch changes only the labels it names; one that names a Pod Security
                // label must keep it at the level the full Namespace would need.
                const patch = args.type.endsWith("Patch");
                const name = namespace.metadata?.name ?? args.name;
                const labels = (namespace.metadata?.labels ?? {}) as Record<string, string | null>;
                const exemption = exemptions.find((e) => e.namespace === name);
                for (const label of psaLabels) {
                    if (patch && !(label in labels)) continue;
                    const value = labels[label];
                    const allowed =
                        label.endsWith("/enforce") && exemption
                            ? ["restricted", exemption.enforce]
                            : ["restricted"];
                    if (typeof value !== "string" || !allowed.includes(value)) {
                        reportViolation(
                            `${patch ? "NamespacePatch" : "Namespace"} ${name} must label ${label}=${allowed.join(" or ")} (got ${value ?? "none"}).`,
                        );
                    }
                }
            },
        ),
    ),
};

const ingressSchema = {
    properties: {
        tlsAnnotations: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                'Controller annotations that terminate TLS for the Ingress (non-empty, not "false").',
            default: [
                "alb.ingress.kubernetes.io/certificate-arn",
                "traefik.ingress.kubernetes.io/router.tls",
            ],
        },
    },
};

export const ingressTls: ResourceValidationPolicy = {
    name: "k8s-ingress-tls",
    description:
        "Checks whether every Ingress serves its hosts over TLS (spec.tls covering each rule host, or the controller's TLS annotation).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("5.4.5"),
    tags: ["cis-eks-5.4.5", "polaris:tlsSettingsMissing"],
    configSchema: ingressSchema,
    remediationSteps:
        "Add spec.tls with a secretName for every host (or the ALB certificate-arn / Traefik router.tls annotation).",
    validateResource: validateResourceOfType(
        k8s.networking.v1.Ingress,
        (ingress, args, reportViolation) => {
            const { tlsAnnotations } = configOf<{ tlsAnnotations: string[] }>(ingressSchema, args);
            const label = `Ingress ${ingress.metadata?.namespace ?? "(no namespace)"}/${ingress.metadata?.name ?? args.name}`;
            const annotations = (ingress.metadata?.annotations ?? {}) as Record<string, string>;
            if (tlsAnnotations.some((key) => annotations[key] && annotations[key] !== "false"))
                return;
            const tlsHosts = new Set((ingress.spec?.tls ?? []).flatMap((tls) => tls.hosts ?? []));
            const ruleHosts = (ingress.spec?.rules ?? [])
                .map((rule) => rule.host)
                .filter((h): h is string => !!h);
            if ((ingress.spec?.tls ?? []).length === 0) {
                reportViolation(
                    `${label} must terminate TLS: add spec.tls for ${ruleHosts.join(", ") || "its hosts"}.`,
                );
                return;
            }
            const uncovered = ruleHosts.filter((host) => !tlsHosts.has(host));
            if (uncovered.length > 0)
                reportViolation(`${label} must list ${uncovered.join(", ")} in spec.tls[].hosts.`);
        },
    ),
};

const ebsProvisioners = ["ebs.csi.aws.com", "kubernetes.io/aws-ebs"];

export const storageClassEncrypted: ResourceValidationPolicy = {
    name: "k8s-storage-class-encrypted",
    description:
        'Checks whether every EBS-backed StorageClass encrypts its volumes (parameters.encrypted: "true").',
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["hardening-baseline", "encryption-at-rest"],
    remediationSteps:
        'Set parameters: { type: "gp3", encrypted: "true", kmsKeyId: <CMK ARN> } on the StorageClass.',
    validateResource: validateResourceOfType(
        k8s.storage.v1.StorageClass,
        (sc, args, reportViolation) => {
            if (!ebsProvisioners.includes(sc.provisioner)) return;
            const encrypted = (sc.parameters as Record<string, string> | undefined)?.encrypted;
            if (encrypted !== "true") {
                reportViolation(
                    `StorageClass ${sc.metadata?.name ?? args.name} must set parameters.encrypted: "true" (got ${encrypted ?? "none"}).`,
                );
            }
        },
    ),
};

export const clusterPolicies: ResourceValidationPolicy[] = [
    noDefaultNamespace,
    namespacePodSecurity,
    ingressTls,
    storageClassEncrypted,
];
