/**
 * Kubernetes labels, built in one place.
 *
 * Every object carries the recommended `app.kubernetes.io/*` labels plus the `app=<name>`
 * label the operations manuals select on (`kubectl get pods -l app=mcp-typescript-api`).
 * Selectors use only the stable subset: a selector is immutable, so it must never contain
 * the version.
 */
export interface LabelSource {
    /** The workload's name, e.g. "mcp-typescript-api". Also the `app` label. */
    readonly name: string;
    /** The component role, e.g. "api", "database", "backup". */
    readonly component: string;
    /** Image tag or chart version; omitted from selectors. */
    readonly version?: string;
    /** Override for the `app` label when a manual selects on a different value. @default name */
    readonly app?: string;
    /** Instance name when one app runs more than once. @default name */
    readonly instance?: string;
}

export const partOf = "mcp-platform";

/** The immutable subset, for `spec.selector` and NetworkPolicy/PDB selectors. */
export function selectorLabels(source: LabelSource): Record<string, string> {
    return {
        app: source.app ?? source.name,
        "app.kubernetes.io/name": source.name,
        "app.kubernetes.io/instance": source.instance ?? source.name,
    };
}

/**
 * Every label but the version, for what an update must never change: a StatefulSet's
 * `volumeClaimTemplates` are immutable, and the Kubernetes provider replaces the StatefulSet
 * when they differ, so an image bump must not reach them.
 */
export function stableLabels(source: LabelSource): Record<string, string> {
    return {
        ...selectorLabels(source),
        "app.kubernetes.io/component": source.component,
        "app.kubernetes.io/part-of": partOf,
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

/** Every label, for `metadata.labels` and pod template labels. */
export function standardLabels(source: LabelSource): Record<string, string> {
    const labels: Record<string, string> = stableLabels(source);
    if (source.version !== undefined) {
        labels["app.kubernetes.io/version"] = source.version
            .replace(/[^A-Za-z0-9._-]/g, "_")
            .slice(0, 63);
    }
    return labels;
}
