/**
 * The small interfaces the DR orchestration talks to. The real implementations wrap the
 * Pulumi Automation API (pulumi-workspace.ts), the AWS CLI (aws-cli-store.ts) and `fetch`
 * (http.ts); tests inject fakes that record every call, so the order of the steps and the
 * stop on each failure are checked without a Pulumi CLI or a cloud account.
 */

/**
 * Where a DR backup goes in the production bucket for failback: the same path without the
 * `dr/` root, i.e. under `postgres/`, the prefix production's backup role (whose Job template
 * restores it) may read.
 */
export function productionKeyOf(drKey: string): string {
    return drKey.startsWith("dr/") ? drKey.slice("dr/".length) : drKey;
}

/** One stack of the project, as the DR procedure needs it. */
export interface DrStack {
    /** As given to `selectStack`, e.g. `dr` or `my-org/dr`. */
    readonly name: string;
    /**
     * The stack's configuration as `pulumi config` shows it: fully qualified keys, values as
     * strings (structured values JSON-encoded). Secrets are not needed here and may be absent.
     */
    config(): Promise<Record<string, string>>;
    /** Writes `mcp-platform:drActive: <active>` (a YAML boolean) into the stack's file. */
    setDrActive(active: boolean): Promise<void>;
    /** The outputs of the last update (plain values; secrets are returned as given). */
    outputs(): Promise<Record<string, unknown>>;
    /** `pulumi up` with the policy pack; resolves only when the update succeeded. */
    up(onOutput: (text: string) => void): Promise<UpSummary>;
    /** The last update's result, or undefined when the stack was never updated. */
    lastUpdate(): Promise<UpdateInfo | undefined>;
    /**
     * Throws with what is missing when `up` cannot run from here (e.g. the policy pack's
     * dependencies are not installed), so the preflight fails before anything changes.
     */
    checkCanUpdate?(): Promise<void>;
}

export interface UpSummary {
    /** e.g. `{ create: 2, update: 5, same: 180 }`. */
    readonly resourceChanges: Readonly<Record<string, number>>;
}

export interface UpdateInfo {
    readonly kind: string;
    readonly result: string;
    readonly endTime?: string;
}

/** Opens stacks of the project. */
export interface DrWorkspace {
    /** Throws {@link StackNotFound} when the stack does not exist in the backend. */
    selectStack(name: string): Promise<DrStack>;
}

export class StackNotFound extends Error {
    constructor(readonly stack: string) {
        super(`stack "${stack}" does not exist`);
        this.name = "StackNotFound";
    }
}

/** Read access to the backup buckets. */
export interface BackupStore {
    /** The object's text; throws {@link ObjectNotFound} when there is none. */
    readText(location: ObjectLocation): Promise<string>;
    /** The object's size in bytes, or undefined when there is none. */
    size(location: ObjectLocation): Promise<number | undefined>;
}

export interface ObjectLocation {
    readonly bucket: string;
    readonly key: string;
    readonly region: string;
}

export class ObjectNotFound extends Error {
    constructor(readonly location: ObjectLocation) {
        super(`s3://${location.bucket}/${location.key} does not exist`);
        this.name = "ObjectNotFound";
    }
}

/** One HTTP GET; rejects on network errors and on the timeout. */
export type HttpGet = (url: string, timeoutMs: number) => Promise<HttpResponse>;

export interface HttpResponse {
    readonly status: number;
    readonly body: string;
}

/** Time, injectable so tests run a 5-minute poll in microseconds. */
export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A stack's postgres-primary-0, reached with kubectl through the stack's kubeconfig output:
 * activation promotes the dr standby that replays production's WAL archive
 * (ops/wal-promote.sh, docs/dr.md); failback promotes production once it has been re-seeded
 * from dr's archive.
 */
export interface DatabaseControl {
    /**
     * Runs ops/wal-promote.sh in the postgres container of postgres-primary-0 of the cluster
     * `kubeconfig` reaches. Resolves with the script's last message (already a primary, or
     * promoted); rejects with its error (e.g. a gap in the archive) and changes nothing then.
     */
    promote(kubeconfig: unknown, stack: string): Promise<string>;
}

/** Everything the procedures need from the outside world. */
export interface DrDeps {
    readonly workspace: DrWorkspace;
    readonly store: BackupStore;
    readonly database: DatabaseControl;
    readonly http: HttpGet;
    readonly clock: Clock;
    /** Progress lines for the operator (stdout in the CLI). */
    readonly log: (line: string) => void;
}

/**
 * A failed step: which one, what went wrong and what the operator does next. The CLI prints
 * the three parts and exits 1; nothing after the failed step has run.
 */
export class DrStepError extends Error {
    constructor(
        readonly step: string,
        readonly problem: string,
        readonly remedy: string,
    ) {
        super(`${step}: ${problem}`);
        this.name = "DrStepError";
    }
}
