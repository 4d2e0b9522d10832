import type { PolicyResource } from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";

/**
 * Which resources a property refers to (`aws.s3.BucketVersioning.bucket` → the Bucket).
 *
 * Under `pulumi preview` the engine hands stack policies `propertyDependencies`, which name
 * the resources an input was computed from; that is used first and needs no output value
 * (so it works for resources not yet created). The offline synth has no dependency graph,
 * so the value is matched against what identifies a candidate: its ID as the mock runtime
 * assigns it (`<logical name>-id`), or its `id`, `arn`, `name` or `bucket` output.
 */
export function referenced(
    from: PolicyResource,
    property: string,
    candidates: readonly PolicyResource[],
): PolicyResource[] {
    const dependencies = from.propertyDependencies?.[property] ?? [];
    if (dependencies.length > 0) {
        const urns = new Set(dependencies.map((d) => d.urn));
        return candidates.filter((c) => urns.has(c.urn));
    }
    const values = stringLeaves(from.props[property]);
    if (values.length === 0) return [];
    return candidates.filter((candidate) =>
        identifiersOf(candidate).some((id) => values.includes(id)),
    );
}

/** Every non-empty string in a value (a list of IDs, or an object such as `{ id, version }`). */
function stringLeaves(value: unknown): string[] {
    if (typeof value === "string") return value === "" ? [] : [value];
    if (Array.isArray(value)) return value.flatMap(stringLeaves);
    if (value !== null && typeof value === "object")
        return Object.values(value).flatMap(stringLeaves);
    return [];
}

/** The strings another resource's input may carry to refer to `resource`. */
function identifiersOf(resource: PolicyResource): string[] {
    const ids = [`${resource.name}-id`];
    for (const key of ["id", "arn", "name", "bucket"]) {
        const value = resource.props[key] as unknown;
        if (typeof value === "string" && value !== "") ids.push(value);
    }
    return ids;
}

/** Any resource class (`aws.s3.Bucket`, `k8s.apps.v1.Deployment`, …). */
export type ResourceClass = new (...rest: any[]) => Resource;

/** Resources of any of `classes` (real resource classes, matched with `isType`). */
export function ofTypes(
    resources: readonly PolicyResource[],
    classes: readonly ResourceClass[],
): PolicyResource[] {
    return resources.filter((r) => classes.some((cls) => r.isType(cls)));
}
