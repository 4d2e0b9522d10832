import { backupRootOfStandby } from "./names";

/** The two node-group sizes a DR posture picks between. */
interface Sized {
    readonly minSize: number;
    readonly desiredSize: number;
    readonly activated?: { readonly minSize: number; readonly desiredSize: number };
}

/**
 * Everything that differs between a primary stack, an idle standby and an activated standby,
 * decided once. Components receive these fields; none of them reads `role` or `drActive`.
 */
export interface DrPosture {
    /** `primary`, `standby` (idle, waiting for activation) or `activated`. */
    readonly name: "primary" | "standby" | "activated";
    /** The region the edge sends traffic to while this stack is deployed. */
    readonly activeRegion: "primary" | "dr";
    /** Services run at their standby minimum instead of their production size. */
    readonly servicesAtMinimum: boolean;
    /** Node groups take their `activated` sizes. */
    readonly nodeGroupsActivated: boolean;
    /**
     * The root under which this stack writes its own backups: none on the primary (its
     * prefixes are `postgres/`, `redis/`, `app-data/`), `dr` on the dr stack, so production's
     * replication never overwrites what the dr stack wrote.
     */
    readonly backupRoot: string | undefined;
    /** Backup jobs know they run on an idle standby (the scripts skip writes there). */
    readonly backupsOnStandby: boolean;
    /**
     * The restore Job loads the latest replicated dump before any backup runs: only on an
     * activated standby whose config asks for the dump (`backups.restore.from: dump`, the
     * fallback when the WAL archive is unusable); activation otherwise promotes the standby.
     */
    readonly restoreLatestBackup: boolean;
    /**
     * An empty postgres-primary data directory starts from the WAL archive as a standby (base
     * backup, standby.signal) replaying `walSourcePrefix`: the dr stack, idle or activated
     * (docs/dr.md). Production initialises a new cluster instead.
     */
    readonly postgresStandby: boolean;
    /**
     * Where this stack's postgres servers archive WAL, in the dr region's bucket: production
     * writes `wal/` straight there (no replication delay in the RPO), the dr stack `dr/wal/`
     * once promoted.
     */
    readonly walArchivePrefix: string;
    /** What a standby (or a PITR) of this stack replays: the other stack's archive prefix. */
    readonly walSourcePrefix: string;
    /**
     * The restore Job's IAM role and policy exist. True on the whole dr stack, idle standby
     * included, so that activation creates no IAM: IAM is a global control plane whose
     * outage or eventual consistency must not delay a failover (docs/dr.md).
     */
    readonly restoreAccess: boolean;
    /**
     * The root backup-verify checks: production's replicated backups on an idle standby,
     * otherwise the stack's own.
     */
    readonly verifyRoot: string | undefined;
    /** Seconds backup-verify waits for the replicated copy to arrive (replication lag). */
    readonly verifyWaitSeconds: number;
    /**
     * This stack's own backup bucket (in the dr region) holds both continuous WAL archives:
     * the dr stack, idle or activated. Production archives into that bucket from afar, its
     * location found through the replication destination (docs/dr.md).
     */
    readonly holdsWalArchive: boolean;
    /**
     * This stack owns the DNS records of the hosts every stack's Ingresses serve
     * (`workloads.ingress.sharedHosts`): the primary stack; a standby serves them too but
     * declares no record of its own (docs/edge.md).
     */
    readonly ownsSharedHosts: boolean;
}

/** How long an idle standby's backup-verify waits for S3 replication (RTC: 15 minutes). */
const replicationWaitSeconds = 900;

/** Prefixes of the continuous WAL archives in the dr bucket (docs/dr.md). */
export const walArchivePrefixes = { production: "wal", dr: `${backupRootOfStandby}/wal` } as const;

/**
 * Turns the stack's DR role, activation flag and the activation's restore source into its
 * {@link DrPosture}. `restoreFrom` "archive" (the default) promotes the standby at
 * activation; "dump" restores the latest replicated pg_dump instead (the fallback).
 */
export function drPosture(
    role: "primary" | "standby",
    drActive: boolean,
    restoreFrom: "archive" | "dump" = "archive",
): DrPosture {
    const wal = (standby: boolean) =>
        standby
            ? {
                  walArchivePrefix: walArchivePrefixes.dr,
                  walSourcePrefix: walArchivePrefixes.production,
              }
            : {
                  walArchivePrefix: walArchivePrefixes.production,
                  walSourcePrefix: walArchivePrefixes.dr,
              };
    if (role === "primary") {
        return {
            name: "primary",
            activeRegion: "primary",
            servicesAtMinimum: false,
            nodeGroupsActivated: false,
            backupRoot: undefined,
            backupsOnStandby: false,
            restoreLatestBackup: false,
            postgresStandby: false,
            ...wal(false),
            restoreAccess: false,
            verifyRoot: undefined,
            verifyWaitSeconds: 0,
            holdsWalArchive: false,
            ownsSharedHosts: true,
        };
    }
    if (!drActive) {
        return {
            name: "standby",
            activeRegion: "primary",
            servicesAtMinimum: true,
            nodeGroupsActivated: false,
            backupRoot: backupRootOfStandby,
            backupsOnStandby: true,
            restoreLatestBackup: false,
            postgresStandby: true,
            ...wal(true),
            restoreAccess: true,
            verifyRoot: undefined,
            verifyWaitSeconds: replicationWaitSeconds,
            holdsWalArchive: true,
            ownsSharedHosts: false,
        };
    }
    return {
        name: "activated",
        activeRegion: "dr",
        servicesAtMinimum: false,
        nodeGroupsActivated: true,
        backupRoot: backupRootOfStandby,
        backupsOnStandby: false,
        restoreLatestBackup: restoreFrom === "dump",
        // Unchanged at activation, so the pod template does not roll: tools/dr promotes the
        // running standby (ops/wal-promote.sh) and its data directory keeps it a primary;
        // the flag only decides what an empty data directory becomes.
        postgresStandby: true,
        ...wal(true),
        restoreAccess: true,
        verifyRoot: backupRootOfStandby,
        verifyWaitSeconds: 0,
        holdsWalArchive: true,
        ownsSharedHosts: false,
    };
}

/** The node-group sizes to deploy: each group's `activated` sizes when the posture says so. */
export function nodeGroupSizes<G extends Record<string, Sized>>(
    groups: G,
    posture: Pick<DrPosture, "nodeGroupsActivated">,
): G {
    if (!posture.nodeGroupsActivated) return groups;
    return Object.fromEntries(
        Object.entries(groups).map(([name, group]) => [name, { ...group, ...group.activated }]),
    ) as G;
}
