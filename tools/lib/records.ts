/**
 * What the offline synth records for every registered resource, and how Pulumi's wire
 * markers (secrets, resource references) are turned into plain JSON for the outputs.
 */

/** One registered resource, as written to `out/<stack>/resources.json`. */
export interface ResourceRecord {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** URN of the parent resource; the stack itself for top-level resources. */
    readonly parent?: string;
    /** URN of the explicit provider, when one was passed. */
    readonly provider?: string;
    readonly custom: boolean;
    /** Inputs as declared; secret values are replaced by {@link redacted}. */
    readonly inputs: Record<string, unknown>;
    /**
     * Inputs as `pulumi preview --policy-pack` hands them to a policy: secrets unwrapped
     * (@pulumi/policy unwraps them), so a policy sees the shape the redaction hides (which
     * Worker binding is plain_text). In memory only and not enumerable: never written to
     * out/, never in a JSON.stringify of the record.
     */
    readonly policyInputs?: Record<string, unknown>;
    /** The resource options the engine receives; only those that were set. */
    readonly options?: ResourceOptionsRecord;
}

/**
 * The options that decide what an update or a delete does to a resource, as the SDK sends
 * them to the engine (a child inherits `protect` from its parent there, so it is recorded
 * as inherited).
 */
export interface ResourceOptionsRecord {
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    /** Set only when the program chose a value (`true` or an explicit `false`). */
    readonly deleteBeforeReplace?: boolean;
    readonly ignoreChanges?: string[];
    /**
     * URNs of every resource this one waits for: its `dependsOn` (a component expanded to its
     * resources) and those its inputs come from.
     */
    readonly dependencies?: string[];
    /** Former identities: an alias URN, or an alias spec (name, type, parent URN…). */
    readonly aliases?: unknown[];
    readonly customTimeouts?: { create?: string; update?: string; delete?: string };
}

export const redacted = "[secret]";

// Signatures Pulumi uses on the wire (sdk/nodejs/runtime/rpc.ts).
const specialSigKey = "4dabf18193072939515e22adb298388d";
const secretSig = "1b47061264138c4ac30d75fd1eb44270";
const resourceReferenceSig = "5cf8f73096256a8f31e491e813e4eb8e";

/** Replaces secret markers with {@link redacted} and resource references with their URN. */
export function toPlainJson(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(toPlainJson);
    if (value === null || typeof value !== "object") return value;
    const object = value as Record<string, unknown>;
    if (object[specialSigKey] === secretSig) return redactLeaves(object.value);
    if (object[specialSigKey] === resourceReferenceSig) return object.urn;
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(object)) {
        if (entry !== undefined) out[key] = toPlainJson(entry);
    }
    return out;
}

/** Secret markers unwrapped (the value a policy sees) and resource references as their URN. */
export function revealSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(revealSecrets);
    if (value === null || typeof value !== "object") return value;
    const object = value as Record<string, unknown>;
    if (object[specialSigKey] === secretSig) return revealSecrets(object.value);
    if (object[specialSigKey] === resourceReferenceSig) return object.urn;
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(object)) {
        if (entry !== undefined) out[key] = revealSecrets(entry);
    }
    return out;
}

/**
 * A secret value with every leaf replaced by {@link redacted}: a secret map keeps its keys
 * (`stringData: { jwt-secret: "[secret]" }`), so manifests keep their shape and stay
 * schema-valid, and nothing secret is written.
 */
function redactLeaves(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redactLeaves);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactLeaves(v)]),
        );
    }
    return redacted;
}

/** True when the inputs contain a value that was declared secret. */
export function containsSecret(value: unknown): boolean {
    if (Array.isArray(value)) return value.some(containsSecret);
    if (value === null || typeof value !== "object") return false;
    const object = value as Record<string, unknown>;
    if (object[specialSigKey] === secretSig) return true;
    return Object.values(object).some(containsSecret);
}

/**
 * The mock monitor qualifies top-level types with the stack's type; the engine does not, so
 * drop it to record the URNs users see in `pulumi up`.
 */
export function engineUrn(urn: string): string {
    return urn.replace("::pulumi:pulumi:Stack$", "::");
}
