import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import {
    readVerbs,
    type Resource,
    resolveKubectlResource,
    resourceOfKindName,
    type Row,
    type ServedResource,
    type Subject,
    serviceAccount,
    writeVerbs,
} from "./rbac-review";

/**
 * What each subject of a synth is expected to be allowed, derived from what the synth declares
 * and what its callers do, never from the roles themselves:
 * - the preview group reads every kind the stack declares, what the Kubernetes provider's refresh
 *   reads beside them, and the kinds of the add-ons' CRDs, and writes nothing;
 * - each workload ServiceAccount gets what its pods do: the `kubectl` calls of the scripts its
 *   containers run (from the ConfigMaps mounted into them), Fluent Bit's kubernetes filter,
 *   Grafana's sidecars (from the Helm release values), and nothing else.
 */
type Obj = Record<string, any>;
export interface Manifest {
    readonly file: string;
    readonly manifest: Obj;
}

const key = (r: Resource) => `${r.group}/${r.resource}`;

function uniqueResources(list: readonly Resource[]): Resource[] {
    return [...new Map(list.map((r) => [key(r), r])).values()].sort((a, b) =>
        key(a).localeCompare(key(b)),
    );
}

/**
 * What the Kubernetes provider's refresh reads beside an object of `kind`: the kinds its await
 * logic (`pkg/await/<kind>.go` of the pinned provider module) makes clients for, e.g. a
 * Deployment's read lists ReplicaSets, Pods and PersistentVolumeClaims.
 */
export function refreshReads(
    providerDir: string,
    served: readonly ServedResource[],
    kind: string,
): Resource[] {
    const file = path.join(providerDir, "pkg/await", `${kind.toLowerCase()}.go`);
    if (!fs.existsSync(file)) return [];
    const kinds = new Set(
        [...fs.readFileSync(file, "utf8").matchAll(/\bkinds\.([A-Z]\w*)/g)].map((m) => m[1]),
    );
    return [...kinds].map((k) => resourceOfKindName(served, k));
}

export interface PreviewInputs {
    readonly subject: Subject;
    /** Every kind the preview must read (declared, refresh reads, CRD kinds). */
    readonly readable: readonly Resource[];
    /** The Secrets the stack declares, each read by name. */
    readonly secrets: readonly { namespace: string; name: string }[];
    /** The Helm releases (name, namespace): their release records stay unreadable. */
    readonly releases: readonly { name: string; namespace: string }[];
    /** A namespace where writes are asked too. */
    readonly writeNamespace: string;
}

export function previewRows(p: PreviewInputs): Row[] {
    const rows: Row[] = [];
    const row = (r: Omit<Row, "subject">) => rows.push({ subject: p.subject, ...r });
    for (const r of uniqueResources(p.readable)) {
        for (const verb of readVerbs) row({ ...r, verb, expected: true });
        for (const verb of writeVerbs) {
            row({ ...r, verb, expected: false });
            row({ ...r, verb, namespace: p.writeNamespace, expected: false });
        }
    }
    const secrets = { group: "", resource: "secrets" };
    for (const s of p.secrets) {
        row({ ...secrets, verb: "get", namespace: s.namespace, name: s.name, expected: true });
        for (const verb of ["update", "patch", "delete"]) {
            row({ ...secrets, verb, namespace: s.namespace, name: s.name, expected: false });
        }
    }
    for (const namespace of [undefined, ...new Set(p.secrets.map((s) => s.namespace))]) {
        for (const verb of ["list", "watch", "create", "deletecollection"]) {
            row({ ...secrets, verb, namespace, expected: false });
        }
    }
    for (const r of p.releases) {
        const name = `sh.helm.release.v1.${r.name}.v1`;
        row({ ...secrets, verb: "get", namespace: r.namespace, name, expected: false });
    }
    const never: [Resource, string][] = [
        [{ group: "", resource: "pods", subresource: "exec" }, "create"],
        [{ group: "", resource: "pods", subresource: "portforward" }, "create"],
        [{ group: "", resource: "pods", subresource: "log" }, "get"],
        [{ group: "", resource: "serviceaccounts", subresource: "token" }, "create"],
        [{ group: "", resource: "nodes", subresource: "proxy" }, "get"],
        [{ group: "", resource: "users" }, "impersonate"],
        [{ group: "", resource: "serviceaccounts" }, "impersonate"],
        [{ group: "rbac.authorization.k8s.io", resource: "clusterroles" }, "escalate"],
        [{ group: "rbac.authorization.k8s.io", resource: "clusterroles" }, "bind"],
    ];
    for (const [r, verb] of never) {
        row({ ...r, verb, expected: false });
        row({ ...r, verb, namespace: p.writeNamespace, expected: false });
    }
    return rows;
}

/** What one ServiceAccount's pods need: verbs on a resource in namespaces (undefined: all). */
export interface Need extends Resource {
    readonly verbs: readonly string[];
    readonly namespaces: readonly (string | undefined)[];
    /** Where the need comes from, for the failure message. */
    readonly why: string;
}

