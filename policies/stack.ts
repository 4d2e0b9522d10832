import type { StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./lib/config";
import { cisEks } from "./lib/define";
import {
    autoscalersOf,
    autoscalerTarget,
    describeObject,
    isEmptySelector,
    isServerState,
    type K8sObject,
    k8sObjects,
    ofKind,
    selects,
    templateOf,
} from "./lib/k8s-objects";
import { maxReplicas } from "./lib/replicas";
import { imageOwnRegistry } from "./kubernetes-image-cache";
import { nodeCapacityHeadroom } from "./stack-capacity";

/**
 * Stack policies: rules about how objects relate, which no single resource shows —
 * default-deny per namespace, PDB and HPA per multi-replica service, HPA/VPA separation,
 * node capacity, alert metadata and backups for every data store.
 */

function labelsOf(o: K8sObject): Record<string, string> {
    return (templateOf(o)?.metadata.labels ?? {}) as Record<string, string>;
}

export const namespaceDefaultDeny: StackValidationPolicy = {
    name: "k8s-stack-namespace-default-deny",
    description:
        "Checks whether every Namespace the stack declares has a default-deny NetworkPolicy for ingress and egress (empty podSelector, no rules).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: cisEks("4.3.2"),
    tags: ["cis-eks-4.3.2", "hardening-baseline"],
    remediationSteps:
        "Add a NetworkPolicy in the namespace with podSelector: {}, policyTypes: [Ingress, Egress] and no ingress/egress rules, then allow the flows each service needs explicitly.",
    validateStack: (args, reportViolation) => {
        const objects = k8sObjects(args.resources);
        const namespaces = ofKind(objects, "Namespace");
        if (namespaces.length === 0) return args.notApplicable("the stack declares no Namespace");
        const policies = ofKind(objects, "NetworkPolicy");
        for (const namespace of namespaces) {
            const here = policies.filter(
                (p) =>
                    p.namespace === namespace.name &&
                    isEmptySelector(p.props.spec?.podSelector ?? {}),
            );
            const denies = (direction: "Ingress" | "Egress") =>
                here.some((p) => {
                    const spec = p.props.spec ?? {};
                    const types: string[] =
                        spec.policyTypes ?? (direction === "Ingress" ? ["Ingress"] : []);
                    const rules: unknown[] = spec[direction.toLowerCase()] ?? [];
                    return types.includes(direction) && rules.length === 0;
                });
            const missing = (["Ingress", "Egress"] as const).filter((d) => !denies(d));
            if (missing.length > 0) {
                reportViolation(
                    `Namespace ${namespace.name} must have a default-deny NetworkPolicy for ${missing.join(" and ")} (podSelector: {}, policyTypes: [${missing.join(", ")}], no rules).`,
                    namespace.resource.urn,
                );
            }
        }
    },
};

const pdbSchema = {
    properties: {
        kinds: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                "Workload kinds that need a PodDisruptionBudget when they run more than one replica.",
            default: ["Deployment", "StatefulSet"],
        },
    },
};

function blocksAllDisruptions(pdb: K8sObject, replicas: number): boolean {
    const spec = pdb.props.spec ?? {};
    if (spec.maxUnavailable !== undefined)
        return spec.maxUnavailable === 0 || spec.maxUnavailable === "0%";
    if (spec.minAvailable === "100%") return true;
    return typeof spec.minAvailable === "number" && spec.minAvailable >= replicas;
}

export const multiReplicaPdb: StackValidationPolicy = {
    name: "k8s-stack-multi-replica-pdb",
    description:
        "Checks whether every workload that can run more than one replica is covered by a PodDisruptionBudget that still allows a disruption.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["kube-score:deployment-has-poddisruptionbudget", "polaris:missingPodDisruptionBudget"],
    configSchema: pdbSchema,
    remediationSteps:
        "Add a PodDisruptionBudget (<name>-pdb) selecting the pod labels with maxUnavailable: 1 (or minAvailable below the replica count).",
    validateStack: (args, reportViolation) => {
        const { kinds } = configOf<{ kinds: string[] }>(pdbSchema, args);
        const objects = k8sObjects(args.resources);
        const pdbs = ofKind(objects, "PodDisruptionBudget");
        for (const workload of ofKind(objects, ...kinds)) {
            const replicas = maxReplicas(workload, objects);
            if (replicas <= 1) continue;
            const labels = labelsOf(workload);
            const covering = pdbs.filter(
                (p) =>
                    p.namespace === workload.namespace && selects(p.props.spec?.selector, labels),
            );
            if (covering.length === 0) {
                reportViolation(
                    `${describeObject(workload)} runs up to ${replicas} replicas and must have a PodDisruptionBudget selecting its pods.`,
                    workload.resource.urn,
                );
            }
            for (const pdb of covering.filter((p) => blocksAllDisruptions(p, replicas))) {
                reportViolation(
                    `${describeObject(pdb)} must allow at least one voluntary disruption (maxUnavailable ≥ 1 or minAvailable < ${replicas}); it would block node drains.`,
                    pdb.resource.urn,
                );
            }
        }
    },
};

