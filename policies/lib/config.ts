import type {
    PolicyConfigSchema,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";

/**
 * Policy configuration with defaults applied by the policy itself.
 *
 * The engine fills `configSchema` defaults, but a test helper or an older CLI may hand the
 * policy `{}` (style.md §5), so every policy reads its config through {@link configOf}, which
 * overlays what it was given on the schema's defaults.
 */
export function configOf<T extends object>(
    schema: PolicyConfigSchema,
    args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig">,
): T {
    const defaults: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties)) {
        if (property && typeof property === "object" && property.default !== undefined) {
            defaults[key] = property.default;
        }
    }
    const given = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...defaults };
    for (const [key, value] of Object.entries(given)) {
        if (value !== undefined && key !== "enforcementLevel") merged[key] = value;
    }
    return merged as T;
}

/** A case-insensitive regular expression from a config string; a bad pattern throws clearly. */
export function patternOf(source: string, flags = "i"): RegExp {
    try {
        return new RegExp(source, flags);
    } catch (error) {
        throw new Error(
            `invalid pattern in policy config: ${source} (${(error as Error).message})`,
        );
    }
}

/** Parses a JSON document given as a string (IAM policies) or returns the object as is. */
export function jsonDocument(value: unknown): unknown {
    if (typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return undefined;
    }
}

/** Always an array: `undefined` → [], a scalar → [scalar]. */
export function asArray<T>(value: T | T[] | undefined | null): T[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
}
