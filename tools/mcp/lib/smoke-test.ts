import type * as k8s from "@kubernetes/client-node";
import { smokeTestResources } from "../../../config/workloads";
import { smokeTestLabel } from "../../../contracts/names";
import type { Kube } from "./kube";

/**
 * The smoke-test Job of `mcp release` (docs/operations.md#releases): one pod, no retry, in the
 * service's namespace, hardened to the restricted Pod Security Standard the namespace enforces,
 * labelled `mcp-platform.io/smoke-test=<service>` so the service's NetworkPolicies let it reach
 * the service's port and nothing else. Its container gets `SMOKE_TARGET_URL` (the new
 * version's pod, `http://<pod IP>:<port>`), `SMOKE_SERVICE` and `SMOKE_IMAGE`; the pod carries
 * the image under test in the annotation {@link smokeImageAnnotation}.
 */
export const smokeImageAnnotation = "mcp-platform.io/release-image";

export interface SmokeTestJob {
    readonly service: string;
    readonly namespace: string;
    readonly name: string;
    /** The smoke test's own image and command (config/workloads.ts smokeTestOf). */
    readonly image: string;
    readonly command: readonly string[];
    /** The release's image, the one tested. */
    readonly releaseImage: string;
    readonly targetUrl: string;
    readonly timeoutMs: number;
}

/** The Job's name: `<service>-smoke-<UTC stamp>` (at most 63 characters). */
export function smokeJobName(service: string, now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
    return `${service.slice(0, 63 - 7 - stamp.length)}-smoke-${stamp}`;
}

export function smokeJobManifest(job: SmokeTestJob): k8s.V1Job {
    const labels = {
        [smokeTestLabel]: job.service,
        "app.kubernetes.io/name": "smoke-test",
        "app.kubernetes.io/instance": job.service,
        "app.kubernetes.io/part-of": "mcp-platform",
        "app.kubernetes.io/managed-by": "mcp",
    };
    const seconds = Math.max(1, Math.ceil(job.timeoutMs / 1000));
    return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: {
            name: job.name,
            namespace: job.namespace,
            labels,
            annotations: { [smokeImageAnnotation]: job.releaseImage },
        },
        spec: {
            backoffLimit: 0,
            activeDeadlineSeconds: seconds,
            // Kept a day for `kubectl logs job/<name>`, then collected.
            ttlSecondsAfterFinished: 86_400,
            template: {
                metadata: { labels, annotations: { [smokeImageAnnotation]: job.releaseImage } },
                spec: {
                    restartPolicy: "Never",
                    automountServiceAccountToken: false,
                    enableServiceLinks: false,
                    securityContext: {
                        runAsNonRoot: true,
                        runAsUser: 10001,
                        runAsGroup: 10001,
                        seccompProfile: { type: "RuntimeDefault" },
                    },
                    containers: [
                        {
                            name: "smoke-test",
                            image: job.image,
                            imagePullPolicy: "IfNotPresent",
                            command: [...job.command],
                            env: [
                                { name: "SMOKE_TARGET_URL", value: job.targetUrl },
                                { name: "SMOKE_SERVICE", value: job.service },
                                { name: "SMOKE_IMAGE", value: job.releaseImage },
                            ],
                            resources: {
                                requests: { ...smokeTestResources.requests },
                                limits: { ...smokeTestResources.limits },
                            },
                            securityContext: {
                                allowPrivilegeEscalation: false,
                                privileged: false,
                                readOnlyRootFilesystem: true,
                                runAsNonRoot: true,
                                capabilities: { drop: ["ALL"] },
                                seccompProfile: { type: "RuntimeDefault" },
                            },
                            terminationMessagePolicy: "FallbackToLogsOnError",
                        },
                    ],
                },
            },
        },
    };
}

export type SmokeResult =
    { readonly passed: true } | { readonly passed: false; readonly reason: string };

/** What the Job's pod says about its end: the container's exit and message. */
async function podVerdict(kube: Kube, job: SmokeTestJob): Promise<string> {
    const pods = await kube.call(`list the pods of job/${job.name} in ${job.namespace}`, () =>
        kube.core.listNamespacedPod({
            namespace: job.namespace,
            labelSelector: `job-name=${job.name}`,
        }),
    );
    const pod = pods.items[0];
    if (!pod) return "its pod was never created (quota or admission: kubectl get events)";
    const state = pod.status?.containerStatuses?.[0]?.state;
    if (state?.terminated) {
        const t = state.terminated;
        const message = t.message?.trim().split("\n").slice(-3).join(" / ");
        return `pod ${pod.metadata?.name} exited ${t.exitCode}${t.reason ? ` (${t.reason})` : ""}${message ? `: ${message}` : ""}`;
    }
    if (state?.waiting) {
        return `pod ${pod.metadata?.name} is waiting: ${state.waiting.reason ?? "?"}${state.waiting.message ? ` (${state.waiting.message})` : ""}`;
    }
    return `pod ${pod.metadata?.name} is ${pod.status?.phase ?? "in an unknown phase"}`;
}

/** Creates the Job and waits until it passes, fails or outlives its timeout. */
export async function runSmokeTest(
    kube: Kube,
    job: SmokeTestJob,
    intervalMs = 1000,
): Promise<SmokeResult> {
    await kube.call(`create job/${job.name} in ${job.namespace}`, () =>
        kube.batch.createNamespacedJob({ namespace: job.namespace, body: smokeJobManifest(job) }),
    );
    // The Job's activeDeadlineSeconds ends it; a little longer here for the controller to say so.
    const deadline = Date.now() + job.timeoutMs + 30_000;
    for (;;) {
        const current = await kube.call(`read job/${job.name} in ${job.namespace}`, () =>
            kube.batch.readNamespacedJob({ name: job.name, namespace: job.namespace }),
        );
        const conditions = current.status?.conditions ?? [];
        if (conditions.some((c) => c.type === "Complete" && c.status === "True")) {
            return { passed: true };
        }
        const failed = conditions.find((c) => c.type === "Failed" && c.status === "True");
        if (failed) {
            const why =
                failed.reason === "DeadlineExceeded"
                    ? `it did not finish within ${Math.round(job.timeoutMs / 1000)}s`
                    : await podVerdict(kube, job);
            return { passed: false, reason: `job/${job.name} failed: ${why}` };
        }
        if (Date.now() > deadline) {
            return {
                passed: false,
                reason: `job/${job.name} did not finish within ${Math.round(job.timeoutMs / 1000)}s: ${await podVerdict(kube, job)}`,
            };
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
