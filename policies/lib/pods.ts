import * as k8s from "@pulumi/kubernetes";
import {
    type ReportViolation,
    type ResourceValidation,
    type ResourceValidationArgs,
    validateResourceOfType,
} from "@pulumi/policy";
import type { Resource, Unwrap } from "@pulumi/pulumi";

/**
 * Pod specs of every pod-bearing Kubernetes kind, read the same way everywhere.
 *
 * A policy that checks pods is written once against {@link PodTemplate} and applied to
 * Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob and Pod through
 * {@link validatePods}, which uses the real resource classes so the engine's type filter and
 * `notApplicable` behave as for any `validateResourceOfType` policy.
 */

export type PodSpec = Unwrap<k8s.types.input.core.v1.PodSpec>;
export type Container = Unwrap<k8s.types.input.core.v1.Container>;
export type ObjectMeta = Unwrap<k8s.types.input.meta.v1.ObjectMeta>;

/** One pod template, with the workload that declares it. */
export interface PodTemplate {
    /** Kind of the declaring object, e.g. "Deployment". */
    readonly kind: string;
    /** `metadata.name` of the declaring object, or its logical name when unset. */
    readonly name: string;
    /** `metadata.namespace` of the declaring object; undefined when unset. */
    readonly namespace?: string;
    /** The pod's metadata (template metadata, or the Pod's own). */
    readonly metadata: ObjectMeta;
    readonly spec: PodSpec;
}

export type ContainerRole = "container" | "initContainer" | "ephemeralContainer";

export interface ContainerRef {
    readonly role: ContainerRole;
    readonly container: Container;
}

type Workload = {
    metadata?: ObjectMeta;
    spec?: { template?: { metadata?: ObjectMeta; spec?: PodSpec } };
};

function fromTemplate(
    kind: string,
    workload: Workload,
    fallbackName: string,
): PodTemplate | undefined {
    const template = workload.spec?.template;
    if (!template?.spec) return undefined;
    return {
        kind,
        name: workload.metadata?.name ?? fallbackName,
        namespace: workload.metadata?.namespace,
        metadata: template.metadata ?? {},
        spec: template.spec,
    };
}

/** The pod template of a workload's inputs, by kind; undefined when it has none. */
export function podTemplateOf(
    kind: string,
    props: Record<string, any>,
    fallbackName = "",
): PodTemplate | undefined {
    switch (kind) {
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return fromTemplate(kind, props as Workload, fallbackName);
        case "CronJob": {
            // A CronJob's pod spec is spec.jobTemplate.spec.template.spec.
            const jobSpec = (props.spec?.jobTemplate?.spec ?? {}) as Workload["spec"];
            return fromTemplate(kind, { metadata: props.metadata, spec: jobSpec }, fallbackName);
        }
        case "Pod":
            if (!props.spec) return undefined;
            return {
                kind,
                name: props.metadata?.name ?? fallbackName,
                namespace: props.metadata?.namespace,
                metadata: props.metadata ?? {},
                spec: props.spec as PodSpec,
            };
        default:
            return undefined;
    }
}

/** Resource classes whose objects carry a pod spec, with their kind. */
/**
 * Resource classes whose objects carry a pod spec, with their kind. Each kind's `*Patch`
 * class (server-side apply of part of an existing object) is judged like the object it
 * becomes: a patch that sets a pod template must set it hardened, just as the full object
 * would, since the pack cannot see the live object the patch merges into.
 */
const podBearingKinds = [
    ["Deployment", k8s.apps.v1.Deployment],
    ["Deployment", k8s.apps.v1.DeploymentPatch],
    ["StatefulSet", k8s.apps.v1.StatefulSet],
    ["StatefulSet", k8s.apps.v1.StatefulSetPatch],
    ["DaemonSet", k8s.apps.v1.DaemonSet],
    ["DaemonSet", k8s.apps.v1.DaemonSetPatch],
    ["ReplicaSet", k8s.apps.v1.ReplicaSet],
    ["ReplicaSet", k8s.apps.v1.ReplicaSetPatch],
    ["Job", k8s.batch.v1.Job],
    ["Job", k8s.batch.v1.JobPatch],
    ["CronJob", k8s.batch.v1.CronJob],
    ["CronJob", k8s.batch.v1.CronJobPatch],
    ["Pod", k8s.core.v1.Pod],
    ["Pod", k8s.core.v1.PodPatch],
] as const;

/** Every pod-bearing kind once. */
const podKindNames = [...new Set(podBearingKinds.map(([kind]) => kind))];

/** Kinds whose pods are meant to run continuously (probes apply to them). */
export const longRunningKinds: readonly string[] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Pod",
];

/** A resource class, for helpers that accept several (props are read loosely). */
export type AnyResourceClass = new (name: string, args: any, ...rest: any[]) => Resource;

/** Reports with the workload named, so every message says where the change is needed. */
type PodReport = (message: string) => void;

export type PodCheck = (pod: PodTemplate, report: PodReport, args: ResourceValidationArgs) => void;

/** `<Kind> <namespace>/<name>` for messages. */
function describePod(pod: Pick<PodTemplate, "kind" | "name" | "namespace">): string {
    return `${pod.kind} ${pod.namespace ?? "(no namespace)"}/${pod.name}`;
}

/**
 * One `validateResourceOfType` per pod-bearing kind, all running `check` on the pod
 * template. `kinds` narrows the set (e.g. long-running workloads only).
 */
export function validatePods(
    check: PodCheck,
    kinds: readonly string[] = podKindNames,
): ResourceValidation[] {
    return podBearingKinds
        .filter(([kind]) => kinds.includes(kind))
        .map(([kind, cls]) =>
            validateResourceOfType(
                cls as AnyResourceClass,
                (props, args, reportViolation: ReportViolation) => {
                    const pod = podTemplateOf(kind, props, args.name);
                    if (pod === undefined) return;
                    check(
                        pod,
                        (message) => reportViolation(`${describePod(pod)}: ${message}`),
                        args,
                    );
                },
            ),
        );
}

/** Every container of a pod: regular, init and ephemeral. */
export function containersOf(
    spec: PodSpec,
    roles: readonly ContainerRole[] = ["container", "initContainer", "ephemeralContainer"],
): ContainerRef[] {
    const refs: ContainerRef[] = [];
    const add = (role: ContainerRole, list: unknown) => {
        if (!roles.includes(role) || !Array.isArray(list)) return;
        for (const container of list as Container[]) refs.push({ role, container });
    };
    add("container", spec.containers);
    add("initContainer", spec.initContainers);
    add("ephemeralContainer", spec.ephemeralContainers);
    return refs;
}

/** `container "app"` / `initContainer "migrate"` for messages. */
export function describeContainer(ref: ContainerRef): string {
    return `${ref.role} "${ref.container.name ?? "?"}"`;
}

/** Windows pods are exempt from some restricted controls (PSS, since 1.25). */
export function isWindowsPod(spec: PodSpec): boolean {
    return spec.os?.name === "windows";
}