const hpaSchema = {
    properties: {
        kinds: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "Workload kinds that need an HPA when they run more than one replica.",
            default: ["Deployment"],
        },
    },
};

export const multiReplicaHpa: StackValidationPolicy = {
    name: "k8s-stack-multi-replica-hpa",
    description:
        "Checks whether every multi-replica service (Deployment with spec.replicas > 1) is scaled by a HorizontalPodAutoscaler instead of a fixed count.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["autoscaling"],
    configSchema: hpaSchema,
    remediationSteps:
        "Add a HorizontalPodAutoscaler (<name>-hpa, autoscaling/v2) with the service's min/max from the stack config and remove spec.replicas.",
    validateStack: (args, reportViolation) => {
        const { kinds } = configOf<{ kinds: string[] }>(hpaSchema, args);
        const objects = k8sObjects(args.resources);
        for (const workload of ofKind(objects, ...kinds)) {
            const replicas = Number(workload.props.spec?.replicas ?? 1);
            if (replicas <= 1) continue;
            if (autoscalersOf(workload, objects, "HorizontalPodAutoscaler").length === 0) {
                reportViolation(
                    `${describeObject(workload)} runs ${replicas} replicas and must be scaled by a HorizontalPodAutoscaler.`,
                    workload.resource.urn,
                );
            }
        }
    },
};

export const hpaTarget: StackValidationPolicy = {
    name: "k8s-stack-hpa-target",
    description:
        "Checks whether every HorizontalPodAutoscaler targets a workload the stack declares, and that workload leaves spec.replicas to the HPA.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: [
        "kube-score:horizontalpodautoscaler-has-target",
        "kube-score:deployment-targeted-by-hpa-does-not-have-replicas-configured",
    ],
    remediationSteps:
        "Point scaleTargetRef at the workload's kind and name in the same namespace, and remove spec.replicas from the workload (each `pulumi up` would otherwise reset the HPA's scale).",
    validateStack: (args, reportViolation) => {
        const objects = k8sObjects(args.resources);
        const hpas = ofKind(objects, "HorizontalPodAutoscaler");
        if (hpas.length === 0)
            return args.notApplicable("the stack declares no HorizontalPodAutoscaler");
        for (const hpa of hpas) {
            const target = autoscalerTarget(hpa, objects);
            const ref = hpa.props.spec?.scaleTargetRef ?? {};
            if (!target) {
                reportViolation(
                    `${describeObject(hpa)} must target a workload declared in the stack (no ${ref.kind ?? "?"} ${hpa.namespace ?? ""}/${ref.name ?? "?"}).`,
                    hpa.resource.urn,
                );
            } else if (target.props.spec?.replicas !== undefined && !isServerState(target.props)) {
                // Under the engine the live object carries the HPA's replica count; the
                // declared value is only visible offline (and SSA refuses a conflicting one).
                reportViolation(
                    `${describeObject(target)} is scaled by ${hpa.name} and must leave spec.replicas unset (got ${target.props.spec.replicas}).`,
                    target.resource.urn,
                );
            }
        }
    },
};

const conflictSchema = {
    properties: {
        resources: {
            type: "array" as const,
            items: { type: "string" as const, enum: ["cpu", "memory"] },
            description: "Resources the HPA and VPA must not both act on.",
            default: ["cpu", "memory"],
        },
    },
};

