import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { configKeys } from "../../contracts/stack-outputs";
import { main as drMain } from "../../tools/dr";
import { AwsCliBackupStore } from "../../tools/lib/dr/aws-cli-store";
import { fetchGet } from "../../tools/lib/dr/http";
import { PulumiWorkspace } from "../../tools/lib/dr/pulumi-workspace";
import type { StatusReport } from "../../tools/lib/dr/status";
import type { DatabaseControl, DrDeps, DrStack, DrWorkspace } from "../../tools/lib/dr/types";
import { startEdge, startOrigin, type TestEdge, type TestOrigin } from "../worker/support";
import type { ControlPlane } from "./apiserver";
import { testSigningKey } from "./backup-signing";
import { autoscalerSizes, type Check } from "./e2e-checks";
import { edgeSwitchOutput } from "./e2e-program";
import type { Engine } from "./e2e-stack";
import { runScript, scriptPath, tempDir } from "./ops";
import { type LabServer, startWalLab, type WalLab } from "./wal-lab";
import {
    baseBackup,
    baseBackupIds,
    lastError,
    pgEnv,
    startSidecar,
    stopped,
    switchAndArchive,
    waitFor,
} from "./wal-steps";

/**
 * The DR switch as operators run it, on the real CLI: `npm run dr -- status | activate |
 * failback` (tools/dr.ts `main`, the same entry point) with the real ports of the tool —
 * {@link PulumiWorkspace} driving the Go-built CLI on the e2e stacks (the in-cluster layer as
 * an inline program, the pack as an executable file), {@link AwsCliBackupStore} reading the
 * dr bucket, `fetch` against the edge Worker — except where the cloud is needed:
 *
 * - **the database** ({@link DatabaseControl}): production's and dr's postgres-primary-0 are
 *   fake pods under kwok, so the tool's promote/re-arm calls run ops/wal-promote.sh and
 *   ops/wal-rearm.sh against a real PostgreSQL WAL standby that replays a real primary's
 *   archive in S3 (test/support/wal-lab.ts, the `bench:dr` machinery), in the bucket the dr
 *   stack exports; the restart that follows a re-arm is the kubelet's, done here;
 * - **the edge switch**: the Worker runs in workerd with its KV; the dr stack's EdgeSwitch is
 *   a Cloudflare resource and the Cloudflare provider cannot be built here, so after each
 *   successful `up` of the dr stack the value the program hands EdgeSwitch (its
 *   `edgeSwitchActiveRegion` output) is written to the `active-region` KV entry, which is what
 *   the provider's WorkersKv write does. The tool then reads the Worker's /health/detailed.
 * - **the fallback dump** the activation checks is taken by ops/backup-postgres.sh from the
 *   real primary straight into the dr bucket (S3 replication is AWS's).
 */

type Obj = Record<string, any>;

export interface DrSwitchInputs {
    readonly engine: Engine;
    /** Each stack's inline program. */
    readonly programs: Readonly<Record<"production" | "dr", () => PulumiFn>>;
    /** The pack's config every `up` of the e2e stacks uses. */
    readonly policyConfig: Readonly<Record<string, unknown>>;
    readonly planes: Readonly<Record<"production" | "dr", ControlPlane>>;
    readonly check: Check;
    readonly log: (line: string) => void;
    readonly timed: <T>(name: string, f: () => Promise<T>) => Promise<T>;
}

export interface DrSwitchResult {
    readonly activateSeconds: number;
    readonly failbackSeconds: number;
    /** Whether a failing activation step stopped the tool (exit 1, nothing changed). */
    readonly failedActivationRefused: boolean;
}

const stacks = { production: "production", dr: "dr" } as const;

