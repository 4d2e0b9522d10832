import { secretsReadExemptions } from "./exemptions";
import * as k8s from "@pulumi/kubernetes";
import {
    type ResourceValidation,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    validateResourceOfType,
} from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";

/**
 * Minimal RBAC (CIS EKS 4.1.1–4.1.12): no wildcards, no bindings to the built-in admin
 * roles or to everyone, no broad access to Secrets, no writes to workloads, none of the
 * verbs that lead to privilege escalation, and ServiceAccounts that do not hand out API
 * tokens by default. Each `*Patch` kind is judged like the object it becomes.
 */

type PolicyRule = Unwrap<k8s.types.input.rbac.v1.PolicyRule>;

/** One validation per role kind, each handing over the rules and a label for messages. */
function validateRoles(
    check: (rules: PolicyRule[], label: string, report: (m: string) => void) => void,
): ResourceValidation[] {
    return (
        [
            ["Role", k8s.rbac.v1.Role],
            ["Role", k8s.rbac.v1.RolePatch],
            ["ClusterRole", k8s.rbac.v1.ClusterRole],
            ["ClusterRole", k8s.rbac.v1.ClusterRolePatch],
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
    tags: ["cis-eks-4.1.3", "kube-linter:wildcard-in-rules", "hardening-baseline"],
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

type Binding = Unwrap<k8s.types.input.rbac.v1.RoleBinding>;

/** One validation per binding kind (and its patch), with a label for messages. */
function validateBindings(
    check: (
        binding: Binding,
        label: string,
        report: (m: string) => void,
        args: ResourceValidationArgs,
    ) => void,
): ResourceValidation[] {
    return (
        [
            ["RoleBinding", k8s.rbac.v1.RoleBinding],
            ["RoleBinding", k8s.rbac.v1.RoleBindingPatch],
            ["ClusterRoleBinding", k8s.rbac.v1.ClusterRoleBinding],
            ["ClusterRoleBinding", k8s.rbac.v1.ClusterRoleBindingPatch],
        ] as const
    ).map(([kind, cls]) =>
        validateResourceOfType(
            cls as typeof k8s.rbac.v1.RoleBinding,
            (binding, args, reportViolation) => {
                const ns = binding.metadata?.namespace ? `${binding.metadata.namespace}/` : "";
                const label = `${kind} ${ns}${binding.metadata?.name ?? args.name}`;
                check(binding as Binding, label, reportViolation, args);
            },
        ),
    );
}

const clusterAdminSchema = {
    properties: {
        forbiddenRoles: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "Built-in ClusterRoles no binding may grant.",
            default: ["cluster-admin", "admin", "edit"],
        },
    },
};

export const noAdminRoleBinding: ResourceValidationPolicy = {
    name: "k8s-rbac-no-admin-role-binding",
    description:
        "Checks whether a RoleBinding or ClusterRoleBinding grants one of the built-in admin roles (cluster-admin, admin, edit).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisEks("4.1.1"),
    tags: [
        "cis-eks-4.1.1",
        "polaris:clusterrolebindingClusterAdmin",
        "kube-linter:cluster-admin-role-binding",
    ],
    configSchema: clusterAdminSchema,
    remediationSteps:
        "Bind a Role with only the needed permissions. Human admins get cluster access through EKS access entries (mcp-platform:cluster.adminRoleArns), not bindings.",
    validateResource: validateBindings((binding, label, report, args) => {
        const { forbiddenRoles } = configOf<{ forbiddenRoles: string[] }>(clusterAdminSchema, args);
        const ref = binding.roleRef;
        if (ref?.kind === "ClusterRole" && forbiddenRoles.includes(ref.name)) {
            report(`${label} must not bind the built-in ClusterRole ${ref.name}.`);
        }
    }),
};

/** Groups and users that stand for every caller, signed in or not. */
const publicSubjects = ["system:unauthenticated", "system:anonymous", "system:authenticated"];

export const noPublicSubjects: ResourceValidationPolicy = {
    name: "k8s-rbac-no-public-subjects",
    description:
        "Checks whether a RoleBinding or ClusterRoleBinding grants its role to everyone: system:unauthenticated, system:anonymous or system:authenticated.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisEks("4.1.1"),
    tags: ["cis-eks-4.1.1"],
    remediationSteps:
        "Bind the role to the ServiceAccount (or the access-entry group) that needs it; every IAM identity that can reach the API is system:authenticated.",
    validateResource: validateBindings((binding, label, report) => {
        for (const subject of binding.subjects ?? []) {
            if (publicSubjects.includes(subject.name)) {
                report(`${label} must not bind ${subject.kind} ${subject.name}.`);
            }
        }
    }),
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
    validateResource: validateRoles((rules, label, report) => {
        const exempt = secretsReadExemptions.some((e) => label === `ClusterRole ${e.clusterRole}`);
        rules.forEach((rule, index) => {
            if (!coversCoreResource(rule, "secrets")) return;
            if (exempt && (rule.verbs ?? []).every((v) => ["get", "list", "watch"].includes(v)))
                return;
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

/** Verbs that grant more than the subject holds, on any resource. */
const escalatingVerbs = ["bind", "escalate", "impersonate"];

/** Verb/resource pairs that let a subject escalate (CIS EKS 4.1.4, 4.1.8–4.1.12). */
const escalations: { resources: string[]; verbs: string[]; why: string }[] = [
    { resources: ["pods"], verbs: ["create"], why: "creating pods (CIS 4.1.4)" },
    {
        resources: ["pods/exec", "pods/attach", "pods/portforward"],
        verbs: ["*", "create", "get", "update", "patch", "list", "watch", "delete"],
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
        "Checks whether a Role or ClusterRole grants verbs that escalate privilege: bind/escalate/impersonate on anything, any verb on pods/exec or pods/attach, create PersistentVolumes, nodes/proxy, admission webhooks, service-account tokens.",
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
            // These verbs escalate whatever resource they name (roles, users, groups, …).
            const escalating = verbs.filter((v) => escalatingVerbs.includes(v));
            if (escalating.length > 0) {
                report(
                    `${describeRule(rule, index)} must not allow ${escalating.join(", ")}: bind/escalate/impersonate grant more than the subject holds (CIS 4.1.8).`,
                );
            }
            for (const escalation of escalations) {
                const verbHit = verbs.some((v) => v === "*" || escalation.verbs.includes(v));
                const resourceHit = resources.some((r) => escalation.resources.includes(r));
                if (verbHit && resourceHit) {
                    report(`${describeRule(rule, index)} must not allow ${escalation.why}.`);
                }
            }
        });
    }),
};

/** Resources whose writers choose what runs: every pod-bearing kind. */
const workloadResources = [
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "jobs",
    "cronjobs",
    "replicasets",
];
const writeVerbs = ["create", "update", "patch", "*"];

export const noWorkloadWrites: ResourceValidationPolicy = {
    name: "k8s-rbac-no-workload-writes",
    description:
        "Checks whether a Role or ClusterRole can create, update or patch workloads (pods, deployments, statefulsets, daemonsets, jobs, cronjobs, replicasets).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.1.4"),
    tags: ["cis-eks-4.1.4", "kube-linter:access-to-create-pods"],
    remediationSteps:
        "Grant get/list/watch only; workloads change through the pipeline (pulumi up), never through an in-cluster identity.",
    validateResource: validateRoles((rules, _label, report) => {
        rules.forEach((rule, index) => {
            const verbs = (rule.verbs ?? []).filter((v) => writeVerbs.includes(v));
            const resources = (rule.resources ?? []).filter(
                (r) => workloadResources.includes(r) || r === "*",
            );
            if (verbs.length > 0 && resources.length > 0) {
                report(
                    `${describeRule(rule, index)} must not allow ${verbs.join(", ")} on ${resources.join(", ")}.`,
                );
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
    noAdminRoleBinding,
    noPublicSubjects,
    secretsAccess,
    noWorkloadWrites,
    noEscalation,
    serviceAccountAutomount,
];
