import type { PolicyResource } from "@pulumi/policy";
import { containersOf, type PodSpec, podTemplateOf, type PodTemplate } from "./pods";
import { parseQuantity } from "./quantity";

/**
 * Kubernetes objects of a stack, for stack policies that relate objects to each other
 * (NetworkPolicy ↔ Namespace, PDB/HPA/VPA ↔ workload, CronJob ↔ data store).
 * Objects are recognised by their `kind`, so custom resources declared with
 * `k8s.apiextensions.CustomResource` (VPA, PrometheusRule) and objects from YAML or
 * kustomize groups are seen the same way as typed classes. Patch resources are partial and
 * left out; Helm releases are opaque (their rendered objects are not resources).
 */
export interface K8sObject {
    readonly resource: PolicyResource;
    readonly kind: string;
    readonly name: string;
    readonly namespace?: string;
    readonly props: Record<string, any>;
}

export function k8sObjects(resources: readonly PolicyResource[]): K8sObject[] {
    const objects: K8sObject[] = [];
    for (const resource of resources) {
        if (!resource.type.startsWith("kubernetes:") || resource.type.endsWith("Patch")) continue;
        const props = resource.props as Record<string, any>;
        if (typeof props.kind !== "string" || typeof props.apiVersion !== "string") continue;
        objects.push({
            resource,
            kind: props.kind,
            name: (props.metadata?.name as string | undefined) ?? resource.name,
            namespace: props.metadata?.namespace as string | undefined,
            props,
        });
    }
    return objects;
}

/**
 * Lookups a stack policy makes over and over (objects of a kind, an object by kind, namespace
 * and name, the autoscalers of a workload), computed once per object list so that a policy
 * over every workload stays linear in the stack's size. The lists are never mutated.
 */
interface ObjectIndex {
    readonly byKinds: Map<string, K8sObject[]>;
    byName?: Map<string, K8sObject>;
    readonly autoscalers: Map<string, Map<K8sObject, K8sObject[]>>;
}
const indexes = new WeakMap<readonly K8sObject[], ObjectIndex>();

function indexOf(objects: readonly K8sObject[]): ObjectIndex {
    let index = indexes.get(objects);
    if (index === undefined) {
        index = { byKinds: new Map(), autoscalers: new Map() };
        indexes.set(objects, index);
    }
    return index;
}

const objectKey = (kind: string, namespace: string | undefined, name: string) =>
    `${kind}\u0000${namespace ?? ""}\u0000${name}`;

/** The first object of `kind` named `name` in `namespace`, like `objects.find`. */
function findObject(
    objects: readonly K8sObject[],
    kind: string,
    namespace: string | undefined,
    name: string,
): K8sObject | undefined {
    const index = indexOf(objects);
    if (index.byName === undefined) {
        index.byName = new Map();
        for (const o of objects) {
            const key = objectKey(o.kind, o.namespace, o.name);
            if (!index.byName.has(key)) index.byName.set(key, o);
        }
    }
    return index.byName.get(objectKey(kind, namespace, name));
}

/** The objects of the given kinds, in stack order (a fresh array each call). */
export function ofKind(objects: readonly K8sObject[], ...kinds: string[]): K8sObject[] {
    const { byKinds } = indexOf(objects);
    const key = kinds.join(",");
    let matching = byKinds.get(key);
    if (matching === undefined) {
        matching = objects.filter((o) => kinds.includes(o.kind));
        byKinds.set(key, matching);
    }
    return [...matching];
}

/** `Kind namespace/name`. */
export function describeObject(o: Pick<K8sObject, "kind" | "name" | "namespace">): string {
    return `${o.kind} ${o.namespace ?? "(no namespace)"}/${o.name}`;
}

type LabelSelector = {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
};

/** Whether a label selector selects pods with `labels` (an empty selector selects all). */
export function selects(
    selector: LabelSelector | undefined,
    labels: Record<string, string>,
): boolean {
    if (!selector) return false;
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[key] !== value) return false;
    }
    for (const expression of selector.matchExpressions ?? []) {
        const value = labels[expression.key];
        const values = expression.values ?? [];
        switch (expression.operator) {
            case "In":
                if (value === undefined || !values.includes(value)) return false;
                break;
            case "NotIn":
                if (value !== undefined && values.includes(value)) return false;
                break;
            case "Exists":
                if (value === undefined) return false;
                break;
            case "DoesNotExist":
                if (value !== undefined) return false;
                break;
            default:
                return false;
        }
    }
    return true;
}

