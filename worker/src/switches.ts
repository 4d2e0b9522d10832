import type { Region } from "./env";

/**
 * The two switches held in the KV namespace bound as `SWITCHES`.
 *
 * - `active-region`: `"primary"` (default) or `"dr"`. Owned by the dr stack (EdgeSwitch); DR
 *   activation sets it to `"dr"` and from then on the primary origin is never contacted.
 * - `maintenance`: `"on"` or `"off"` (default). Owned by the production stack.
 *
 * A missing key means the default. A value that is neither is treated as the default and
 * reported in `problems` (shown on /health/detailed), so a typo never takes the site down.
 *
 * An isolate reuses what it read for `SWITCH_CACHE_SECONDS` (KV itself propagates a write
 * worldwide within about a minute); /health/detailed and /status always read afresh and
 * refresh that copy, so the isolate answering them reports what it acts on.
 */
export const activeRegionKey = "active-region";
export const maintenanceKey = "maintenance";

export interface Switches {
    readonly activeRegion: Region;
    readonly maintenance: boolean;
    /** Unreadable or unrecognised switch values, by key. */
    readonly problems: readonly string[];
}

export async function readSwitches(kv: KVNamespace): Promise<Switches> {
    const problems: string[] = [];
    const read = async (key: string): Promise<string | null> => {
        try {
            return await kv.get(key);
        } catch {
            problems.push(`${key}: unreadable`);
            return null;
        }
    };
    const [region, maintenance] = await Promise.all([read(activeRegionKey), read(maintenanceKey)]);
    let activeRegion: Region = "primary";
    if (region === "dr") activeRegion = "dr";
    else if (region !== null && region !== "primary")
        problems.push(`${activeRegionKey}: unknown value`);
    if (maintenance !== null && maintenance !== "on" && maintenance !== "off") {
        problems.push(`${maintenanceKey}: unknown value`);
    }
    return { activeRegion, maintenance: maintenance === "on", problems };
}

let cached: { readonly value: Switches; readonly expires: number } | undefined;

/** The switches, from this isolate's copy while it is younger than `ttlMs`. */
export async function currentSwitches(
    kv: KVNamespace,
    ttlMs: number,
    fresh = false,
): Promise<Switches> {
    const now = Date.now();
    if (!fresh && cached && now < cached.expires) return cached.value;
    const value = await readSwitches(kv);
    // An unreadable switch is retried on the next request rather than remembered.
    cached = value.problems.some((p) => p.endsWith("unreadable"))
        ? undefined
        : { value, expires: now + ttlMs };
    return value;
}
