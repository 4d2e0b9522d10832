import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CliError, exitCodes } from "./cli";
import type { Workload } from "./services";

/**
 * The cluster through `@kubernetes/client-node`. The kubeconfig is `--kubeconfig`, else the
 * files of `$KUBECONFIG` (merged as kubectl merges them), else `~/.kube/config`. Its context
 * is `--context`, else the one named after the stack (docs/operations.md: `aws eks
 * update-kubeconfig … --alias production`), else the one of the stack's EKS cluster (the ARN
 * name `aws eks update-kubeconfig` gives without `--alias`), else the current one.
 */
export interface KubeOptions {
    readonly stack: string;
    /** The stack's EKS cluster: named in the command that writes a missing kubeconfig. */
    readonly cluster: { readonly name: string; readonly region: string };
    /** Where `KUBECONFIG` and `HOME` are read. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
    readonly kubeconfig?: string;
    /** The kubeconfig itself (the stack output `kubeconfig`), instead of a file. */
    readonly kubeconfigText?: string;
    readonly context?: string;
}

/** `aws eks update-kubeconfig --region <region> --name mcp-<env> --alias <stack>`. */
export function updateKubeconfigCommand(options: Pick<KubeOptions, "stack" | "cluster">): string {
    return `aws eks update-kubeconfig --region ${options.cluster.region} --name ${options.cluster.name} --alias ${options.stack}`;
}

/** The kubeconfig files kubectl would read, in its order. */
function kubeconfigFiles(options: KubeOptions): string[] {
    const env = options.env ?? process.env;
    if (options.kubeconfig) return [options.kubeconfig];
    const listed = (env.KUBECONFIG ?? "").split(path.delimiter).filter(Boolean);
    if (listed.length > 0) return listed;
    return [path.join(env.HOME || os.homedir(), ".kube", "config")];
}

export class Kube {
    readonly apps: k8s.AppsV1Api;
    readonly core: k8s.CoreV1Api;
    readonly batch: k8s.BatchV1Api;
    readonly autoscaling: k8s.AutoscalingV2Api;
    readonly config: k8s.KubeConfig;
    /** The command that writes this stack's context (named in every remedy). */
    readonly fix: string;

    constructor(options: KubeOptions) {
        const fix = updateKubeconfigCommand(options);
        this.fix = fix;
        const kc = new k8s.KubeConfig();
        const files = kubeconfigFiles(options);
        try {
            if (options.kubeconfigText) {
                kc.loadFromString(options.kubeconfigText);
            } else {
                const present = files.filter((file) => fs.existsSync(file));
                if (present.length === 0) {
                    throw new CliError(
                        `no kubeconfig for the ${options.stack} stack: ${files.join(", ")} ${files.length === 1 ? "does" : "do"} not exist`,
                        `run \`${fix}\` (credentials of a role in mcp-platform:cluster.adminRoleArns), or pass --kubeconfig`,
                        exitCodes.unreachable,
                    );
                }
                kc.loadFromFile(present[0]);
                for (const file of present.slice(1)) {
                    const more = new k8s.KubeConfig();
                    more.loadFromFile(file);
                    // As kubectl: the first file that sets current-context wins.
                    kc.mergeConfig(more, Boolean(kc.getCurrentContext()));
                }
            }
        } catch (error) {
            if (error instanceof CliError) throw error;
            throw new CliError(
                `cannot read the kubeconfig ${files.join(", ")}: ${(error as Error).message}`,
                `run \`${fix}\` or pass --kubeconfig`,
                exitCodes.usage,
            );
        }
        const contexts = kc.getContexts();
        const names = contexts.map((c) => c.name);
        if (options.context !== undefined) {
            if (!names.includes(options.context)) {
                throw new CliError(
                    `the kubeconfig has no context "${options.context}" (contexts: ${names.join(", ") || "none"})`,
                    `pass --context with one of them, or run \`${fix}\``,
                    exitCodes.usage,
                );
            }
            kc.setCurrentContext(options.context);
        } else {
            const ofCluster = contexts.find((c) =>
                kc.getCluster(c.cluster)?.name.endsWith(`:cluster/${options.cluster.name}`),
            );
            const wanted = names.includes(options.stack) ? options.stack : ofCluster?.name;
            if (wanted) {
                kc.setCurrentContext(wanted);
            } else if (kc.getCurrentCluster()) {
                // Never the current context by default: it may be another stack's cluster
                // (`--stack dr` against production). It must be named with --context.
                throw new CliError(
                    `the kubeconfig has no context for the ${options.stack} stack (cluster ${options.cluster.name}); the current context "${kc.getCurrentContext()}" is cluster ${kc.getCurrentCluster()?.name}`,
                    `run \`${fix}\`, or pass --context ${kc.getCurrentContext()} if that really is the ${options.stack} cluster`,
                    exitCodes.unreachable,
                );
            }
        }
        if (!kc.getCurrentCluster()) {
            throw new CliError(
                `the kubeconfig ${files.join(", ")} has no context for the ${options.stack} stack (contexts: ${names.join(", ") || "none"}) and no current one`,
                `run \`${fix}\`, or pass --context`,
                exitCodes.unreachable,
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
            throw kubeError(what, this.server, error, this.fix);
        }
    }

    /** Undefined when the object does not exist (404). */
    async find<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
        try {
            return await fn();
        } catch (error) {
            if (error instanceof k8s.ApiException && error.code === 404) return undefined;
            throw kubeError(what, this.server, error, this.fix);
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

export function kubeError(what: string, server: string, error: unknown, fix?: string): CliError {
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
        `work from inside the stack's VPC (VPN/bastion) and check the kubeconfig context${fix ? ` (\`${fix}\` writes the stack's)` : ""} (docs/operations.md#ground-rules)`,
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
