import { memoryBytes } from "../../contracts/quantity";
import type { PodWalArchive } from "./postgres-pods";

/** What WAL archiving and a standby start change in the Postgres StatefulSets (postgres.ts). */

/**
 * Whether `pulumi up` waits for the Postgres StatefulSets to become Ready. Not where
 * postgres-primary starts as a standby of another stack's archive (the dr stack, production
 * while re-seeded): on a first deploy that archive holds no base backup yet, the server waits
 * for one (running, alive, not Ready: ops/postgres-start.sh) and the deploy must not fail
 * waiting for it; readiness there is watched by PostgresDown and PostgresStandbyReplayLagging.
 * Everywhere else a server that does not become Ready fails the update, as it should.
 */
export function awaitReadiness(walArchive: Pick<PodWalArchive, "standby"> | undefined): boolean {
    return !(walArchive?.standby ?? false);
}

/** MiB of WAL backlog allowed: `percent` of the volume, in whole 16 MiB segments, at least one. */
export function walBacklogMb(storageSize: string, percent: number): number {
    if (!Number.isFinite(percent) || percent <= 0 || percent > 50) {
        throw new Error(`maxBacklogPercent must be in (0, 50] (got ${percent})`);
    }
    const mib = (memoryBytes(storageSize) * percent) / 100 / 2 ** 20;
    return Math.max(16, Math.floor(mib / 16) * 16);
}
