import { z } from "zod";
import { redisMinSentinelDownAfterMilliseconds } from "../contracts/data";
import { memoryBytes } from "../contracts/quantity";
import { containerResources, parsedQuantity } from "./lib/resources";
import { memoryQuantity, pinnedImage } from "./lib/validators";

/**
 * `mcp-platform:data` — the data layer in mcp-production (docs/data.md): the postgres-primary
 * and postgres-replica StatefulSets and the redis StatefulSet (replicas and Sentinel), their
 * images, sizes and storage. Names, users and ports are fixed by the manuals and are not configurable.
 */

/** A PVC size such as "200Gi" (at least 1Gi). */
const volumeSize = memoryQuantity.refine((q) => (parsedQuantity(memoryBytes, q) ?? 0) >= 2 ** 30, {
    message: 'expected a volume size of at least 1Gi such as "100Gi"',
});

/**
 * Continuous WAL archiving with barman-cloud (docs/data.md, "WAL archive"; docs/dr.md): the
 * servers run an image that contains it, archive every segment and at least every
 * `timeoutSeconds`, and their base-backup sidecar takes the physical base backups a standby
 * starts from. Archiving is on once the archive's location is known (production: once
 * `backups.replication` names the dr stack); the image is the servers' from the first deploy.
 */
export const walArchiveSchema = z.strictObject({
    /**
     * PostgreSQL 15 image containing barman-cloud (barman-cloud-wal-archive, -wal-restore,
     * -backup, -restore, -backup-list) and python3-boto3: runs postgres-primary,
     * postgres-replica, their base-backup sidecar and postgres-base-backup-check, from the
     * first deploy on — before archiving is configured too, so the data directory is created
     * and always opened by the same user. Its `postgres` user is UID 26.
     */
    image: pinnedImage,
    /**
     * archive_timeout in seconds: a committed transaction reaches the archive within this
     * (plus one upload), which bounds the RPO of a DR activation. @default 30
     */
    timeoutSeconds: z.number().int().min(1).max(60).default(30),
    /**
     * Days the archive keeps base backups and WAL (S3 lifecycle; the furthest back a
     * point-in-time recovery can go). @default 7
     */
    retentionDays: z.number().int().min(2).max(35).default(7),
    /**
     * Hours between base backups (the base-backup sidecar of postgres-primary); at most a
     * day, because a standby or a PITR replays all WAL since the base backup it starts
     * from. @default 24
     */
    baseBackupIntervalHours: z.number().int().min(1).max(24).default(24),
    /**
     * Production, during a failback only: an empty postgres-primary data directory starts as
     * a standby of the dr stack's archive (`dr/wal`) instead of a new cluster, so it can be
     * re-seeded from dr and promoted (docs/dr.md, "Failback by re-seeding"). The dr stack
     * always starts so. @default false
     */
    reseedFromDr: z.boolean().default(false),
    /**
     * Share of the PVC (`storageSize`), in percent, that WAL segments waiting for an
     * unreachable archive (the dr region's S3 or KMS down) may take in pg_wal. Beyond it, or
     * with the volume 90 % full, archive_command drops segments from the archive and records
     * the gap, so the outage never fills the primary's disk; the base-backup sidecar then takes
     * a new base backup and the dr standby is re-armed from it (docs/dr.md, "When the archive
     * is unreachable"). At 200Gi the default is 20 GiB, hours of WAL. @default 10
     */
    maxBacklogPercent: z.number().int().min(1).max(50).default(10),
});

export const postgresSchema = z.strictObject({
    /**
     * PostgreSQL 15 image of the dump, verify and restore jobs (pg_dump/pg_restore). They
     * reach the servers over the network and keep their data on their own emptyDirs, so their
     * user (the official image's UID 999) never touches the servers' files; the servers run
     * `archive.image`.
     */
    image: pinnedImage,
    /** postgres_exporter sidecar image. */
    exporterImage: pinnedImage,
    /**
     * Requests and limits of the postgres container. The PostgreSQL tuning scales with the
     * memory limit (shared_buffers 25 %, effective_cache_size 75 %, ...).
     */
    resources: containerResources,
    /** PVC size of each server (encrypted gp3). */
    storageSize: volumeSize,
    /** Number of postgres-replica pods (hot standbys streaming from the primary). @default 1 */
    replicas: z.number().int().min(0).max(5).default(1),
    /** max_connections. @default 200 */
    maxConnections: z.number().int().min(20).max(5000).default(200),
    /** Continuous WAL archiving (see {@link walArchiveSchema}). */
    archive: walArchiveSchema,
});

/** HAProxy of the Redis primary-following proxy: the release Debian 12's tests run. */
export const defaultRedisProxyImage = "haproxy:2.6.12";

export const redisSchema = z.strictObject({
    /** Redis 7 image (also runs redis-cli in the backup job). */
    image: pinnedImage,
    /** redis_exporter sidecar image. */
    exporterImage: pinnedImage,
    /**
     * HAProxy image of `redis-proxy`, behind the Service `redis` that follows the primary.
     * @default haproxy:2.6.12 (the release Debian 12 ships, which the tests run)
     */
    proxyImage: pinnedImage.default(defaultRedisProxyImage),
    resources: containerResources,
    /**
     * Pods of the redis StatefulSet, each a redis-server and a redis-sentinel: redis-0 starts as
     * the primary, the others as its replicas. At least 3, so a majority of Sentinels survives
     * the loss of one pod (docs/data.md). @default 3
     */
    replicas: z.number().int().min(3).max(7).default(3),
    /**
     * How long the primary must be unreachable before the Sentinels fail over. At least
     * {@link redisMinSentinelDownAfterMilliseconds}: a shorter one fails a just-promoted primary
     * over again when it is slow for a moment (docs/data.md). @default 5000
     */
    sentinelDownAfterMilliseconds: z
        .number()
        .int()
        .min(redisMinSentinelDownAfterMilliseconds)
        .max(60000)
        .default(5000),
    /** PVC size of each pod (AOF and RDB files). */
    storageSize: volumeSize,
    /** maxmemory-policy once maxmemory is reached. @default "allkeys-lru" (the cache is LRU) */
    maxmemoryPolicy: z
        .enum([
            "noeviction",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ])
        .default("allkeys-lru"),
    /**
     * maxmemory as a share of the memory limit; the rest is headroom for the fork that writes
     * RDB snapshots and rewrites the AOF. @default 70
     */
    maxmemoryPercent: z.number().int().min(10).max(90).default(70),
});

export const dataSchema = z.strictObject({
    /** StorageClass of every PVC (the encrypted gp3 class the cluster creates). @default "gp3" */
    storageClass: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/, {
            message: "expected a StorageClass name such as gp3",
        })
        .default("gp3"),
    postgres: postgresSchema,
    redis: redisSchema,
});
