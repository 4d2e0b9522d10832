import { configKeys } from "../../contracts/stack-outputs";
import type { EdgeState } from "../../tools/lib/dr/edge";
import {
    type BackupStore,
    type Clock,
    type DatabaseControl,
    type DrDeps,
    type DrStack,
    type DrWorkspace,
    type HttpGet,
    type ObjectLocation,
    ObjectNotFound,
    productionKeyOf,
    StackNotFound,
    type UpdateInfo,
} from "../../tools/lib/dr/types";

/**
 * Fakes for the DR procedures: a world of two stacks, two buckets and an edge, where every
 * call is written to one journal so tests can assert the exact order of the steps. The dr
 * stack's `up` behaves like the real program: the EdgeSwitch sets the edge's region from
 * the flag (visible after `edgeLagPolls` polls, like KV propagation).
 */
export const now = Date.parse("2026-11-21T12:00:00Z");
const minute = 60_000;

export function isoAgo(ms: number): string {
    return new Date(now - ms).toISOString();
}

export interface WorldOptions {
    readonly drExists?: boolean;
    readonly productionReachable?: boolean;
    readonly drRole?: string;
    readonly drActive?: boolean;
    readonly deployedDrActive?: boolean;
    /** Age of the newest backup in the dr bucket. */
    readonly backupAgeMs?: number;
    readonly pointer?: string | null;
    /**
     * Age of the dr stack's own newest backup (`dr/postgres/latest.json`, written when DR is
     * active). @default backupAgeMs
     */
    readonly ownBackupAgeMs?: number;
    readonly dumpInDrBucket?: boolean;
    readonly dumpInProductionBucket?: boolean | number;
    readonly drEdgeOutput?: boolean;
    readonly productionEdgeOutput?: boolean;
    readonly upFails?: string;
    readonly productionUpFails?: string;
    /** The edge never follows the switch. */
    readonly edgeStuck?: boolean;
    readonly edgeLagPolls?: number;
    readonly edgeMaintenance?: boolean;
    /** The active region's origin does not answer: the Worker says 503. */
    readonly originDown?: boolean;
    /** `checkCanUpdate` of the dr stack fails with this message. */
    readonly cannotUpdate?: string;
    /** The dr stack's last update result. @default "succeeded" */
    readonly drLastUpdate?: string;
    /** ops/wal-promote.sh fails with this message (e.g. a gap in the archive). */
    readonly promoteFails?: string;
}

export const dumpKey = "postgres/hourly/20261121T114000Z/mcp_db.dump";
export const dumpSize = 123_456;
/** The dr stack's own backups live under `dr/` (components/data/backup-policies.ts). */
export const drDumpKey = "dr/postgres/hourly/20261121T114000Z/mcp_db.dump";

export class World {
    readonly journal: string[] = [];
    readonly lines: string[] = [];
    readonly objects = new Map<string, string | number>();
    edge: EdgeState;
    private pendingRegion?: { region: EdgeState["activeRegion"]; afterPolls: number };
    readonly dr: FakeStack;
    readonly production: FakeStack;
    clockNow = now;

    constructor(readonly options: WorldOptions = {}) {
        const drActive = options.drActive ?? false;
        this.dr = new FakeStack(
            this,
            "dr",
            {
                [configKeys.region]: "us-west-2",
                [configKeys.role]: options.drRole ?? "standby",
                [configKeys.drActive]: String(drActive),
            },
            {
                backupBucketName: "mcp-backups-dr-1a2b",
                kubeconfig: "apiVersion: v1\nkind: Config\n",
                drActive: options.deployedDrActive ?? drActive,
                ...(options.drEdgeOutput ? { edgeHostname: "edge.mcp-production.com" } : {}),
            },
            options.upFails,
        );
        this.production = new FakeStack(
            this,
            "production",
            { [configKeys.region]: "us-east-1", [configKeys.role]: "primary" },
            {
                backupBucketName: "mcp-backups-prod-9z8y",
                kubeconfig: "apiVersion: v1\nkind: Config\n",
                drActive: false,
                ...(options.productionEdgeOutput === false
                    ? {}
                    : { edgeHostname: "edge.mcp-production.com" }),
            },
            options.productionUpFails,
        );
        this.edge = {
            activeRegion: (options.deployedDrActive ?? drActive) ? "dr" : "primary",
            maintenance: options.edgeMaintenance ?? false,
            serving: !options.originDown,
        };
        const pointer =
            options.pointer === undefined
                ? JSON.stringify({
                      key: dumpKey,
                      timestamp: isoAgo(options.backupAgeMs ?? 20 * minute),
                      sha256: "a".repeat(64),
                      size: dumpSize,
                  })
                : options.pointer;
        if (pointer !== null) this.objects.set("mcp-backups-dr-1a2b/postgres/latest.json", pointer);
        if (options.dumpInDrBucket ?? true)
            this.objects.set(`mcp-backups-dr-1a2b/${dumpKey}`, dumpSize);
        if (drActive) {
            // Once active, DR's own postgres-backup writes under dr/, beside production's copy.
            this.objects.set(
                "mcp-backups-dr-1a2b/dr/postgres/latest.json",
                JSON.stringify({
                    key: drDumpKey,
                    timestamp: isoAgo(options.ownBackupAgeMs ?? options.backupAgeMs ?? 20 * minute),
                    sha256: "b".repeat(64),
                    size: dumpSize,
                }),
            );
            this.objects.set(`mcp-backups-dr-1a2b/${drDumpKey}`, dumpSize);
        }
        const inProduction = options.dumpInProductionBucket ?? false;
        if (inProduction !== false) {
            this.objects.set(
                `mcp-backups-prod-9z8y/${drActive ? productionKeyOf(drDumpKey) : dumpKey}`,
                inProduction === true ? dumpSize : inProduction,
            );
        }
    }

