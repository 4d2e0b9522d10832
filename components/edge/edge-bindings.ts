import type * as cloudflare from "@pulumi/cloudflare";
import type * as pulumi from "@pulumi/pulumi";

/**
 * The contract between the Pulumi program and the edge Worker (worker/src/env.ts): binding
 * names, the KV switch keys and their values. Tests run the bundled Worker in workerd with
 * exactly the bindings built here.
 */

/** The binding the switches namespace is visible as inside the Worker. */
export const switchesBinding = "SWITCHES";
/** The secret_text binding of the origin credential. */
export const originTokenBinding = "ORIGIN_AUTH_TOKEN";

export interface WorkerSettings {
    /** Base URL of the primary origin, e.g. https://origin-use1.example.com (no path). */
    readonly primaryOrigin: string;
    /** Base URL of the DR origin. */
    readonly drOrigin: string;
    readonly originTimeoutMs: number;
    readonly maxBodyBytes: number;
    readonly healthPath: string;
    readonly maintenanceRetryAfterSeconds: number;
    /** Seconds an isolate reuses the switch values it read (0: every request reads KV). */
    readonly switchCacheSeconds: number;
    readonly environment: string;
}

/** Plain-text bindings: non-secret settings, origins as URLs on default ports. */
export function plainTextBindings(settings: WorkerSettings): Record<string, string> {
    return {
        PRIMARY_ORIGIN: settings.primaryOrigin,
        DR_ORIGIN: settings.drOrigin,
        ORIGIN_TIMEOUT_MS: String(settings.originTimeoutMs),
        MAX_BODY_BYTES: String(settings.maxBodyBytes),
        HEALTH_PATH: settings.healthPath,
        MAINTENANCE_RETRY_AFTER: String(settings.maintenanceRetryAfterSeconds),
        SWITCH_CACHE_SECONDS: String(settings.switchCacheSeconds),
        ENVIRONMENT: settings.environment,
    };
}

/**
 * Every binding of the WorkersScript: plain_text settings, the KV namespace, and the origin
 * credential — only ever as secret_text.
 */
export function workerBindings(
    settings: WorkerSettings,
    kvNamespaceId: pulumi.Input<string>,
    originToken?: pulumi.Input<string>,
): cloudflare.types.input.WorkersScriptBinding[] {
    const bindings: cloudflare.types.input.WorkersScriptBinding[] = Object.entries(
        plainTextBindings(settings),
    ).map(([name, text]) => ({ type: "plain_text", name, text }));
    bindings.push({ type: "kv_namespace", name: switchesBinding, namespaceId: kvNamespaceId });
    if (originToken !== undefined) {
        bindings.push({ type: "secret_text", name: originTokenBinding, text: originToken });
    }
    return bindings;
}
