import type { KubeClient } from "./kube-client";

/**
 * SubjectAccessReviews as a table: each row names a subject, a verb, a resource (and optionally
 * a namespace and an object name) and whether the subject is expected to be allowed. The real
 * kube-apiserver answers each row (`POST subjectaccessreviews`, what `kubectl auth can-i --as`
 * sends), and the table is printed with the expectation and the answer side by side.
 */
type Obj = Record<string, any>;

export interface Subject {
    /** How the table names the subject. */
    readonly label: string;
    readonly user: string;
    readonly groups: readonly string[];
}

export interface Resource {
    /** API group, "" for the core group. */
    readonly group: string;
    /** Plural resource name, e.g. `deployments`. */
    readonly resource: string;
    readonly subresource?: string;
}

export interface Row extends Resource {
    readonly subject: Subject;
    readonly verb: string;
    /** Omitted: every namespace (or a cluster-scoped resource). */
    readonly namespace?: string;
    readonly name?: string;
    readonly expected: boolean;
}

export interface Answered extends Row {
    readonly actual: boolean;
}

export const readVerbs = ["get", "list", "watch"] as const;
export const writeVerbs = ["create", "update", "patch", "delete", "deletecollection"] as const;

/** A ServiceAccount as the apiserver authenticates it. */
export function serviceAccount(namespace: string, name: string): Subject {
    return {
        label: `${namespace}/${name}`,
        user: `system:serviceaccount:${namespace}:${name}`,
        groups: [
            "system:serviceaccounts",
            `system:serviceaccounts:${namespace}`,
            "system:authenticated",
        ],
    };
}

/** A member of a Kubernetes group (an access entry's `kubernetesGroups`). */
export function groupMember(group: string): Subject {
    return { label: group, user: `${group}:member`, groups: [group, "system:authenticated"] };
}

export function resourceLabel(r: Resource): string {
    const base = r.group === "" ? r.resource : `${r.group}/${r.resource}`;
    return r.subresource ? `${base}/${r.subresource}` : base;
}

/** Asks the apiserver every row, a few at a time. */
export async function review(client: KubeClient, rows: readonly Row[]): Promise<Answered[]> {
    const out: Answered[] = [];
    for (let i = 0; i < rows.length; i += 16) {
        const batch = rows.slice(i, i + 16);
        const answers = await Promise.all(
            batch.map(async (row) => {
                const res = await client.request(
                    "POST",
                    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
                    {
                        apiVersion: "authorization.k8s.io/v1",
                        kind: "SubjectAccessReview",
                        spec: {
                            user: row.subject.user,
                            groups: row.subject.groups,
                            resourceAttributes: {
                                verb: row.verb,
                                group: row.group,
                                resource: row.resource,
                                ...(row.subresource ? { subresource: row.subresource } : {}),
                                ...(row.namespace ? { namespace: row.namespace } : {}),
                                ...(row.name ? { name: row.name } : {}),
                            },
                        },
                    },
                );
                if (res.status !== 201) {
                    throw new Error(`SubjectAccessReview: HTTP ${res.status}: ${res.body.message}`);
                }
                return { ...row, actual: res.body.status?.allowed === true };
            }),
        );
        out.push(...answers);
    }
    return out;
}

/** Rows whose answer differs from the expectation. */
export function mismatches(rows: readonly Answered[]): Answered[] {
    return rows.filter((r) => r.actual !== r.expected);
}

const word = (allowed: boolean) => (allowed ? "allow" : "deny");

/**
 * The table, one line per subject, resource, namespace, name, expectation and answer, with the
 * verbs of that line together: `subject | verbs | resource | namespace | expected | actual`.
 */
export function formatTable(rows: readonly Answered[]): string {
    const lines = new Map<string, { cells: string[]; verbs: string[] }>();
    for (const r of rows) {
        const cells = [
            r.subject.label,
            resourceLabel(r) + (r.name ? ` ${r.name}` : ""),
            r.namespace ?? "*",
            word(r.expected),
            word(r.actual) + (r.actual === r.expected ? "" : "  <-- UNEXPECTED"),
        ];
        const key = cells.join("\0");
        const line = lines.get(key) ?? { cells, verbs: [] };
        line.verbs.push(r.verb);
        lines.set(key, line);
    }
    const table = [["subject", "verbs", "resource", "namespace", "expected", "actual"]];
    for (const { cells, verbs } of lines.values()) {
        table.push([cells[0], verbs.join(","), cells[1], cells[2], cells[3], cells[4]]);
    }
    const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
    return table
        .map((row) =>
            row
                .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
                .join(" | "),
        )
        .join("\n");
}

