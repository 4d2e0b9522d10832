import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

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
    /** The folder holding `Pulumi.<stack>.yaml`. @default the working directory */
    readonly stackDir?: string;
}

function decode(value: string): unknown {
    const trimmed = value.trim();
    if (/^[[{]/.test(trimmed)) {
        try {
            return JSON.parse(trimmed) as unknown;
        } catch {
            return value;
        }
    }
    // A number or boolean only when it reads back as written: "007" and "1.50" stay text.
    if (/^(true|false|-?\d+(\.\d+)?)$/.test(value)) {
        try {
            const decoded = JSON.parse(value) as unknown;
            if (String(decoded) === value) return decoded;
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

/**
 * Top-level config arrives as text, so `owner: "12345"` decodes as a number; a key whose
 * schema is a string gets the text back (exactly, since only canonical numbers decode).
 */
export function stringsAsWritten(
    schema: z.ZodType,
    values: Record<string, unknown>,
): Record<string, unknown> {
    if (!(schema instanceof z.ZodObject)) return values;
    const shape = schema.shape as Record<string, z.ZodType>;
    const out: Record<string, unknown> = { ...values };
    for (const [key, value] of Object.entries(values)) {
        let field: z.ZodType | undefined = shape[key];
        while (field instanceof z.ZodOptional || field instanceof z.ZodDefault) {
            field = field.unwrap() as z.ZodType;
        }
        if (
            field instanceof z.ZodString &&
            (typeof value === "number" || typeof value === "boolean")
        ) {
            out[key] = String(value);
        }
    }
    return out;
}

/** The running stack's configuration, as the Pulumi CLI (or the synth) passed it. */
export function readRawConfig(): RawConfig {
    // `isConfigSecret` is exported by the SDK's runtime but typed @internal; it is the same
    // check `pulumi.Config.get` uses to warn about secrets read as plain values.
    const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
    const grouped = groupConfig(pulumi.runtime.allConfig(), (key) => runtime.isConfigSecret(key));
    // The Pulumi CLI runs the program beside the stack file; the synth names its folder.
    return { ...grouped, stackDir: process.env.MCP_STACK_DIR ?? process.cwd() };
}
