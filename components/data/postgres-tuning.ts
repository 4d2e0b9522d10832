import { memoryBytes } from "../../contracts/quantity";

/**
 * The PostgreSQL tuning of the operations procedures (database optimization), scaled to
 * the container.
 *
 * The manual's values are for a 16 GB server: shared_buffers 4GB, effective_cache_size 12GB,
 * maintenance_work_mem 1GB, wal_buffers 16MB, checkpoint_completion_target 0.9,
 * default_statistics_target 100, random_page_cost 1.1, effective_io_concurrency 200. A pod
 * with a smaller memory limit must not get a fixed 4GB of shared buffers (it would be killed
 * on its first busy hour), so the memory settings keep the manual's proportions of the
 * container's memory limit: 16Gi gives exactly the manual's figures, 2Gi gives 512MB /
 * 1536MB / 128MB. The rest are the manual's constants.
 */

const mb = 2 ** 20;
const gb = 2 ** 30;

export interface PostgresTuningInput {
    /** The postgres container's memory limit, as a Kubernetes quantity ("16Gi"). */
    readonly memoryLimit: string;
    /** max_connections; work_mem is shared out between them. */
    readonly maxConnections: number;
    /** PVC size; bounds the WAL a lagging replica's slot may retain. */
    readonly storageSize: string;
}

/** Settings as PostgreSQL reads them (`-c name=value`), in a stable order. */
export type PostgresSettings = Readonly<Record<string, string>>;

/** Bytes as a PostgreSQL memory setting: whole GB when exact, else whole MB (rounded down). */
export function formatPgMemory(bytes: number): string {
    if (bytes >= gb && bytes % gb === 0) return `${bytes / gb}GB`;
    return `${Math.max(1, Math.floor(bytes / mb))}MB`;
}

/** Rounds down to a whole MB (PostgreSQL's unit for these settings is 8kB or kB). */
function wholeMb(bytes: number): number {
    return Math.floor(bytes / mb) * mb;
}

export function postgresTuning(input: PostgresTuningInput): PostgresSettings {
    const memory = memoryBytes(input.memoryLimit);
    if (memory < 256 * mb) {
        throw new Error(
            `postgres memory limit ${input.memoryLimit} is too small (at least 256Mi is needed)`,
        );
    }
    if (!Number.isInteger(input.maxConnections) || input.maxConnections < 1) {
        throw new Error(`max_connections must be a positive integer (got ${input.maxConnections})`);
    }
    // The manual's 16 GB: 4GB (1/4), 12GB (3/4), 1GB (1/16), capped at 2GB like pgtune.
    const sharedBuffers = wholeMb(memory / 4);
    const effectiveCacheSize = wholeMb((memory * 3) / 4);
    const maintenanceWorkMem = Math.min(wholeMb(memory / 16), 2 * gb);
    // 16MB (the manual) unless shared_buffers is small: PostgreSQL's own rule, 1/32 of it.
    const walBuffers = Math.min(16 * mb, wholeMb(sharedBuffers / 32) || mb);
    // What is left after shared buffers, shared by every connection running ~3 sort/hash nodes;
    // at least the PostgreSQL default of 4MB.
    const workMem = Math.max(
        4 * mb,
        wholeMb((memory - sharedBuffers) / (input.maxConnections * 3)),
    );
    // A replica that stops streaming must not fill the primary's disk: at most 20 % of it.
    const maxSlotWalKeep = wholeMb(memoryBytes(input.storageSize) / 5);

    return {
        max_connections: String(input.maxConnections),
        shared_buffers: formatPgMemory(sharedBuffers),
        effective_cache_size: formatPgMemory(effectiveCacheSize),
        maintenance_work_mem: formatPgMemory(maintenanceWorkMem),
        work_mem: formatPgMemory(workMem),
        wal_buffers: formatPgMemory(walBuffers),
        checkpoint_completion_target: "0.9",
        default_statistics_target: "100",
        random_page_cost: "1.1",
        effective_io_concurrency: "200",
        max_slot_wal_keep_size: formatPgMemory(maxSlotWalKeep),
    };
}

/** The settings as server arguments: `["-c", "shared_buffers=4GB", ...]`. */
export function settingsArgs(settings: PostgresSettings): string[] {
    return Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
}
