import * as k8s from "@kubernetes/client-node";
import type { PlatformConfig } from "../../../config";
import { CliError, UsageError } from "./cli";
import { type Kube, kubeError } from "./kube";
import { allServices, resolveService, type Workload } from "./services";

/**
 * What `mcp stop` records on a Deployment it stops, and `mcp start` restores: the annotation
 * {@link stoppedAnnotation} holds, as JSON, the replica count before the stop and the bounds of
 * the service's HPA at that moment. The count and the annotation change in one merge patch
 * guarded by the object's resourceVersion, so a stop is either recorded and applied or neither,
 * and a concurrent change (a deploy, an HPA decision) makes the command fail instead of
 * recording a count that was already stale.
 *
 * The HPA is not touched: the HPA controller does not scale a target whose replicas are 0
 * (it reports ScalingActive False, reason ScalingDisabled), so scaling to 0 suspends it, and
 * setting the count back resumes it. Editing or deleting the HPA instead would be drift on a
 * Pulumi-owned object that the next deploy undoes.
 */
export const stoppedAnnotation = "mcp-platform.io/stopped";

export interface StoppedRecord {
    /** spec.replicas when the service was stopped. */
    readonly replicas: number;
    /** The HPA that owned the count then, and its bounds. */
    readonly hpa?: {
        readonly name: string;
        readonly minReplicas: number;
        readonly maxReplicas: number;
    };
    /** When it was stopped (ISO 8601). */
    readonly stoppedAt: string;
}

/** The Deployment's record, undefined without one; a CliError when it is not ours. */
export function readRecord(
    w: Workload,
    annotations: Record<string, string> | undefined,
): StoppedRecord | undefined {
    const text = annotations?.[stoppedAnnotation];
    if (text === undefined) return undefined;
    try {
        const record = JSON.parse(text) as StoppedRecord;
        if (Number.isInteger(record.replicas) && record.replicas > 0) return record;
    } catch {
        // fall through
    }
    throw new CliError(
        `deployment/${w.name} in ${w.namespace} has an unreadable ${stoppedAnnotation} annotation: ${text}`,
        `set the count by hand (mcp scale ${w.name} --replicas N), then remove it: kubectl -n ${w.namespace} annotate deployment/${w.name} ${stoppedAnnotation}-`,
    );
}

export interface ServiceState {
    readonly replicas: number;
    /** The Deployment's pod selector, as a label selector string. */
    readonly selector: string;
    readonly resourceVersion: string;
    readonly record?: StoppedRecord;
}

export async function readState(kube: Kube, w: Workload): Promise<ServiceState | undefined> {
    const d = await kube.find(`read deployment/${w.name} in ${w.namespace}`, () =>
        kube.apps.readNamespacedDeployment({ name: w.name, namespace: w.namespace }),
    );
    if (!d) return undefined;
    return {
        replicas: d.spec?.replicas ?? 1,
        selector: Object.entries(d.spec?.selector?.matchLabels ?? { app: w.name })
            .map(([k, v]) => `${k}=${v}`)
            .join(","),
        resourceVersion: d.metadata!.resourceVersion!,
        record: readRecord(w, d.metadata?.annotations),
    };
}

/** The HPA `<name>-hpa` of an autoscaled service, with its bounds; undefined without one. */
export async function readHpa(kube: Kube, w: Workload): Promise<StoppedRecord["hpa"]> {
    if (!w.autoscaled) return undefined;
    const name = `${w.name}-hpa`;
    const hpa = await kube.find(`read hpa/${name} in ${w.namespace}`, () =>
        kube.autoscaling.readNamespacedHorizontalPodAutoscaler({ name, namespace: w.namespace }),
    );
    if (!hpa) return undefined;
    return {
        name,
        minReplicas: hpa.spec?.minReplicas ?? 1,
        maxReplicas: hpa.spec?.maxReplicas ?? 1,
    };
}

/**
 * One merge patch: the count, the annotation (null removes it) and the resourceVersion the
 * decision was made on (the API server answers 409 when the object changed since).
 */
export async function patchCount(
    kube: Kube,
    w: Workload,
    state: ServiceState,
    replicas: number,
    record: StoppedRecord | null,
    what: string,
): Promise<void> {
    const options = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
    const body = {
        metadata: {
            resourceVersion: state.resourceVersion,
            annotations: { [stoppedAnnotation]: record === null ? null : JSON.stringify(record) },
        },
        spec: { replicas },
    };
    try {
        await kube.apps.patchNamespacedDeployment(
            { name: w.name, namespace: w.namespace, body },
            options,
        );
    } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 409) {
            throw new CliError(
                `${what} deployment/${w.name} in ${w.namespace}: it changed while this command ran (a deploy or its HPA); nothing was changed`,
                "run the command again",
            );
        }
        throw kubeError(
            `${what} deployment/${w.name} in ${w.namespace}`,
            kube.server,
            error,
            kube.fix,
        );
    }
}

/**
 * Polls until no pod of the Deployment is left, terminating ones included (they still serve
 * until their grace period ends); a CliError after `timeoutMs`.
 */
export async function waitStopped(
    kube: Kube,
    w: Workload,
    selector: string,
    timeoutMs: number,
    intervalMs = 1000,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const pods = await kube.call(
            `list the pods of deployment/${w.name} in ${w.namespace}`,
            () => kube.core.listNamespacedPod({ namespace: w.namespace, labelSelector: selector }),
        );
        if (pods.items.length === 0) return;
        if (Date.now() + intervalMs > deadline) {
            throw new CliError(
                `deployment/${w.name} in ${w.namespace} still has ${pods.items.length} pod(s) after ${Math.round(timeoutMs / 1000)}s`,
                `look at them: kubectl -n ${w.namespace} get pods -l app=${w.name} (a pod ends within its terminationGracePeriodSeconds)`,
            );
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

/**
 * The services `mcp stop` or `mcp start` acts on: those named, or every one with `--all`.
 * `checkTargetsGiven` runs first, before any config or cluster is read.
 */
export function checkTargetsGiven(
    verb: "stop" | "start",
    all: boolean | undefined,
    names: readonly string[],
    example: string,
): void {
    if (!all && names.length === 0) {
        throw new UsageError(`give the services to ${verb}, or --all (e.g. ${example})`);
    }
    if (all && names.length > 0) {
        throw new UsageError(`give the services to ${verb} or --all, not both`);
    }
}

export function selectTargets(
    cfg: PlatformConfig,
    all: boolean | undefined,
    names: readonly string[],
): Workload[] {
    return all ? allServices(cfg) : names.flatMap((name) => resolveService(cfg, name));
}