export async function runDrSwitch(inputs: DrSwitchInputs): Promise<DrSwitchResult> {
    const { engine, check, log, timed } = inputs;
    const drFile = path.join(engine.dir, `Pulumi.${stacks.dr}.yaml`);
    const workspace = new PulumiWorkspace(engine.dir, {
        // One program serving both stacks: the CLI runs it for the stack it updates.
        program: async () => inputs.programs[pulumi.getStack() as "production" | "dr"]()(),
        policyPack: engine.policyPack,
        pulumiCommand: engine.pulumi,
        envVars: engine.env,
        policyConfig: inputs.policyConfig,
    });
    const drOutputs = await (await workspace.selectStack(stacks.dr)).outputs();
    const bucket = String(drOutputs.backupBucketName);

    const lab = await timed("dr: WAL lab", () => startWalLab({ archiveTimeoutSeconds: 2, bucket }));
    const origins: TestOrigin[] = [];
    let edge: TestEdge | undefined;
    let sidecar: ReturnType<typeof startSidecar> | undefined;
    try {
        const productionArchive = lab.archiveUrl;
        const drArchive = `s3://${lab.bucket}/dr/wal`;
        // Production's data, its archive replayed by dr's standby.
        await lab.primary.sql("CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL)");
        await lab.primary.sql(
            "INSERT INTO orders SELECT g, 'production' FROM generate_series(1, 100) g",
        );
        await baseBackup(lab, lab.primary);
        const drServer = await lab.startStandby({
            sourceUrl: productionArchive,
            archiveUrl: drArchive,
        });
        await switchAndArchive(lab);
        await waitFor("dr to replay production's archive", async () =>
            (await drServer.sql("SELECT count(*) FROM orders")) === "100" ? true : undefined,
        );
        await fallbackDump(lab, bucket);

        for (const name of ["primary", "dr"]) origins.push(await startOrigin(name));
        edge = await startEdge({ primary: origins[0].url, dr: origins[1].url });
        const edgeUrl = edge.url.toString().replace(/\/$/, "");
        const switched = new EdgeSwitchWorkspace(workspace, edge);
        await switched.syncSwitch(drOutputs);

        const database = new LabDatabase(lab, inputs.planes, check);
        database.servers.dr = { server: drServer, sourceUrl: productionArchive };
        const deps: Partial<DrDeps> = {
            workspace: switched,
            store: new AwsCliBackupStore({
                endpointUrl: lab.endpoint,
                env: { ...awsEnv(lab), PATH: scriptPath() },
            }),
            database,
            http: fetchGet,
        };
        const dr = async (what: string, args: string[]) => {
            const out: string[] = [];
            const started = Date.now();
            const code = await timed(what, () =>
                drMain(
                    [...args, "--edge-hostname", edgeUrl],
                    { ...deps, log: (line) => out.push(line) },
                    { out: (line) => out.push(line), err: (line) => out.push(line) },
                ),
            );
            for (const line of out) log(`      ${what}: ${line}`);
            return { code, out: out.join("\n"), seconds: (Date.now() - started) / 1000 };
        };
        const statusReport = async (what: string) => {
            const { out } = await dr(what, ["status", "-o", "json"]);
            return JSON.parse(out) as StatusReport;
        };
        const fileDrActive = () =>
            (parse(fs.readFileSync(drFile, "utf8")) as Obj).config?.[configKeys.drActive];
        const sizes = {
            production: await autoscalerSizes(inputs.planes.production.client),
            standby: await autoscalerSizes(inputs.planes.dr.client),
        };

        // Armed: dr stands by, the edge serves the primary region.
        const armed = await statusReport("dr status (standby)");
        judgeStatus(check, "standby", armed, false, "primary");

        // A failing step stops the tool before anything changes: a backup-age limit the
        // fallback dump cannot meet.
        const refused = await dr("dr activate (must fail)", [
            "activate",
            "--yes",
            "--max-backup-age",
            "1s",
        ]);
        const failedActivationRefused = check(
            refused.code === 1 &&
                /FAILED at step "check the latest replicated backup"/.test(refused.out) &&
                fileDrActive() !== true,
            `dr activate with an unmeetable backup age: exit ${refused.code}, drActive ${fileDrActive()}`,
        );

        // The primary region is lost.
        lab.killPrimary();
        const activation = await dr("dr activate", ["activate", "--yes"]);
        check(activation.code === 0, `dr activate: exit ${activation.code}`);
        check(fileDrActive() === true, "dr activate: Pulumi.dr.yaml has no drActive: true");
        check(
            (await drServer.sql("SELECT pg_is_in_recovery()")) === "f",
            "dr activate: dr's database is still in recovery",
        );
        await drServer.sql("INSERT INTO orders SELECT g, 'dr' FROM generate_series(101, 150) g");
        const activeSizes = await autoscalerSizes(inputs.planes.dr.client);
        for (const [hpa, size] of Object.entries(sizes.production)) {
            if (!(hpa in activeSizes)) continue;
            check(
                activeSizes[hpa] === size,
                `dr activate: ${hpa} is ${activeSizes[hpa]}, production's is ${size}`,
            );
        }
        check(
            Object.keys(activeSizes).some((hpa) => activeSizes[hpa] !== sizes.standby[hpa]),
            "dr activate: no autoscaler changed size",
        );
        const active = await statusReport("dr status (active)");
        judgeStatus(check, "active", active, true, "dr");

        // Failback by re-seeding: dr's writes reach production's new database through dr's
        // archive; the tool promotes it, updates production, deactivates dr, re-arms dr.
        await baseBackup(lab, drServer, { WAL_ARCHIVE_URL: drArchive });
        await switchAndArchive(lab, drServer, "dr/wal");
        const reseeded = await lab.startStandby({
            sourceUrl: drArchive,
            archiveUrl: productionArchive,
        });
        await waitFor("production to replay dr's archive", async () =>
            (await reseeded.sql("SELECT count(*) FROM orders")) === "150" ? true : undefined,
        );
        database.servers.production = { server: reseeded, sourceUrl: drArchive };
        const baseBackupsBefore = await baseBackupIds(lab);
        database.onPromoted = (server) => {
            // The pod's base-backup sidecar: a base backup on the new timeline at once.
            sidecar = startSidecar(lab, server);
        };
        const back = await dr("dr failback", ["failback", "--yes", "--reseeded"]);
        check(back.code === 0, `dr failback: exit ${back.code}`);
        check(fileDrActive() === false, "dr failback: Pulumi.dr.yaml has no drActive: false");
        check(
            (await reseeded.sql("SELECT count(*) FROM orders")) === "150",
            "dr failback: production lacks dr's writes",
        );
        const standbySizes = await autoscalerSizes(inputs.planes.dr.client);
        check(
            JSON.stringify(standbySizes) === JSON.stringify(sizes.standby),
            `dr failback: dr's autoscalers ${JSON.stringify(standbySizes)}, standby sizes ${JSON.stringify(sizes.standby)}`,
        );
        // The kubelet restarts the re-armed container (until production's sidecar has a base
        // backup on its new timeline, the restart fails and is retried): it comes back as a
        // standby of production.
        await stopped(drServer);
        await waitFor("production's base backup on its new timeline", async () =>
            (await baseBackupIds(lab)).length > baseBackupsBefore.length ? true : undefined,
        );
        const restarted = await lab.startServer({
            dataDir: drServer.dataDir,
            sourceUrl: productionArchive,
            archiveUrl: drArchive,
        });
        const rearmed = await restarted.ready();
        check(
            (await rearmed.sql("SELECT pg_is_in_recovery()")) === "t",
            "dr failback: dr's database did not restart as a standby",
        );
        const rearmedStatus = await statusReport("dr status (re-armed)");
        judgeStatus(check, "re-armed", rearmedStatus, false, "primary");

        return {
            activateSeconds: activation.seconds,
            failbackSeconds: back.seconds,
            failedActivationRefused,
        };
    } finally {
        sidecar?.stop();
        await edge?.close();
        for (const origin of origins) await origin.close();
        await lab.close();
    }
}

