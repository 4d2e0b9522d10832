import * as k8s from "@kubernetes/client-node";
import { CliError, exitCodes } from "./cli";
import type { Workload } from "./services";

/**
 * The cluster through `@kubernetes/client-node`. The kubeconfig is `--kubeconfig` /
 * `$KUBECONFIG` / `~/.kube/config`; its context is the one named after the stack when it
 * exists (docs/operations.md: `aws eks update-kubeconfig … --alias production`), else the
 * current context.
 */
export interface KubeOptions {
    readonly stack: string;
    readonly kubeconfig?: string;
    /** The kubeconfig itself (the stack output `kubeconfig`), instead of a file. */
    readonly kubeconfigText?: string;
    readonly context?: string;
}

export class Kube {
    readonly apps: k8s.AppsV1Api;
    readonly core: k8s.CoreV1Api;
    readonly batch: k8s.BatchV1Api;
    readonly autoscaling: k8s.AutoscalingV2Api;
    readonly config: k8s.KubeConfig;

    constructor(options: KubeOptions) {
        const kc = new k8s.KubeConfig();
        try {
            if (options.kubeconfigText) kc.loadFromString(options.kubeconfigText);
            else if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
            else kc.loadFromDefault();
        } catch (error) {
            throw new CliError(
                `cannot read the kubeconfig ${options.kubeconfig ?? process.env.KUBECONFIG ?? "~/.kube/config"}: ${(error as Error).message}`,
                `run \`aws eks update-kubeconfig --name mcp-${options.stack} --alias ${options.stack}\` or pass --kubeconfig`,
                exitCodes.usage,
            );
        }
        const names = kc.getContexts().map((c) => c.name);
        const wanted =
            options.context ?? (names.includes(options.stack) ? options.stack : undefined);
        if (wanted) {
            if (!names.includes(wanted)) {
                throw new CliError(
                    `the kubeconfig has no context "${wanted}" (contexts: ${names.join(", ") || "none"})`,
                    "pass --context with one of them",
                    exitCodes.usage,
                );
            }
            kc.setCurrentContext(wanted);
        }
        if (!kc.getCurrentCluster()) {
            throw new CliError(
                "the kubeconfig has no current cluster",
                `run \`aws eks update-kubeconfig --name mcp-${options.stack} --alias ${options.stack}\` or pass --kubeconfig`,
                exitCodes.usage,
            );
        }
        this.config = kc;
        this.apps = kc.makeApiClient(k8s.AppsV1Api);
        this.core = kc.makeApiClient(k8s.CoreV1Api);
        this.batch = kc.makeApiClient(k8s.BatchV1Api);
        this.autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api);
    }

    get server(): string {
        return this.config.getCurrentCluster()?.server ?? "(no server)";
    }

    /** Runs one API call; turns its failure into a CliError saying which call failed. */
    async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
        try {
            return await fn();
        } catch (error) {
            throw kubeError(what, this.server, error);
        }
    }

    /** Undefined when the object does not exist (404). */
    async find<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
        try {
            return await fn();
        } catch (error) {
            if (error instanceof k8s.ApiException && error.code === 404) return undefined;
            throw kubeError(what, this.server, error);
        }
    }

    async workloadStatus(w: Workload): Promise<WorkloadStatus> {
        const what = `read ${w.kind.toLowerCase()}/${w.name} in ${w.namespace}`;
        const obj =
            w.kind === "Deployment"
                ? await this.find(what, () =>
                      this.apps.readNamespacedDeployment({ name: w.name, namespace: w.namespace }),
                  )
                : await this.find(what, () =>
                      this.apps.readNamespacedStatefulSet({ name: w.name, namespace: w.namespace }),
                  );
        if (!obj) return { ...w, exists: false, desired: 0, ready: 0, updated: 0, available: 0 };
        const status = obj.status ?? {};
        return {
            ...w,
            exists: true,
            desired: obj.spec?.replicas ?? 1,
            ready: status.readyReplicas ?? 0,
            updated: status.updatedReplicas ?? 0,
            available: "availableReplicas" in status ? (status.availableReplicas ?? 0) : 0,
            generation: obj.metadata?.generation,
            observedGeneration: status.observedGeneration,
        };
    }

    /** Merge-patches a Deployment or StatefulSet (the content type kubectl uses for `patch --type merge`). */
    async patchWorkload(w: Workload, body: object, what: string): Promise<void> {
        const options = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
        const params = { name: w.name, namespace: w.namespace, body };
        await this.call(`${what} ${w.kind.toLowerCase()}/${w.name} in ${w.namespace}`, () =>
            w.kind === "Deployment"
                ? this.apps.patchNamespacedDeployment(params, options)
                : this.apps.patchNamespacedStatefulSet(params, options),
        );
    }

    async patchScale(w: Workload, replicas: number): Promise<void> {
        const options = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
        const params = { name: w.name, namespace: w.namespace, body: { spec: { replicas } } };
        await this.call(`scale ${w.kind.toLowerCase()}/${w.name} in ${w.namespace}`, () =>
            w.kind === "Deployment"
                ? this.apps.patchNamespacedDeploymentScale(params, options)
                : this.apps.patchNamespacedStatefulSetScale(params, options),
        );
    }
}