    /** Called by the dr stack's up: the EdgeSwitch writes the KV entry. */
    switchEdge(region: EdgeState["activeRegion"]): void {
        if (this.options.edgeStuck) return;
        this.pendingRegion = { region, afterPolls: this.options.edgeLagPolls ?? 0 };
    }

    readonly workspace: DrWorkspace = {
        selectStack: async (name) => {
            this.journal.push(`select ${name}`);
            if (name === "dr" && this.options.drExists === false) throw new StackNotFound(name);
            if (name === "production" && this.options.productionReachable === false) {
                throw new Error("connect: connection refused (state backend)");
            }
            if (name === "dr") return this.dr;
            if (name === "production") return this.production;
            throw new StackNotFound(name);
        },
    };

    readonly store: BackupStore = {
        readText: async (location: ObjectLocation) => {
            this.journal.push(`s3 read ${location.bucket}/${location.key} (${location.region})`);
            const value = this.objects.get(`${location.bucket}/${location.key}`);
            if (value === undefined) throw new ObjectNotFound(location);
            return String(value);
        },
        size: async (location: ObjectLocation) => {
            this.journal.push(`s3 head ${location.bucket}/${location.key} (${location.region})`);
            const value = this.objects.get(`${location.bucket}/${location.key}`);
            if (value === undefined) return undefined;
            return typeof value === "number" ? value : Buffer.byteLength(value);
        },
    };

    readonly database: DatabaseControl = {
        promote: async (kubeconfig, stack) => {
            this.journal.push(`${stack} promote postgres-primary-0`);
            if (typeof kubeconfig !== "string")
                throw new Error(`stack "${stack}" has no output "kubeconfig"`);
            if (this.options.promoteFails) throw new Error(this.options.promoteFails);
            return "promoted: the server accepts writes";
        },
    };

    readonly http: HttpGet = async (url) => {
        this.journal.push(`GET ${url}`);
        if (this.pendingRegion) {
            if (this.pendingRegion.afterPolls <= 0) {
                this.edge = { ...this.edge, activeRegion: this.pendingRegion.region };
                this.pendingRegion = undefined;
            } else {
                this.pendingRegion.afterPolls--;
            }
        }
        return {
            status: this.edge.serving ? 200 : 503,
            body: JSON.stringify({
                status: this.edge.serving ? "ok" : "down",
                activeRegion: this.edge.activeRegion,
                maintenance: this.edge.maintenance,
                origins: { primary: { healthy: true }, dr: { healthy: true } },
            }),
        };
    };

    readonly clock: Clock = {
        now: () => this.clockNow,
        sleep: async (ms) => {
            this.journal.push(`sleep ${ms}`);
            this.clockNow += ms;
        },
    };

    deps(): DrDeps {
        return {
            workspace: this.workspace,
            store: this.store,
            database: this.database,
            http: this.http,
            clock: this.clock,
            log: (line) => this.lines.push(line),
        };
    }

    /** The journal without the reads that do not change anything, for order assertions. */
    actions(): string[] {
        return this.journal.filter((e) => !/ (config|outputs)$/.test(e));
    }
}

export class FakeStack implements DrStack {
    constructor(
        private readonly world: World,
        readonly name: string,
        readonly cfg: Record<string, string>,
        readonly outs: Record<string, unknown>,
        private readonly upFails?: string,
    ) {}

    async config() {
        this.world.journal.push(`${this.name} config`);
        return { ...this.cfg };
    }

    async setDrActive(active: boolean) {
        this.world.journal.push(`${this.name} setDrActive(${active})`);
        this.cfg[configKeys.drActive] = String(active);
    }

    async outputs() {
        this.world.journal.push(`${this.name} outputs`);
        return { ...this.outs };
    }

    async up(onOutput: (text: string) => void) {
        this.world.journal.push(`${this.name} up`);
        onOutput(`Updating (${this.name})\n`);
        this.world.clockNow += 4 * minute;
        if (this.upFails) throw new Error(this.upFails);
        if (this.name === "dr") {
            const active = this.cfg[configKeys.drActive] === "true";
            this.outs.drActive = active;
            this.world.switchEdge(active ? "dr" : "primary");
        }
        return { resourceChanges: { update: 7, create: 1, same: 180 } };
    }

    async lastUpdate(): Promise<UpdateInfo> {
        const result =
            this.name === "dr" ? (this.world.options.drLastUpdate ?? "succeeded") : "succeeded";
        return { kind: "update", result, endTime: isoAgo(3 * 60 * minute) };
    }

    async checkCanUpdate() {
        this.world.journal.push(`${this.name} checkCanUpdate`);
        if (this.name === "dr" && this.world.options.cannotUpdate) {
            throw new Error(this.world.options.cannotUpdate);
        }
    }
}