interface PodUse {
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly spec: Obj;
    readonly owner: string;
}

function podsOf(manifests: readonly Manifest[]): PodUse[] {
    const pods: PodUse[] = [];
    for (const { manifest } of manifests) {
        const template =
            manifest.kind === "CronJob"
                ? manifest.spec?.jobTemplate?.spec?.template
                : ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(manifest.kind)
                  ? manifest.spec?.template
                  : undefined;
        if (!template) continue;
        pods.push({
            namespace: manifest.metadata.namespace,
            serviceAccount: template.spec.serviceAccountName ?? "default",
            spec: template.spec,
            owner: `${manifest.kind} ${manifest.metadata.namespace}/${manifest.metadata.name}`,
        });
    }
    return pods;
}

/**
 * Lines of a shell script that run `kubectl` as a command: at the start of a line or after
 * `!`, `;`, `&`, `|` or `$(` (comments skipped; a word such as `kubectl.err` or `"kubectl get
 * failed"` inside a message is not a command).
 */
function kubectlCommands(script: string): string[] {
    return (
        script
            .split("\n")
            .filter((line) => !/^\s*#/.test(line))
            // A message that names a command (`info "… (kubectl logs …)"`) runs nothing: quoted
            // text without a substitution is left out; `"$(kubectl …)"` is still seen.
            .filter((line) =>
                /(^|[!;&|(])\s*kubectl\s/.test(
                    line.replace(/"(?:[^"\\$]|\\.)*"|'[^']*'/g, '""').trim(),
                ),
            )
    );
}

/** The `kubectl` calls of the scripts a pod runs, and Fluent Bit's kubernetes filter. */
function podNeeds(pod: PodUse, manifests: readonly Manifest[], served: readonly ServedResource[]) {
    const needs: Need[] = [];
    const configMap = (name: string) =>
        manifests.find(
            (m) =>
                m.manifest.kind === "ConfigMap" &&
                m.manifest.metadata.namespace === pod.namespace &&
                m.manifest.metadata.name === name,
        )?.manifest;
    for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) {
        const env = Object.fromEntries(
            ((c.env ?? []) as Obj[]).map((e) => [e.name as string, e.value as string]),
        );
        for (const mount of (c.volumeMounts ?? []) as Obj[]) {
            const volume = ((pod.spec.volumes ?? []) as Obj[]).find((v) => v.name === mount.name);
            const data = volume?.configMap ? (configMap(volume.configMap.name)?.data ?? {}) : {};
            for (const [file, text] of Object.entries(data as Record<string, string>)) {
                const where = `${pod.owner}, container ${c.name}, ${mount.mountPath}/${file}`;
                if (kubectlCommands(text).length > 0) {
                    needs.push(...kubectlNeeds(text, env, served, where));
                }
                if (file.endsWith(".yaml") && /^pipeline:/m.test(text)) {
                    needs.push(...fluentBitNeeds(parse(text) as Obj, where));
                }
            }
        }
    }
    return needs;
}

/**
 * The one `kubectl` use pods have: export-app-config.sh's `kubectl get "$kind" --namespace
 * "$namespace" --output yaml` (a list) over `APP_CONFIG_KINDS` (default in the script) and
 * `APP_CONFIG_NAMESPACES`. Any other `kubectl` line is an error: a new API use needs a review.
 */
function kubectlNeeds(
    script: string,
    env: Record<string, string>,
    served: readonly ServedResource[],
    where: string,
): Need[] {
    const lines = kubectlCommands(script);
    const modelled = /kubectl get "\$kind" --namespace "\$namespace" --output yaml /;
    const other = lines.filter((l) => !modelled.test(l));
    if (other.length > 0) throw new Error(`${where}: unreviewed kubectl use: ${other.join("; ")}`);
    if (!env.APP_CONFIG_NAMESPACES) return [];
    const defaults = /KINDS=\$\{APP_CONFIG_KINDS:-"([^"]+)"\}/.exec(script)?.[1];
    const kinds = (env.APP_CONFIG_KINDS ?? defaults ?? "").split(/\s+/).filter(Boolean);
    if (kinds.length === 0) throw new Error(`${where}: no kinds to export`);
    const namespaces = env.APP_CONFIG_NAMESPACES.split(/\s+/).filter(Boolean);
    return kinds.map((k) => ({
        ...resolveKubectlResource(served, k),
        verbs: ["list"],
        namespaces,
        why: `${where}: kubectl get ${k}`,
    }));
}

/**
 * Fluent Bit's kubernetes filter reads each record's Pod by name (`GET
 * /api/v1/namespaces/<ns>/pods/<pod>`), and its Namespace when namespace labels or annotations
 * are on (`filter_kubernetes/kube_conf.h` in Fluent Bit's source).
 */