/** Checks one `dr status -o json` report: dr's flag in the file and as deployed, the edge. */
function judgeStatus(
    check: Check,
    what: string,
    report: StatusReport,
    drActive: boolean,
    region: "primary" | "dr",
): void {
    const dr = report.stacks.find((s) => s.name === stacks.dr);
    check(
        dr?.drActive === drActive && dr.deployedDrActive === drActive,
        `dr status (${what}): dr's drActive ${dr?.drActive}, deployed ${dr?.deployedDrActive}; expected ${drActive}`,
    );
    check(
        report.edge.activeRegion === region,
        `dr status (${what}): the edge reports ${report.edge.activeRegion ?? report.edge.error}, expected ${region}`,
    );
    check(
        report.problems.length === 0 && report.unreachable.length === 0,
        `dr status (${what}): ${[...report.problems, ...report.unreachable].join("; ")}`,
    );
}

/**
 * The Cloudflare half of the dr stack's `up`: the value its program gives EdgeSwitch is put
 * in the Worker's `active-region` KV entry once the update succeeded, as the provider's
 * WorkersKv write does (the provider itself cannot be built here).
 */
class EdgeSwitchWorkspace implements DrWorkspace {
    constructor(
        private readonly inner: DrWorkspace,
        private readonly edge: TestEdge,
    ) {}

