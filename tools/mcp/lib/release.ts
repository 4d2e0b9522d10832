import * as k8s from "@kubernetes/client-node";
import { releaseAnnotation } from "../../../contracts/names";
import { CliError, UsageError } from "./cli";
import { type Kube, kubeError } from "./kube";
import type { Workload } from "./services";

/**
 * The mechanism of `mcp release` (docs/operations.md#releases): a canary held by the
 * Deployment controller itself, a smoke test against it, then the rolling update, or the way
 * back. No controller of our own and none to install:
 *
 * 1. One strategic merge patch records what runs (image, strategy, minReadySeconds,
 *    progressDeadlineSeconds, revision) in the annotation {@link releaseAnnotation} and sets
 *    the new image with `maxSurge: 1, maxUnavailable: 0` and a {@link holdSeconds}
 *    minReadySeconds. The controller starts one new pod beside the serving ones; that pod gets
 *    its share of traffic once Ready (the Service follows readiness), but it never becomes
 *    *available* during the hold, so the controller scales no old pod down and starts no
 *    second new one: n old pods plus one canary, for as long as the hold lasts.
 * 2. The smoke test runs against the canary pod's own address.
 * 3. Passed: a second patch gives back the recorded strategy and timings; the rolling update
 *    continues as Pulumi declared it (maxSurge 25 %, maxUnavailable 0) to every pod.
 *    Failed: the patch gives back the recorded image as well; the template equals the old
 *    ReplicaSet's again, so the controller removes the canary and keeps the old pods, which
 *    never stopped serving (`kubectl rollout undo` does the same by copying the template).
 *
 * Every patch is guarded by the resourceVersion it was decided on.
 */

/** minReadySeconds while the canary is held (a day: the smoke test decides long before). */
export const holdSeconds = 86_400;

export type ReleaseState = "canary" | "promoting" | "released" | "rolled-back";

export interface ReleaseRecord {
    readonly state: ReleaseState;
    readonly container: string;
    /** The image the release replaced: what a rollback restores. */
    readonly previousImage: string;
    readonly image: string;
    /** `deployment.kubernetes.io/revision` before the release. */
    readonly previousRevision?: string;
    readonly strategy: {
        readonly maxSurge?: string | number;
        readonly maxUnavailable?: string | number;
    };
    readonly minReadySeconds: number | null;
    readonly progressDeadlineSeconds: number | null;
    readonly startedAt: string;
    readonly smokeTestJob?: string;
    readonly finishedAt?: string;
    /** Why it was rolled back. */
    readonly reason?: string;
}

export interface DeploymentState {
    readonly deployment: k8s.V1Deployment;
    readonly container: string;
    readonly image: string;
    readonly record?: ReleaseRecord;
}

/** A tag (`v1.0.2`) on the running image's repository, or a whole reference (`repo:tag`, `…@sha256:…`). */
export function releaseImage(running: string, given: string): string {
    if (given.includes("/") || given.includes("@") || given.includes(":")) {
        const last = given.split("/").pop() ?? "";
        if (!given.includes("@") && !last.includes(":")) {
            throw new UsageError(`"${given}" names no tag: give a tag (v1.0.2) or repo:tag`);
        }
        if (/:latest$/.test(given)) throw new UsageError("refusing :latest: give a pinned tag");
        return given;
    }
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(given)) {
        throw new UsageError(`"${given}" is not an image tag (letters, digits, _ . -)`);
    }
    if (given === "latest") throw new UsageError("refusing :latest: give a pinned tag");
    const repository = running.replace(/@sha256:[0-9a-f]+$/, "").replace(/:([^/:]+)$/, "");
    return `${repository}:${given}`;
}

function parseRecord(w: Workload, text: string | undefined): ReleaseRecord | undefined {
    if (text === undefined) return undefined;
    try {
        const record = JSON.parse(text) as ReleaseRecord;
        if (typeof record.previousImage === "string" && typeof record.state === "string") {
            return record;
        }
    } catch {
        // fall through
    }
    throw new CliError(
        `deployment/${w.name} in ${w.namespace} has an unreadable ${releaseAnnotation} annotation: ${text}`,
        `set the image by hand (kubectl -n ${w.namespace} rollout undo deployment/${w.name}), then remove it: kubectl -n ${w.namespace} annotate deployment/${w.name} ${releaseAnnotation}-`,
    );
}