/** Resources an HPA scales on; autoscaling/v2 without metrics defaults to 80 % CPU. */
function hpaResources(hpa: K8sObject): Set<string> {
    const spec = hpa.props.spec ?? {};
    if (spec.targetCPUUtilizationPercentage !== undefined) return new Set(["cpu"]);
    const metrics = (spec.metrics ?? []) as {
        type?: string;
        resource?: { name?: string };
        containerResource?: { name?: string };
    }[];
    if (metrics.length === 0) return new Set(["cpu"]);
    const names = new Set<string>();
    for (const metric of metrics) {
        const name =
            metric.type === "Resource"
                ? metric.resource?.name
                : metric.type === "ContainerResource"
                  ? metric.containerResource?.name
                  : undefined;
        if (name) names.add(name);
    }
    return names;
}

/** Resources a VPA changes on the pods of `target` (none when updateMode is Off). */
function vpaResources(vpa: K8sObject, target: K8sObject | undefined): Set<string> {
    const spec = vpa.props.spec ?? {};
    if (spec.updatePolicy?.updateMode === "Off") return new Set();
    type ContainerPolicy = {
        containerName?: string;
        mode?: string;
        controlledResources?: string[];
    };
    const policies = (spec.resourcePolicy?.containerPolicies ?? []) as ContainerPolicy[];
    const controlled = (policy: ContainerPolicy | undefined) =>
        policy?.mode === "Off" ? [] : (policy?.controlledResources ?? ["cpu", "memory"]);
    const wildcard = policies.find((p) => (p.containerName ?? "*") === "*");
    const names = new Set<string>();
    const containers = target ? (templateOf(target)?.spec.containers ?? []).map((c) => c.name) : [];
    if (containers.length === 0) {
        // Target unknown: every listed policy and the default for unlisted containers apply.
        for (const policy of policies) controlled(policy).forEach((r) => names.add(r));
        controlled(wildcard).forEach((r) => names.add(r));
        return names;
    }
    for (const container of containers) {
        const policy = policies.find((p) => p.containerName === container) ?? wildcard;
        controlled(policy).forEach((r) => names.add(r));
    }
    return names;
}

export const hpaVpaConflict: StackValidationPolicy = {
    name: "k8s-stack-hpa-vpa-no-conflict",
    description:
        "Checks whether a HorizontalPodAutoscaler and a VerticalPodAutoscaler act on the same resource (CPU or memory) of one workload, where they would fight.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["autoscaling"],
    configSchema: conflictSchema,
    remediationSteps:
        'Run the VPA in recommendation mode (updatePolicy.updateMode: "Off"), or restrict its controlledResources to what the HPA does not scale on.',
    validateStack: (args, reportViolation) => {
        const { resources } = configOf<{ resources: string[] }>(conflictSchema, args);
        const objects = k8sObjects(args.resources);
        const vpas = ofKind(objects, "VerticalPodAutoscaler");
        if (vpas.length === 0)
            return args.notApplicable("the stack declares no VerticalPodAutoscaler");
        for (const vpa of vpas) {
            const ref = vpa.props.spec?.targetRef ?? {};
            const target = autoscalerTarget(vpa, objects);
            const hpas = ofKind(objects, "HorizontalPodAutoscaler").filter((h) => {
                const hRef = h.props.spec?.scaleTargetRef ?? {};
                return (
                    h.namespace === vpa.namespace &&
                    hRef.kind === ref.kind &&
                    hRef.name === ref.name
                );
            });
            const vertical = vpaResources(vpa, target);
            for (const hpa of hpas) {
                const shared = [...hpaResources(hpa)].filter(
                    (r) => vertical.has(r) && resources.includes(r),
                );
                if (shared.length > 0) {
                    reportViolation(
                        `${describeObject(vpa)} and ${hpa.name} must not both act on ${shared.join(" and ")} of ${ref.kind} ${ref.name}: set the VPA's updateMode to "Off" or exclude ${shared.join(", ")} from controlledResources.`,
                        vpa.resource.urn,
                    );
                }
            }
        }
    },
};

const alertSchema = {
    properties: {
        severities: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "Allowed values of the severity label.",
            default: ["critical", "warning", "info"],
        },
        requiredAnnotations: {
            type: "array" as const,
            items: { type: "string" as const },
            description: "Annotations every alert must carry (non-empty).",
            default: ["summary", "runbook_url"],
        },
    },
};

