import type { KubeClient } from "./kube-client";

/**
 * What the e2e reads back from a control plane after an engine operation: the apiserver's own
 * account of admission (FailedCreate events), the controllers' status of each workload, the
 * pods' annotations and the claims' sizes.
 */

type Obj = Record<string, any>;

async function list(client: KubeClient, path: string): Promise<Obj[]> {
    const res = await client.request("GET", path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body.message}`);
    return (res.body.items ?? []) as Obj[];
}

const nameOf = (o: Obj) => `${o.metadata.namespace}/${o.metadata.name}`;

/**
 * Pods a controller could not create (FailedCreate: PodSecurity, quota, LimitRange…). A Pod
 * tried before its ServiceAccount existed is retried by its controller, so that failure
 * counts only while the ServiceAccount is still missing.
 */
export async function failedCreates(client: KubeClient): Promise<string[]> {
    const failed: string[] = [];
    for (const e of await list(client, "/api/v1/events?fieldSelector=reason%3DFailedCreate")) {
        const sa = /error looking up service account ([^/\s]+)\/([^:\s]+)/.exec(e.message);
        if (sa) {
            const res = await client.request(
                "GET",
                `/api/v1/namespaces/${sa[1]}/serviceaccounts/${sa[2]}`,
            );
            if (res.status === 200) continue;
        }
        const o = e.involvedObject;
        failed.push(`${o.kind} ${o.namespace}/${o.name}: ${e.message}`);
    }
    return failed;
}

export interface WorkloadStatus {
    /** Workloads whose pods are not all Ready (Deployments, StatefulSets, DaemonSets). */
    readonly notReady: string[];
    /** Jobs that have not completed. */
    readonly jobsNotComplete: string[];
    readonly workloads: number;
    readonly jobs: number;
    readonly pods: number;
}

/** Every workload's readiness as its controller reports it. */
export async function workloadStatus(client: KubeClient): Promise<WorkloadStatus> {
    const notReady: string[] = [];
    const deployments = await list(client, "/apis/apps/v1/deployments");
    const sets = await list(client, "/apis/apps/v1/statefulsets");
    const daemons = await list(client, "/apis/apps/v1/daemonsets");
    for (const [kind, items] of [
        ["Deployment", deployments],
        ["StatefulSet", sets],
    ] as const) {
        for (const d of items) {
            const want = d.spec.replicas ?? 1;
            const ready = d.status?.readyReplicas ?? 0;
            if (ready < want) notReady.push(`${kind} ${nameOf(d)}: ${ready}/${want} ready`);
        }
    }
    for (const d of daemons) {
        const want = d.status?.desiredNumberScheduled ?? 0;
        if (want === 0 || (d.status?.numberReady ?? 0) < want) {
            notReady.push(`DaemonSet ${nameOf(d)}: ${d.status?.numberReady ?? 0}/${want} ready`);
        }
    }
    const jobs = await list(client, "/apis/batch/v1/jobs");
    const jobsNotComplete = jobs
        .filter(
            (j) =>
                !(j.status?.conditions ?? []).some(
                    (c: Obj) => c.type === "Complete" && c.status === "True",
                ),
        )
        .map(nameOf);
    const pods = await list(client, "/api/v1/pods");
    return {
        notReady,
        jobsNotComplete,
        workloads: deployments.length + sets.length + daemons.length,
        jobs: jobs.length,
        pods: pods.length,
    };
}

/** Polls until every workload is Ready and every Job complete, or returns what is not. */
export async function settle(client: KubeClient, timeoutMs = 120_000): Promise<WorkloadStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const status = await workloadStatus(client);
        const done = status.notReady.length === 0 && status.jobsNotComplete.length === 0;
        if (done || Date.now() > deadline) return status;
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/** The value of a pod-template annotation on each running pod that carries it. */
export async function podAnnotations(
    client: KubeClient,
    annotation: string,
): Promise<{ pod: string; value: string }[]> {
    return (await list(client, "/api/v1/pods"))
        .filter((p) => !p.metadata.deletionTimestamp && p.metadata.annotations?.[annotation])
        .map((p) => ({ pod: nameOf(p), value: p.metadata.annotations[annotation] as string }));
}

/** Each PersistentVolumeClaim: its request and the capacity its status reports. */
export async function claims(
    client: KubeClient,
): Promise<{ claim: string; request: string; capacity?: string; uid: string }[]> {
    return (await list(client, "/api/v1/persistentvolumeclaims")).map((c) => ({
        claim: nameOf(c),
        request: c.spec.resources.requests.storage,
        capacity: c.status?.capacity?.storage,
        uid: c.metadata.uid,
    }));
}

/** The UIDs of the StatefulSets, by namespace/name (a replacement gives a new UID). */
export async function statefulSetUids(client: KubeClient): Promise<Record<string, string>> {
    return Object.fromEntries(
        (await list(client, "/apis/apps/v1/statefulsets")).map((s) => [nameOf(s), s.metadata.uid]),
    );
}

/**
 * A Job from each CronJob's template, as `kubectl create job --from=cronjob/<name>` makes
 * one: its pods are admitted (or refused) like the scheduled ones. Returns the Jobs created.
 */
export async function runCronJobsOnce(client: KubeClient): Promise<string[]> {
    const created: string[] = [];
    for (const cron of await list(client, "/apis/batch/v1/cronjobs")) {
        const { namespace, name } = cron.metadata;
        const job = {
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: {
                name: `${name}-e2e`.slice(0, 52),
                namespace,
                annotations: { "cronjob.kubernetes.io/instantiate": "manual" },
                labels: cron.spec.jobTemplate.metadata?.labels,
            },
            spec: cron.spec.jobTemplate.spec,
        };
        const res = await client.request(
            "POST",
            `/apis/batch/v1/namespaces/${namespace}/jobs`,
            job,
        );
        if (res.status !== 201) {
            throw new Error(`creating Job from CronJob ${namespace}/${name}: ${res.body.message}`);
        }
        created.push(`${namespace}/${job.metadata.name}`);
    }
    return created;
}

/** Records a failed check (`ok` false) with what failed; returns `ok`. */
export type Check = (ok: boolean, what: string) => boolean;

/** The UIDs of mcp-secrets and mcp-semantic-config (an in-place update keeps them). */
export async function configUids(client: KubeClient): Promise<Record<string, string>> {
    const uid = async (p: string) => (await client.request("GET", p)).body.metadata?.uid;
    return {
        "Secret mcp-production/mcp-secrets": await uid(
            "/api/v1/namespaces/mcp-production/secrets/mcp-secrets",
        ),
        "ConfigMap mcp-system/mcp-semantic-config": await uid(
            "/api/v1/namespaces/mcp-system/configmaps/mcp-semantic-config",
        ),
    };
}

/** Every reader's pod carries a new value of the annotation, none the old one. */
export function rolled(
    check: Check,
    what: string,
    before: { pod: string; value: string }[],
    after: { pod: string; value: string }[],
): void {
    const old = new Set(before.map((p) => p.value));
    check(before.length > 0, `${what}: no pod reads it`);
    const stale = after.filter((p) => old.has(p.value));
    check(
        after.length >= before.length && stale.length === 0,
        `${what}: readers did not roll (${stale.length} of ${after.length} pods still at the old version)`,
    );
}

/** The data stores' claims report their request as capacity (waits for the resize). */
export async function checkClaims(
    client: KubeClient,
    check: Check,
    log: (line: string) => void,
): Promise<void> {
    const dataClaims = async () =>
        (await claims(client)).filter((c) => /^mcp-production\/data-/.test(c.claim));
    const deadline = Date.now() + 120_000;
    let data = await dataClaims();
    while (data.some((c) => c.capacity !== c.request) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1000));
        data = await dataClaims();
    }
    log(`e2e: claims: ${data.map((c) => `${c.claim} ${c.request} (${c.capacity})`).join(", ")}`);
    check(data.length > 0, "volumes: no data claim found");
    for (const c of data) {
        check(
            c.capacity === c.request,
            `volumes: ${c.claim} requests ${c.request}, has ${c.capacity}`,
        );
    }
}

/** Each HorizontalPodAutoscaler's `minReplicas`–`maxReplicas`, by `<namespace>/<name>`. */
export async function autoscalerSizes(client: KubeClient): Promise<Record<string, string>> {
    const hpas = await list(client, "/apis/autoscaling/v2/horizontalpodautoscalers");
    return Object.fromEntries(
        hpas.map((h) => [nameOf(h), `${h.spec.minReplicas ?? 1}-${h.spec.maxReplicas}`]),
    );
}

/**
 * The PersistentVolumes bound to the data stores' claims (`data-*`), by claim:
 * `<volume> <reclaim policy>`.
 */
export async function dataVolumes(client: KubeClient): Promise<Record<string, string>> {
    const volumes = await list(client, "/api/v1/persistentvolumes");
    return Object.fromEntries(
        volumes
            .filter((v) => /^data-/.test(v.spec.claimRef?.name ?? ""))
            .map((v) => [
                `${v.spec.claimRef.namespace}/${v.spec.claimRef.name}`,
                `${v.metadata.name} ${v.spec.persistentVolumeReclaimPolicy}`,
            ]),
    );
}