export interface WorkloadStatus extends Workload {
    readonly exists: boolean;
    readonly desired: number;
    readonly ready: number;
    readonly updated: number;
    readonly available: number;
    readonly generation?: number;
    readonly observedGeneration?: number;
}

/** Healthy: exists, the controller saw the last change, and every desired pod is ready and updated. */
export function rolledOut(s: WorkloadStatus): boolean {
    return (
        s.exists &&
        (s.generation === undefined || (s.observedGeneration ?? 0) >= s.generation) &&
        s.ready >= s.desired &&
        s.updated >= s.desired
    );
}

export function kubeError(what: string, server: string, error: unknown): CliError {
    if (error instanceof CliError) return error;
    if (error instanceof k8s.ApiException) {
        const body = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
        let message = body;
        try {
            message = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
            // not JSON: keep the body
        }
        const remedy =
            error.code === 401 || error.code === 403
                ? "use credentials of a role in mcp-platform:cluster.adminRoleArns (docs/operations.md#ground-rules)"
                : error.code === 404
                  ? "check the name and the stack (--stack); `npm run synth -- <stack>` lists what the stack declares"
                  : "see the message; `kubectl get events -n <namespace>` may say more";
        return new CliError(`${what}: the API server answered ${error.code}: ${message}`, remedy);
    }
    const message = (error as Error)?.message ?? String(error);
    return new CliError(
        `${what}: cannot reach the API server ${server}: ${message}`,
        "work from inside the stack's VPC (VPN/bastion) and check the kubeconfig context (docs/operations.md#ground-rules)",
        exitCodes.unreachable,
    );
}

/** Polls until the workload is rolled out; a CliError with its last status after `timeoutMs`. */
export async function waitRolledOut(
    kube: Kube,
    w: Workload,
    timeoutMs: number,
    intervalMs = 1000,
): Promise<WorkloadStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const s = await kube.workloadStatus(w);
        if (rolledOut(s)) return s;
        if (Date.now() + intervalMs > deadline) {
            throw new CliError(
                `${w.kind.toLowerCase()}/${w.name} in ${w.namespace} did not roll out within ${Math.round(timeoutMs / 1000)}s: ${describeStatus(s)}`,
                `look at its pods: kubectl -n ${w.namespace} get pods -l app=${w.name}; kubectl -n ${w.namespace} get events --sort-by=.lastTimestamp`,
            );
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}

export function describeStatus(s: WorkloadStatus): string {
    if (!s.exists) return "does not exist";
    return `${s.ready}/${s.desired} ready, ${s.updated}/${s.desired} updated`;
}

/**
 * `kubectl create job --from=cronjob/<cronjob> <name>`: a Job with the CronJob's job template,
 * owned by the CronJob and annotated as a manual run, exactly as kubectl builds it.
 */
export async function createJobFromCronJob(
    kube: Kube,
    namespace: string,
    cronjob: string,
    name: string,
): Promise<void> {
    const source = await kube.find(`read cronjob/${cronjob} in ${namespace}`, () =>
        kube.batch.readNamespacedCronJob({ name: cronjob, namespace }),
    );
    if (!source) {
        throw new CliError(
            `cronjob/${cronjob} does not exist in ${namespace} (API server ${kube.server})`,
            "check --stack and --context: the kubeconfig may point at another cluster",
        );
    }
    const template = source.spec!.jobTemplate;
    await kube.call(`create job/${name} in ${namespace}`, () =>
        kube.batch.createNamespacedJob({
            namespace,
            body: {
                apiVersion: "batch/v1",
                kind: "Job",
                metadata: {
                    name,
                    namespace,
                    labels: template.metadata?.labels,
                    annotations: {
                        ...template.metadata?.annotations,
                        "cronjob.kubernetes.io/instantiate": "manual",
                    },
                    ownerReferences: [
                        {
                            apiVersion: "batch/v1",
                            kind: "CronJob",
                            name: cronjob,
                            uid: source.metadata!.uid!,
                            controller: true,
                        },
                    ],
                },
                spec: template.spec,
            },
        }),
    );
}

/** Polls a Job until it succeeded (true) or failed (false); a CliError after `timeoutMs`. */
export async function waitForJob(
    kube: Kube,
    namespace: string,
    name: string,
    timeoutMs: number,
    intervalMs = 2000,
): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const job = await kube.call(`read job/${name} in ${namespace}`, () =>
            kube.batch.readNamespacedJob({ name, namespace }),
        );
        const conditions = job.status?.conditions ?? [];
        if (conditions.some((c) => c.type === "Complete" && c.status === "True")) return true;
        if (conditions.some((c) => c.type === "Failed" && c.status === "True")) return false;
        if (Date.now() + intervalMs > deadline) {
            throw new CliError(
                `job/${name} in ${namespace} has not finished within ${Math.round(timeoutMs / 1000)}s`,
                `follow it: kubectl -n ${namespace} logs -f job/${name}`,
            );
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