export const alertMetadata: StackValidationPolicy = {
    name: "k8s-stack-alert-metadata",
    description:
        "Checks whether every alert in the stack's PrometheusRules has a severity label (critical, warning or info), a summary and an http(s) runbook_url.",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["monitoring"],
    configSchema: alertSchema,
    remediationSteps:
        "Build alerts with the rule catalog's helper, which sets labels.severity, annotations.summary/description and runbook_url (docs/runbooks/<alert>.md).",
    validateStack: (args, reportViolation) => {
        const config = configOf<{ severities: string[]; requiredAnnotations: string[] }>(
            alertSchema,
            args,
        );
        const rules = ofKind(k8sObjects(args.resources), "PrometheusRule");
        if (rules.length === 0) return args.notApplicable("the stack declares no PrometheusRule");
        for (const rule of rules) {
            for (const group of (rule.props.spec?.groups ?? []) as {
                name?: string;
                rules?: Record<string, any>[];
            }[]) {
                for (const entry of group.rules ?? []) {
                    if (!entry.alert) continue;
                    const where = `${describeObject(rule)} group ${group.name ?? "?"} alert ${entry.alert}`;
                    const severity = entry.labels?.severity;
                    if (!config.severities.includes(severity)) {
                        reportViolation(
                            `${where} must set labels.severity to one of ${config.severities.join(", ")} (got ${severity ?? "none"}).`,
                            rule.resource.urn,
                        );
                    }
                    for (const annotation of config.requiredAnnotations) {
                        const value = entry.annotations?.[annotation];
                        if (typeof value !== "string" || value.trim() === "") {
                            reportViolation(
                                `${where} must set annotations.${annotation}.`,
                                rule.resource.urn,
                            );
                        } else if (annotation === "runbook_url" && !/^https?:\/\//.test(value)) {
                            reportViolation(
                                `${where} annotations.runbook_url must be an http(s) URL (got ${value}).`,
                                rule.resource.urn,
                            );
                        }
                    }
                }
            }
        }
    },
};

const backupSchema = {
    properties: {
        dataStorePattern: {
            type: "string" as const,
            description: "StatefulSet names that hold data (anchored regular expression).",
            default: "^(postgres(-.+)?|redis(-.+)?)$",
        },
        backupSuffix: {
            type: "string" as const,
            description:
                "A data store `<family>-…` is backed up by the CronJob `<family><suffix>` in its namespace.",
            default: "-backup",
        },
    },
};

export const dataStoreBackup: StackValidationPolicy = {
    name: "k8s-stack-data-store-backup",
    description:
        "Checks whether every data store (StatefulSet postgres-*, redis) has a backup CronJob (<family>-backup) in its namespace that is not suspended.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["backup", "data-protection"],
    configSchema: backupSchema,
    remediationSteps:
        "Declare the backup CronJob (postgres-backup for postgres-*, redis-backup for redis) in the data store's namespace, with suspend unset.",
    validateStack: (args, reportViolation) => {
        const config = configOf<{ dataStorePattern: string; backupSuffix: string }>(
            backupSchema,
            args,
        );
        const pattern = new RegExp(config.dataStorePattern);
        const objects = k8sObjects(args.resources);
        const stores = ofKind(objects, "StatefulSet").filter((s) => pattern.test(s.name));
        if (stores.length === 0) return args.notApplicable("the stack declares no data store");
        const cronJobs = ofKind(objects, "CronJob");
        for (const store of stores) {
            const expected = `${store.name.split("-")[0]}${config.backupSuffix}`;
            const backup = cronJobs.find(
                (c) => c.name === expected && c.namespace === store.namespace,
            );
            if (!backup) {
                reportViolation(
                    `${describeObject(store)} must be backed up by a CronJob ${store.namespace ?? ""}/${expected}.`,
                    store.resource.urn,
                );
            } else if (backup.props.spec?.suspend === true) {
                reportViolation(
                    `${describeObject(backup)} backs up ${store.name} and must not be suspended.`,
                    backup.resource.urn,
                );
            }
        }
    },
};

export const stackPolicies: StackValidationPolicy[] = [
    namespaceDefaultDeny,
    multiReplicaPdb,
    multiReplicaHpa,
    hpaTarget,
    hpaVpaConflict,
    nodeCapacityHeadroom,
    alertMetadata,
    dataStoreBackup,
    imageOwnRegistry,
];