export async function readDeployment(
    kube: Kube,
    w: Workload,
    containerName: string,
): Promise<DeploymentState> {
    const deployment = await kube.find(`read deployment/${w.name} in ${w.namespace}`, () =>
        kube.apps.readNamespacedDeployment({ name: w.name, namespace: w.namespace }),
    );
    if (!deployment) {
        throw new CliError(
            `deployment/${w.name} does not exist in ${w.namespace} (API server ${kube.server})`,
            "check --stack and --context: the kubeconfig may point at another cluster",
        );
    }
    const containers = deployment.spec?.template.spec?.containers ?? [];
    const container = containers.find((c) => c.name === containerName);
    if (!container?.image) {
        throw new CliError(
            `deployment/${w.name} in ${w.namespace} has no container ${containerName} (it has ${containers.map((c) => c.name).join(", ")})`,
            "the cluster does not run what the stack declares: `pulumi up` first",
        );
    }
    return {
        deployment,
        container: containerName,
        image: container.image,
        record: parseRecord(w, deployment.metadata?.annotations?.[releaseAnnotation]),
    };
}

/** One strategic merge patch of the Deployment, on the resourceVersion it was decided on. */
async function patch(
    kube: Kube,
    w: Workload,
    resourceVersion: string | undefined,
    spec: object,
    record: ReleaseRecord,
    what: string,
): Promise<k8s.V1Deployment> {
    const options = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.StrategicMergePatch);
    const body = {
        metadata: {
            ...(resourceVersion ? { resourceVersion } : {}),
            annotations: { [releaseAnnotation]: JSON.stringify(record) },
        },
        spec,
    };
    try {
        return await kube.apps.patchNamespacedDeployment(
            { name: w.name, namespace: w.namespace, body },
            options,
        );
    } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 409) {
            throw new CliError(
                `${what} deployment/${w.name} in ${w.namespace}: it changed while this command ran (a deploy, an HPA decision or another release); nothing was changed by this step`,
                `see where it stands: mcp release status ${w.name}; run the command again`,
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

/** Step 1: the canary (see the file's comment). */
export async function startCanary(
    kube: Kube,
    w: Workload,
    state: DeploymentState,
    image: string,
): Promise<ReleaseRecord> {
    const d = state.deployment;
    const rolling = d.spec?.strategy?.rollingUpdate ?? {};
    const record: ReleaseRecord = {
        state: "canary",
        container: state.container,
        previousImage: state.image,
        image,
        previousRevision: d.metadata?.annotations?.["deployment.kubernetes.io/revision"],
        strategy: { maxSurge: rolling.maxSurge, maxUnavailable: rolling.maxUnavailable },
        minReadySeconds: d.spec?.minReadySeconds ?? null,
        progressDeadlineSeconds: d.spec?.progressDeadlineSeconds ?? null,
        startedAt: new Date().toISOString(),
    };
    await patch(
        kube,
        w,
        d.metadata?.resourceVersion,
        {
            minReadySeconds: holdSeconds,
            // Must exceed minReadySeconds; the hold is not a stalled rollout.
            progressDeadlineSeconds: holdSeconds + 600,
            strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
            template: { spec: { containers: [{ name: state.container, image }] } },
        },
        record,
        "start the canary of",
    );
    return record;
}

/** The recorded strategy and timings, and with `image` the template's image too. */
function restoredSpec(record: ReleaseRecord, image?: string): object {
    return {
        minReadySeconds: record.minReadySeconds,
        progressDeadlineSeconds: record.progressDeadlineSeconds,
        strategy: {
            type: "RollingUpdate",
            rollingUpdate: {
                maxSurge: record.strategy.maxSurge ?? null,
                maxUnavailable: record.strategy.maxUnavailable ?? null,
            },
        },
        ...(image
            ? { template: { spec: { containers: [{ name: record.container, image }] } } }
            : {}),
    };
}

/** Step 3, passed: the rolling update continues as declared. */
export async function promote(
    kube: Kube,
    w: Workload,
    record: ReleaseRecord,
): Promise<ReleaseRecord> {
    const next: ReleaseRecord = { ...record, state: "promoting" };
    await patch(kube, w, undefined, restoredSpec(record), next, "promote the release of");
    return next;
}

/** Step 3, failed (and `mcp release rollback`): the recorded image, strategy and timings. */
export async function restore(
    kube: Kube,
    w: Workload,
    record: ReleaseRecord,
    reason: string,
): Promise<ReleaseRecord> {
    const next: ReleaseRecord = {
        ...record,
        state: "rolled-back",
        reason,
        finishedAt: new Date().toISOString(),
    };
    await patch(kube, w, undefined, restoredSpec(record, record.previousImage), next, "roll back");
    return next;
}

export async function markReleased(kube: Kube, w: Workload, record: ReleaseRecord) {
    const next: ReleaseRecord = {
        ...record,
        state: "released",
        finishedAt: new Date().toISOString(),
    };
    await patch(kube, w, undefined, {}, next, "record the release of");
    return next;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Container states that will not become Ready without a change (ends the wait early). */
const stuck = [
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
];

/** Step 1's wait: a Ready pod running `image`, its name and address. */
export async function waitForCanary(
    kube: Kube,
    w: Workload,
    selector: string,
    container: string,
    image: string,
    timeoutMs: number,
    intervalMs = 1000,
): Promise<{ pod: string; ip: string }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const pods = await kube.call(
            `list the pods of deployment/${w.name} in ${w.namespace}`,
            () => kube.core.listNamespacedPod({ namespace: w.namespace, labelSelector: selector }),
        );
        const canaries = pods.items.filter(
            (p) =>
                !p.metadata?.deletionTimestamp &&
                p.spec?.containers.some((c) => c.name === container && c.image === image),
        );
        const ready = canaries.find(
            (p) =>
                p.status?.podIP &&
                p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
        );
        if (ready) return { pod: ready.metadata!.name!, ip: ready.status!.podIP! };
        const waiting = canaries
            .flatMap((p) => (p.status?.containerStatuses ?? []).map((s) => ({ p, s })))
            .find(({ s }) => stuck.includes(s.state?.waiting?.reason ?? ""));
        if (waiting) {
            throw new CliError(
                `the new pod ${waiting.p.metadata?.name} cannot start: ${waiting.s.state!.waiting!.reason}${waiting.s.state!.waiting!.message ? ` (${waiting.s.state!.waiting!.message})` : ""}`,
                "",
            );
        }
        if (Date.now() + intervalMs > deadline) {
            throw new CliError(
                `no pod of ${image} became Ready within ${Math.round(timeoutMs / 1000)}s (${canaries.length} created)`,
                "",
            );
        }
        await sleep(intervalMs);
    }
}

/**
 * `kubectl rollout status`'s test: the controller saw the last change, every pod runs the
 * template, none of the old ones is left and every one is available; a CliError on
 * ProgressDeadlineExceeded or after `timeoutMs`.
 */
export async function waitForRollout(
    kube: Kube,
    w: Workload,
    timeoutMs: number,
    intervalMs = 1000,
): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const d = await kube.call(`read deployment/${w.name} in ${w.namespace}`, () =>
            kube.apps.readNamespacedDeployment({ name: w.name, namespace: w.namespace }),
        );
        const s = d.status ?? {};
        const want = d.spec?.replicas ?? 1;
        const seen = (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
        const text = `${s.updatedReplicas ?? 0}/${want} updated, ${s.readyReplicas ?? 0}/${want} ready, ${s.availableReplicas ?? 0} available, ${s.replicas ?? 0} in all`;
        const stalled = s.conditions?.find(
            (c) => c.type === "Progressing" && c.reason === "ProgressDeadlineExceeded",
        );
        if (seen && stalled)
            throw new CliError(`the rollout stalled: ${stalled.message ?? text}`, "");
        if (
            seen &&
            (s.updatedReplicas ?? 0) >= want &&
            (s.replicas ?? 0) <= (s.updatedReplicas ?? 0) &&
            (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0)
        ) {
            return text;
        }
        if (Date.now() + intervalMs > deadline) {
            throw new CliError(
                `the rollout did not finish within ${Math.round(timeoutMs / 1000)}s: ${text}`,
                "",
            );
        }
        await sleep(intervalMs);
    }
}
