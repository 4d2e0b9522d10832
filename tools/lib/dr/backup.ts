import { latestPointerKey } from "../../../contracts/backups";
import { z } from "zod";
import { clockSkewMs, formatDuration } from "./targets";
import { type BackupStore, ObjectNotFound, type ObjectLocation } from "./types";

/**
 * The latest-backup pointer (`postgres/latest.json`) the postgres-backup CronJob writes after
 * each successful dump, and the freshness check DR activation runs against it.
 */
export const pointerSchema = z.object({
    /** Object key of the dump in the same bucket. */
    key: z.string().min(1),
    /** When the dump was taken, ISO-8601 UTC. */
    timestamp: z.iso.datetime({ offset: true }),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().nonnegative(),
});

export type BackupPointer = z.output<typeof pointerSchema>;

export interface BackupCheck {
    readonly pointer: BackupPointer;
    readonly pointerLocation: ObjectLocation;
    /** now − timestamp. */
    readonly ageMs: number;
    /** The dump's size as stored, when it was checked. */
    readonly storedSize?: number;
}

/**
 * Reads and validates the pointer (by default production's `postgres/latest.json`); a clear
 * error for a missing or malformed one.
 */
export async function readPointer(
    store: BackupStore,
    bucket: string,
    region: string,
    pointerKey: string = latestPointerKey,
): Promise<{ pointer: BackupPointer; location: ObjectLocation }> {
    const location = { bucket, key: pointerKey, region };
    let text: string;
    try {
        text = await store.readText(location);
    } catch (error) {
        if (error instanceof ObjectNotFound) {
            throw new Error(
                `no backup pointer at s3://${bucket}/${pointerKey}: no postgres backup has reached this bucket`,
            );
        }
        throw error;
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        throw new Error(`s3://${bucket}/${pointerKey} is not JSON`);
    }
    const parsed = pointerSchema.safeParse(json);
    if (!parsed.success) {
        const issues = parsed.error.issues.map(
            (i) => `${i.path.join(".") || "(root)"}: ${i.message}`,
        );
        throw new Error(
            `s3://${bucket}/${pointerKey} is not a backup pointer {key, timestamp, sha256, size}: ${issues.join("; ")}`,
        );
    }
    return { pointer: parsed.data, location };
}

/** Age of a pointer at `now`; rejects a timestamp too far in the future. */
export function pointerAge(pointer: BackupPointer, now: number): number {
    const taken = Date.parse(pointer.timestamp);
    const age = now - taken;
    if (age < -clockSkewMs) {
        throw new Error(
            `the latest backup is dated ${pointer.timestamp}, ${formatDuration(-age)} in the future: check the backup job's clock`,
        );
    }
    return Math.max(0, age);
}

/**
 * The full check used before activation and failback: the pointer exists and is valid, the
 * backup it names is at most `maxAgeMs` old, and the dump itself is in the bucket with the
 * size the pointer records (a pointer can replicate before its dump does).
 */
export async function checkLatestBackup(
    store: BackupStore,
    bucket: string,
    region: string,
    now: number,
    maxAgeMs: number,
    pointerKey: string = latestPointerKey,
): Promise<BackupCheck> {
    const { pointer, location } = await readPointer(store, bucket, region, pointerKey);
    const ageMs = pointerAge(pointer, now);
    if (ageMs > maxAgeMs) {
        throw new Error(
            `the latest backup (${pointer.timestamp}) is ${formatDuration(ageMs)} old, more than the allowed ${formatDuration(maxAgeMs)} (RPO)`,
        );
    }
    const storedSize = await store.size({ bucket, key: pointer.key, region });
    if (storedSize === undefined) {
        throw new Error(
            `the pointer names s3://${bucket}/${pointer.key}, which is not in the bucket (not replicated yet, or deleted)`,
        );
    }
    if (storedSize !== pointer.size) {
        throw new Error(
            `s3://${bucket}/${pointer.key} is ${storedSize} bytes but the pointer records ${pointer.size}: the copy is incomplete`,
        );
    }
    return { pointer, pointerLocation: location, ageMs, storedSize };
}