function fluentBitNeeds(config: Obj, where: string): Need[] {
    const filters = ((config.pipeline?.filters ?? []) as Obj[]).filter(
        (f) => f.name === "kubernetes",
    );
    const on = (v: unknown) => v === true || v === "on" || v === "true";
    return filters.flatMap((f) => [
        {
            group: "",
            resource: "pods",
            verbs: ["get"],
            namespaces: [undefined],
            why: `${where}: kubernetes filter`,
        },
        ...(on(f.namespace_labels) || on(f.namespace_annotations)
            ? [
                  {
                      group: "",
                      resource: "namespaces",
                      verbs: ["get"],
                      namespaces: [undefined],
                      why: `${where}: namespace metadata`,
                  },
              ]
            : []),
    ]);
}

/**
 * Grafana's dashboard and datasource sidecars (k8s-sidecar, WATCH method) list and watch the
 * `RESOURCE` (configmap, secret or both, the chart's default) of `NAMESPACE` (its own when
 * unset, every namespace for ALL), as the kube-prometheus-stack release's values set them.
 */
export function grafanaNeeds(values: Obj, releaseNamespace: string): Need[] {
    const sidecar = values.grafana?.sidecar ?? {};
    return ["dashboards", "datasources"].flatMap((name) => {
        const s = sidecar[name] ?? {};
        if (s.enabled === false) return [];
        const resources =
            s.resource === "configmap"
                ? ["configmaps"]
                : s.resource === "secret"
                  ? ["secrets"]
                  : ["configmaps", "secrets"];
        const ns =
            s.searchNamespace === "ALL" ? undefined : (s.searchNamespace ?? releaseNamespace);
        return resources.map((resource) => ({
            group: "",
            resource,
            verbs: ["list", "watch"],
            namespaces: [ns],
            why: `kube-prometheus-stack values grafana.sidecar.${name}`,
        }));
    });
}

export interface WorkloadSubject {
    readonly namespace: string;
    readonly name: string;
    readonly needs: readonly Need[];
}

/**
 * Every ServiceAccount the synth declares or binds, with what its pods need. `extra` adds the
 * needs of pods the synth does not render (a chart's).
 */
export function workloadSubjects(
    manifests: readonly Manifest[],
    served: readonly ServedResource[],
    extra: readonly WorkloadSubject[] = [],
): WorkloadSubject[] {
    const accounts = new Map<string, { namespace: string; name: string; needs: Need[] }>();
    const add = (namespace: string, name: string) => {
        const id = `${namespace}/${name}`;
        if (!accounts.has(id)) accounts.set(id, { namespace, name, needs: [] });
        return accounts.get(id)!;
    };
    for (const { manifest } of manifests) {
        if (manifest.kind === "ServiceAccount")
            add(manifest.metadata.namespace, manifest.metadata.name);
        if (["RoleBinding", "ClusterRoleBinding"].includes(manifest.kind)) {
            for (const s of (manifest.subjects ?? []) as Obj[]) {
                if (s.kind === "ServiceAccount") add(s.namespace, s.name);
            }
        }
    }
    for (const pod of podsOf(manifests)) {
        add(pod.namespace, pod.serviceAccount).needs.push(...podNeeds(pod, manifests, served));
    }
    for (const e of extra) add(e.namespace, e.name).needs.push(...e.needs);
    return [...accounts.values()].sort((a, b) =>
        `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`),
    );
}

/** Each need allowed; around it, and for every account, what it must not do. */
export function workloadRows(account: WorkloadSubject): Row[] {
    const subject = serviceAccount(account.namespace, account.name);
    const rows = new Map<string, Row>();
    const put = (r: Omit<Row, "subject">, override = false) => {
        const id = [r.verb, r.group, r.resource, r.subresource, r.namespace, r.name].join("|");
        if (override || !rows.has(id)) rows.set(id, { subject, ...r });
    };
    const own = account.namespace;
    for (const need of account.needs) {
        for (const namespace of need.namespaces) {
            for (const verb of need.verbs) put({ ...need, verb, namespace, expected: true }, true);
            // The read verbs the pods do not use, and every write.
            const unused = readVerbs.filter((v) => !need.verbs.includes(v));
            for (const verb of [...unused, "create", "update", "patch", "delete"]) {
                put({ ...need, verb, namespace, expected: false });
            }
        }
        if (!need.namespaces.includes(undefined)) {
            for (const verb of need.verbs) put({ ...need, verb, expected: false });
            if (!need.namespaces.includes("kube-system")) {
                for (const verb of need.verbs) {
                    put({ ...need, verb, namespace: "kube-system", expected: false });
                }
            }
        }
    }
    const baseline: [Resource, string[], (string | undefined)[]][] = [
        [{ group: "", resource: "secrets" }, ["get", "list", "watch"], [own, undefined]],
        [{ group: "", resource: "configmaps" }, ["list"], [own]],
        [{ group: "", resource: "pods" }, ["create", "list"], [own]],
        [{ group: "", resource: "pods", subresource: "exec" }, ["create"], [own]],
        [{ group: "", resource: "serviceaccounts", subresource: "token" }, ["create"], [own]],
    ];
    for (const [r, verbs, namespaces] of baseline) {
        for (const namespace of namespaces) {
            for (const verb of verbs) put({ ...r, verb, namespace, expected: false });
        }
    }
    return [...rows.values()];
}