/** The summary line: subjects, reviews, allowed and denied as expected, unexpected. */
export function summary(rows: readonly Answered[]): string {
    const subjects = new Set(rows.map((r) => r.subject.label)).size;
    const allowed = rows.filter((r) => r.expected && r.actual).length;
    const denied = rows.filter((r) => !r.expected && !r.actual).length;
    return (
        `rbac: ${subjects} subjects, ${rows.length} reviews, ${allowed} allowed and ` +
        `${denied} denied as expected, ${mismatches(rows).length} unexpected`
    );
}

export interface ServedResource {
    readonly group: string;
    readonly version: string;
    readonly resource: string;
    readonly kind: string;
    readonly namespaced: boolean;
}

/** Every resource the apiserver serves, from its own discovery (preferred versions first). */
export async function discover(client: KubeClient): Promise<ServedResource[]> {
    const versions: { group: string; version: string }[] = [];
    const core = await client.request("GET", "/api");
    for (const v of core.body.versions as string[]) versions.push({ group: "", version: v });
    const groups = await client.request("GET", "/apis");
    for (const g of groups.body.groups as Obj[]) {
        const preferred = g.preferredVersion.version as string;
        const rest = (g.versions as Obj[]).map((v) => v.version as string);
        for (const v of [preferred, ...rest.filter((x) => x !== preferred)]) {
            versions.push({ group: g.name, version: v });
        }
    }
    const served: ServedResource[] = [];
    for (const { group, version } of versions) {
        const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
        const res = await client.request("GET", path);
        for (const r of (res.body.resources ?? []) as Obj[]) {
            if (String(r.name).includes("/")) continue;
            served.push({
                group,
                version,
                resource: r.name,
                kind: r.kind,
                namespaced: r.namespaced,
            });
        }
    }
    return served;
}

/** The served resource of a manifest's `apiVersion` and `kind`. */
export function resourceOfKind(
    served: readonly ServedResource[],
    apiVersion: string,
    kind: string,
): ServedResource {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const found = served.find((s) => s.group === group && s.version === version && s.kind === kind);
    if (!found) throw new Error(`the apiserver does not serve ${apiVersion} ${kind}`);
    return found;
}

/**
 * What `kubectl get <name>` resolves to: `plural.group` names one resource; a bare plural is
 * looked up in the core group first, then in the other groups (kubectl's own order puts the
 * core group first, and no bare plural below is served by two groups).
 */
export function resolveKubectlResource(served: readonly ServedResource[], name: string): Resource {
    const dot = name.indexOf(".");
    const [resource, group] =
        dot < 0 ? [name, undefined] : [name.slice(0, dot), name.slice(dot + 1)];
    const matches = served.filter(
        (s) => s.resource === resource && (group === undefined || s.group === group),
    );
    const groups = [...new Set(matches.map((m) => m.group))];
    if (groups.length === 0)
        throw new Error(`kubectl get ${name}: the apiserver serves no such resource`);
    if (group === undefined && groups.length > 1 && !groups.includes("")) {
        throw new Error(`kubectl get ${name}: ambiguous, served by ${groups.join(", ")}`);
    }
    return { group: groups.includes("") ? "" : groups[0], resource };
}

/** Served resources by kind name alone (e.g. the provider's `kinds.Endpoints`). */
export function resourceOfKindName(served: readonly ServedResource[], kind: string): Resource {
    const groups = [...new Set(served.filter((s) => s.kind === kind).map((s) => s.group))];
    if (groups.length !== 1) {
        throw new Error(`kind ${kind} is served by ${groups.length} groups (${groups.join(", ")})`);
    }
    const found = served.find((s) => s.kind === kind)!;
    return { group: found.group, resource: found.resource };
}
