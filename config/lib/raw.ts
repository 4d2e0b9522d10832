import * as pulumi from "@pulumi/pulumi";

/**
 * Reads the stack's whole configuration from the Pulumi runtime, grouped by namespace.
 *
 * Pulumi hands config to the program as strings: structured values (maps, lists, numbers,
 * booleans) arrive JSON-encoded, plain strings arrive as they are. Reading the whole map, not
 * key by key through `pulumi.Config`, is what lets us reject keys nobody reads.
 */
export interface RawConfig {
    /** `{ namespace: { key: value } }` with JSON values decoded. */
    readonly byNamespace: Record<string, Record<string, unknown>>;
    /** Fully qualified keys (`namespace:key`) that were given as `secure:` values. */
    readonly secretKeys: ReadonlySet<string>;
}

function decode(value: string): unknown {
    const trimmed = value.trim();
    if (/^[[{]/.test(trimmed) || /^(true|false|-?\d+(\.\d+)?)$/.test(trimmed)) {
        try {
            return JSON.parse(trimmed);
        } catch {
            return value;
        }
    }
    return value;
}

/** Groups a flat config map (`namespace:key` → string) by namespace, decoding JSON values. */
export function groupConfig(
    all: Readonly<Record<string, string>>,
    isSecret: (fullKey: string) => boolean,
): RawConfig {
    const byNamespace: Record<string, Record<string, unknown>> = {};
    const secretKeys = new Set<string>();
    for (const [fullKey, value] of Object.entries(all)) {
        const separator = fullKey.indexOf(":");
        const namespace = separator < 0 ? "" : fullKey.slice(0, separator);
        const key = separator < 0 ? fullKey : fullKey.slice(separator + 1);
        (byNamespace[namespace] ??= {})[key] = decode(value);
        if (isSecret(fullKey)) secretKeys.add(fullKey);
    }
    return { byNamespace, secretKeys };
}

/** The running stack's configuration, as the Pulumi CLI (or the synth) passed it. */
export function readRawConfig(): RawConfig {
    // `isConfigSecret` is exported by the SDK's runtime but typed @internal; it is the same
    // check `pulumi.Config.get` uses to warn about secrets read as plain values.
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    return groupConfig(pulumi.runtime.allConfig(), (key) => runtime.isConfigSecret(key));
}