    async syncSwitch(outputs: Record<string, unknown>): Promise<void> {
        const region = outputs[edgeSwitchOutput];
        if (region === "primary" || region === "dr") {
            await this.edge.setSwitch("active-region", region);
        }
    }

    async selectStack(name: string): Promise<DrStack> {
        const stack = await this.inner.selectStack(name);
        return {
            name: stack.name,
            config: () => stack.config(),
            setDrActive: (active) => stack.setDrActive(active),
            outputs: () => stack.outputs(),
            lastUpdate: () => stack.lastUpdate(),
            checkCanUpdate: stack.checkCanUpdate && (() => stack.checkCanUpdate!()),
            up: async (onOutput, options) => {
                const result = await stack.up(onOutput, options);
                await this.syncSwitch(await stack.outputs());
                return result;
            },
        };
    }
}

/**
 * The tool's database port on the lab's real servers: `promote` runs ops/wal-promote.sh and
 * `rearm` ops/wal-rearm.sh against the server standing for the named stack's
 * postgres-primary-0, after checking that the tool passed that stack's kubeconfig.
 */
class LabDatabase implements DatabaseControl {
    readonly servers: Partial<Record<string, { server: LabServer; sourceUrl: string }>> = {};
    /** Called once a server was promoted (the pod's base-backup sidecar starts its work). */
    onPromoted?: (server: LabServer) => void;

    constructor(
        private readonly lab: WalLab,
        private readonly planes: Readonly<Record<string, ControlPlane>>,
        private readonly check: Check,
    ) {}

    private target(kubeconfig: unknown, stack: string) {
        const plane = this.planes[stack];
        this.check(
            plane !== undefined && kubeconfig === fs.readFileSync(plane.kubeconfig, "utf8"),
            `dr: the database step of ${stack} was not given ${stack}'s kubeconfig output`,
        );
        const target = this.servers[stack];
        if (!target) throw new Error(`no database of ${stack} in this run`);
        return target;
    }

    async promote(kubeconfig: unknown, stack: string): Promise<string> {
        const { server, sourceUrl } = this.target(kubeconfig, stack);
        const result = await this.lab.script("wal-promote.sh", [], {
            ...pgEnv(server),
            WAL_SOURCE_URL: sourceUrl,
        });
        if (result.status !== 0) throw new Error(String(lastError(result.stderr).msg));
        this.onPromoted?.(server);
        return lastLine(result.stdout);
    }

    async rearm(kubeconfig: unknown, stack: string): Promise<string> {
        const { server } = this.target(kubeconfig, stack);
        // The archive dr follows again: production's.
        const result = await this.lab.script("wal-rearm.sh", [], {
            ...pgEnv(server),
            PGDATA: server.dataDir,
            WAL_STANDBY: "true",
            WAL_SOURCE_URL: this.lab.archiveUrl,
        });
        if (result.status !== 0) throw new Error(String(lastError(result.stderr).msg));
        return lastLine(result.stdout);
    }
}

function lastLine(text: string): string {
    return text.trim().split("\n").pop() ?? "";
}

/** The lab's S3 credentials and endpoint, for the AWS CLI and the backup script. */
function awsEnv(lab: WalLab): Record<string, string> {
    return Object.fromEntries(Object.entries(lab.env).filter(([key]) => key !== "PATH"));
}

/**
 * Production's newest dump, as its `postgres-backup` CronJob takes it (ops/backup-postgres.sh,
 * signed), landing where replication puts it in the dr bucket: what the activation's
 * preflight checks against the RPO.
 */
async function fallbackDump(lab: WalLab, bucket: string): Promise<void> {
    const signing = testSigningKey();
    const result = await runScript("backup-postgres.sh", [], {
        env: {
            ...awsEnv(lab),
            ...signing.env,
            ...pgEnv(lab.primary),
            BACKUP_BUCKET: bucket,
            PATH: scriptPath(),
            WORK_DIR: tempDir("e2e-backup-work"),
            HOME: tempDir("e2e-backup-home"),
        },
    });
    if (result.status !== 0) {
        throw new Error(`backup-postgres.sh failed: ${result.stderr.slice(-2000)}`);
    }
}
