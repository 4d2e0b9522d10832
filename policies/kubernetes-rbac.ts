import * as k8s from "@pulumi/kubernetes";
import {
    type ResourceValidation,
    type ResourceValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";

/**
 * Minimal RBAC (seed 001's checklist; CIS EKS 4.1.1–4.1.12): no wildcards, no
 * cluster-admin bindings, no broad access to Secrets, none of the verbs that lead to
 * privilege escalation, and ServiceAccounts that do not hand out API tokens by default.
 */

type PolicyRule = Unwrap<k8s.types.input.rbac.v1.PolicyRule>;

/** One validation per role kind, each handing over the rules and a label for messages. */
function validateRoles(
    check: (rules: PolicyRule[], label: string, report: (m: string) => void) => void,
): ResourceValidation[] {
    return (
        [
            ["Role", k8s.rbac.v1.Role],
            ["ClusterRole", k8s.rbac.v1.ClusterRole],
        ] as const
    ).map(([kind, cls]) =>
        validateResourceOfType(cls as typeof k8s.rbac.v1.Role, (role, args, reportViolation) => {
            const ns = role.metadata?.namespace ? `${role.metadata.namespace}/` : "";
            const label = `${kind} ${ns}${role.metadata?.name ?? args.name}`;
            check((role.rules ?? []) as PolicyRule[], label, (m) =>
                reportViolation(`${label}: ${m}`),
            );
        }),
    );
}

function describeRule(rule: PolicyRule, index: number): string {
    const resources = rule.resources?.join(",") ?? rule.nonResourceURLs?.join(",") ?? "";
    return `rules[${index}] (${(rule.verbs ?? []).join(",")} on ${resources})`;
}

export const noWildcards: ResourceValidationPolicy = {
    name: "k8s-rbac-no-wildcards",
    description:
        "Checks whether a Role or ClusterRole uses `*` in apiGroups, resources, verbs or nonResourceURLs.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.1.3"),
    tags: ["cis-eks-4.1.3", "kube-linter:wildcard-in-rules", "seed-001-hardening"],
    remediationSteps: "List the exact apiGroups, resources and verbs the subject needs.",
    validateResource: validateRoles((rules, _label, report) => {
        rules.forEach((rule, index) => {
            for (const field of ["apiGroups", "resources", "verbs", "nonResourceURLs"] as const) {
                if ((rule[field] ?? []).some((v) => v.includes("*"))) {
                    report(`${describeRule(rule, index)} must not use a wildcard in ${field}.`);
                }
            }
        });
    }),
};

const clusterAdminSchema = {
    properties: {
        forbiddenRoles: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "ClusterRoles no binding may grant.",
            default: ["cluster-admin"],
        },
    },
};

export const noClusterAdminBinding: ResourceValidationPolicy = {
    name: "k8s-rbac-no-cluster-admin-binding",
    description:
        "Checks whether a RoleBinding or ClusterRoleBinding grants the cluster-admin ClusterRole.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisEks("4.1.1"),
    tags: ["cis-eks-4.1.1", "polaris:clusterrolebindingClusterAdmin"],
    configSchema: clusterAdminSchema,
    remediationSteps:
        "Bind a Role with only the needed permissions. Human admins get cluster access through EKS access entries (mcp-platform:cluster.adminRoleArns), not bindings.",
    validateResource: (
        [
            ["RoleBinding", k8s.rbac.v1.RoleBinding],
            ["ClusterRoleBinding", k8s.rbac.v1.ClusterRoleBinding],
        ] as const
    ).map(([kind, cls]) =>
        validateResourceOfType(
            cls as typeof k8s.rbac.v1.RoleBinding,
            (binding, args, reportViolation) => {
                const { forbiddenRoles } = configOf<{ forbiddenRoles: string[] }>(
                    clusterAdminSchema,
                    args,
                );
                const ref = binding.roleRef;
                if (ref?.kind === "ClusterRole" && forbiddenRoles.includes(ref.name)) {
                    reportViolation(
                        `${kind} ${binding.metadata?.name ?? args.name} must not bind ClusterRole ${ref.name}.`,
                    );
                }
            },
        ),
    ),
};

const readVerbs = ["get", "list", "watch", "*"];

function coversCoreResource(rule: PolicyRule, resource: string): boolean {
    const groups = rule.apiGroups ?? [];
    return (
        (groups.includes("") || groups.includes("*")) &&
        (rule.resources ?? []).some((r) => r === resource || r === "*")
    );
}