/** True for `{}` / undefined matchLabels and matchExpressions: selects every pod. */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
    return (
        selector !== undefined &&
        selector !== null &&
        Object.keys(selector.matchLabels ?? {}).length === 0 &&
        (selector.matchExpressions ?? []).length === 0
    );
}

/**
 * Whether an object's props come back from the API server (live state, or a server-side
 * dry run) rather than from the program: `pulumi preview` hands stack policies *outputs*,
 * where defaulted and controller-owned fields (an HPA-driven `spec.replicas`) are filled in.
 * Only key presence is tested, so a value unknown during preview is never read.
 */
export function isServerState(props: Record<string, any>): boolean {
    if ("status" in props) return true;
    const metadata = props.metadata as Record<string, unknown> | undefined;
    return (
        metadata !== undefined &&
        ["uid", "creationTimestamp", "managedFields", "resourceVersion"].some((k) => k in metadata)
    );
}

/** The pod template of a workload object. */
export function templateOf(o: K8sObject): PodTemplate | undefined {
    return podTemplateOf(o.kind, o.props, o.name);
}

export interface PodRequests {
    cpu: number;
    memory: number;
}

/**
 * What the scheduler reserves for one pod: the sum of its containers' requests (a limit
 * stands in for a missing request, as Kubernetes defaults it), native sidecars included,
 * and at least the largest init container.
 */
export function podRequests(spec: PodSpec): PodRequests {
    const of = (container: { resources?: { requests?: unknown; limits?: unknown } }) => {
        const requests = (container.resources?.requests ?? {}) as Record<string, string>;
        const limits = (container.resources?.limits ?? {}) as Record<string, string>;
        return {
            cpu: parseQuantity(requests.cpu) ?? parseQuantity(limits.cpu) ?? 0,
            memory: parseQuantity(requests.memory) ?? parseQuantity(limits.memory) ?? 0,
        };
    };
    const total = { cpu: 0, memory: 0 };
    const largestInit = { cpu: 0, memory: 0 };
    for (const ref of containersOf(spec, ["container", "initContainer"])) {
        const r = of(ref.container);
        if (ref.role === "container" || ref.container.restartPolicy === "Always") {
            total.cpu += r.cpu;
            total.memory += r.memory;
        } else {
            largestInit.cpu = Math.max(largestInit.cpu, r.cpu);
            largestInit.memory = Math.max(largestInit.memory, r.memory);
        }
    }
    return {
        cpu: Math.max(total.cpu, largestInit.cpu),
        memory: Math.max(total.memory, largestInit.memory),
    };
}

/** The workload an autoscaler (HPA or VPA) targets, when the stack declares it. */
export function autoscalerTarget(
    autoscaler: K8sObject,
    objects: readonly K8sObject[],
): K8sObject | undefined {
    const ref = (
        autoscaler.kind === "HorizontalPodAutoscaler"
            ? autoscaler.props.spec?.scaleTargetRef
            : autoscaler.props.spec?.targetRef
    ) as { kind?: string; name?: string } | undefined;
    if (!ref?.kind || !ref.name) return undefined;
    return findObject(objects, ref.kind, autoscaler.namespace, ref.name);
}

/** The autoscalers of `kind` that target `workload`. */
export function autoscalersOf(
    workload: K8sObject,
    objects: readonly K8sObject[],
    kind: "HorizontalPodAutoscaler" | "VerticalPodAutoscaler",
): K8sObject[] {
    const index = indexOf(objects);
    let byTarget = index.autoscalers.get(kind);
    if (byTarget === undefined) {
        byTarget = new Map();
        for (const autoscaler of ofKind(objects, kind)) {
            const target = autoscalerTarget(autoscaler, objects);
            if (target === undefined) continue;
            byTarget.set(target, [...(byTarget.get(target) ?? []), autoscaler]);
        }
        index.autoscalers.set(kind, byTarget);
    }
    return [...(byTarget.get(workload) ?? [])];
}