export const secretsAccess: ResourceValidationPolicy = {
    name: "k8s-rbac-minimal-secrets-access",
    description:
        "Checks whether a Role or ClusterRole can read Secrets broadly (list/watch, or get without resourceNames).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.1.2"),
    tags: ["cis-eks-4.1.2", "kube-linter:access-to-secrets"],
    remediationSteps:
        "Grant only `get` on the named Secrets the workload needs (resourceNames), or mount the Secret into the pod instead of reading it through the API.",
    validateResource: validateRoles((rules, _label, report) => {
        rules.forEach((rule, index) => {
            if (!coversCoreResource(rule, "secrets")) return;
            const verbs = (rule.verbs ?? []).filter((v) => readVerbs.includes(v));
            const broad = verbs.filter(
                (v) => v !== "get" || (rule.resourceNames ?? []).length === 0,
            );
            if (broad.length > 0) {
                report(
                    `${describeRule(rule, index)} must not grant ${broad.join(", ")} on secrets; grant get on named secrets only (resourceNames).`,
                );
            }
        });
    }),
};

/** Verb/resource pairs that let a subject escalate (CIS EKS 4.1.4, 4.1.8–4.1.12). */
const escalations: { resources: string[]; verbs: string[]; why: string }[] = [
    {
        resources: [
            "roles",
            "clusterroles",
            "users",
            "groups",
            "serviceaccounts",
            "uids",
            "userextras",
            "*",
        ],
        verbs: ["bind", "escalate", "impersonate"],
        why: "bind/escalate/impersonate (CIS 4.1.8)",
    },
    { resources: ["pods"], verbs: ["create"], why: "creating pods (CIS 4.1.4)" },
    {
        resources: ["pods/exec", "pods/attach", "pods/portforward"],
        verbs: ["create", "get"],
        why: "exec/attach into pods",
    },
    {
        resources: ["persistentvolumes"],
        verbs: ["create"],
        why: "creating PersistentVolumes (CIS 4.1.9)",
    },
    {
        resources: ["nodes/proxy"],
        verbs: ["get", "create", "update", "patch", "delete", "list", "watch"],
        why: "the nodes/proxy subresource (CIS 4.1.10)",
    },
    {
        resources: ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
        verbs: ["create", "update", "patch", "delete"],
        why: "changing admission webhooks (CIS 4.1.11)",
    },
    {
        resources: ["serviceaccounts/token"],
        verbs: ["create"],
        why: "creating service account tokens (CIS 4.1.12)",
    },
];

export const noEscalation: ResourceValidationPolicy = {
    name: "k8s-rbac-no-privilege-escalation",
    description:
        "Checks whether a Role or ClusterRole grants verbs that escalate privilege: bind/escalate/impersonate, create pods, exec/attach, create PersistentVolumes, nodes/proxy, admission webhooks, service-account tokens.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.1.4, 4.1.8-4.1.12"),
    tags: [
        "cis-eks-4.1.4",
        "cis-eks-4.1.8",
        "cis-eks-4.1.9",
        "cis-eks-4.1.10",
        "cis-eks-4.1.11",
        "cis-eks-4.1.12",
    ],
    remediationSteps:
        "Remove the verb from the rule; workloads that need such access are reviewed and documented separately.",
    validateResource: validateRoles((rules, _label, report) => {
        rules.forEach((rule, index) => {
            const verbs = rule.verbs ?? [];
            const resources = rule.resources ?? [];
            for (const escalation of escalations) {
                const verbHit = verbs.some((v) => v === "*" || escalation.verbs.includes(v));
                const resourceHit = resources.some(
                    (r) =>
                        escalation.resources.includes(r) ||
                        (r.startsWith("userextras/") &&
                            escalation.resources.includes("userextras")),
                );
                if (verbHit && resourceHit) {
                    report(`${describeRule(rule, index)} must not allow ${escalation.why}.`);
                }
            }
        });
    }),
};

export const serviceAccountAutomount: ResourceValidationPolicy = {
    name: "k8s-service-account-no-automount",
    description:
        "Checks whether a ServiceAccount turns off automatic mounting of its API token (pods that call the API opt in themselves).",
    enforcementLevel: "advisory",
    severity: "low",
    framework: cisEks("4.1.6"),
    tags: ["cis-eks-4.1.6"],
    remediationSteps:
        "Set automountServiceAccountToken: false on the ServiceAccount; a pod that needs the API sets automountServiceAccountToken: true in its own spec.",
    validateResource: validateResourceOfType(
        k8s.core.v1.ServiceAccount,
        (account, args, reportViolation) => {
            if (account.automountServiceAccountToken !== false) {
                const ns = account.metadata?.namespace ?? "(no namespace)";
                reportViolation(
                    `ServiceAccount ${ns}/${account.metadata?.name ?? args.name} should set automountServiceAccountToken: false.`,
                );
            }
        },
    ),
};

export const rbacPolicies: ResourceValidationPolicy[] = [
    noWildcards,
    noClusterAdminBinding,
    secretsAccess,
    noEscalation,
    serviceAccountAutomount,
];
