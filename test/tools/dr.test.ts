import { drPointerKey } from "../../contracts/backups";
import { describe, expect, it } from "vitest";
import { activate, type ActivateOptions } from "../../tools/lib/dr/activate";
import { failback, type FailbackOptions } from "../../tools/lib/dr/failback";
import { checkDeploy, renderStatus, status } from "../../tools/lib/dr/status";
import { drPosture } from "../../contracts/dr-posture";
import { rpoMs } from "../../tools/lib/dr/targets";
import { DrStepError, productionKeyOf } from "../../tools/lib/dr/types";
import { drDumpKey, dumpKey, World, type WorldOptions } from "./dr-fakes";
import { ownBackupPrefix } from "../../contracts/backups";

const minute = 60_000;
const edgeUrl = "GET https://edge.mcp-production.com/health/detailed";

function activateOptions(overrides: Partial<ActivateOptions> = {}): ActivateOptions {
    return {
        drStack: "dr",
        productionStack: "production",
        maxBackupAgeMs: rpoMs,
        edgeDeadlineMs: 5 * minute,
        edgePollIntervalMs: 10_000,
        dryRun: false,
        confirm: async () => true,
        ...overrides,
    };
}

async function activateIn(world: World, overrides: Partial<ActivateOptions> = {}) {
    return activate(world.deps(), activateOptions(overrides));
}

async function stepError(promise: Promise<unknown>): Promise<DrStepError> {
    const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DrStepError);
    return error as DrStepError;
}

describe("npm run dr -- activate", () => {
    it("runs the preflight, then the promotion, the flag, the up and the edge check, in that order", async () => {
        const world = new World({ drEdgeOutput: true, edgeLagPolls: 2 });
        const result = await activateIn(world);

        expect(world.actions()).toEqual([
            "select dr",
            "dr checkCanUpdate",
            "s3 read mcp-backups-dr-1a2b/postgres/latest.json (us-west-2)",
            `s3 head mcp-backups-dr-1a2b/${dumpKey} (us-west-2)`,
            "dr promote postgres-primary-0",
            "dr setDrActive(true)",
            "dr up",
            edgeUrl,
            "sleep 10000",
            edgeUrl,
            "sleep 10000",
            edgeUrl,
        ]);
        expect(result.changed).toBe(true);
        expect(result.edge).toEqual({ activeRegion: "dr", maintenance: false, serving: true });
        expect(result.backup?.ageMs).toBe(20 * minute);
        expect(result.steps.map((s) => s.name)).toEqual([
            "select the dr stack",
            "find the edge",
            "check the latest replicated backup",
            "promote postgres-primary-0 on dr (ops/wal-promote.sh)",
            "set drActive: true in Pulumi.dr.yaml",
            "pulumi up on dr",
            "verify that the edge sends traffic to dr",
        ]);
        expect(world.lines).toContain("[7/7] verify that the edge sends traffic to dr");
        expect(world.lines).toContain("      ok (0s): promoted: the server accepts writes");
        expect(world.lines.join("\n")).toMatch(
            /DR is active: .* 4m20s after the start \(RTO 30m\)/,
        );
        expect(world.lines).toContain("      | Updating (dr)");
    });

    it("never touches the production stack when the dr stack knows the edge", async () => {
        const world = new World({ drEdgeOutput: true, productionReachable: false });
        await activateIn(world);
        expect(world.journal.filter((e) => /^(select )?production\b/.test(e))).toEqual([]);
    });

    it("falls back to the production stack's edgeHostname output", async () => {
        const world = new World();
        await activateIn(world);
        expect(world.lines.join("\n")).toContain(
            "edge.mcp-production.com (from production output)",
        );
    });

    it("stops before changing anything when the backup is older than the RPO", async () => {
        const world = new World({ drEdgeOutput: true, backupAgeMs: 2 * 60 * minute });
        const error = await stepError(activateIn(world));
        expect(error.step).toBe("check the latest replicated backup");
        expect(error.problem).toContain("is 2h old, more than the allowed 1h (RPO)");
        expect(error.remedy).toContain("--max-backup-age");
        expect(world.journal).not.toContain("dr setDrActive(true)");
        expect(world.journal).not.toContain("dr up");
    });

    it("accepts an older backup when the operator raises --max-backup-age", async () => {
        const world = new World({ drEdgeOutput: true, backupAgeMs: 2 * 60 * minute });
        const result = await activateIn(world, { maxBackupAgeMs: 3 * 60 * minute });
        expect(result.changed).toBe(true);
    });

    it("accepts a backup exactly at the RPO and refuses one a second older", async () => {
        const atLimit = new World({ drEdgeOutput: true, backupAgeMs: rpoMs });
        await expect(activateIn(atLimit)).resolves.toMatchObject({ changed: true });
        const over = new World({ drEdgeOutput: true, backupAgeMs: rpoMs + 1000 });
        await expect(activateIn(over)).rejects.toThrow(/more than the allowed 1h/);
    });

    it("refuses a missing pointer, a malformed one and a pointer whose dump is missing", async () => {
        const missing = await stepError(
            activateIn(new World({ drEdgeOutput: true, pointer: null })),
        );
        expect(missing.problem).toContain(
            "no backup pointer at s3://mcp-backups-dr-1a2b/postgres/latest.json",
        );

        const malformed = await stepError(
            activateIn(
                new World({ drEdgeOutput: true, pointer: '{"key":"x","timestamp":"yesterday"}' }),
            ),
        );
        expect(malformed.problem).toMatch(/not a backup pointer .*timestamp/);

        const noDump = await stepError(
            activateIn(new World({ drEdgeOutput: true, dumpInDrBucket: false })),
        );
        expect(noDump.problem).toContain(
            `s3://mcp-backups-dr-1a2b/${dumpKey}, which is not in the bucket`,
        );
    });

    it("refuses a backup dated in the future (a broken clock)", async () => {
        const error = await stepError(
            activateIn(new World({ drEdgeOutput: true, backupAgeMs: -30 * minute })),
        );
        expect(error.problem).toContain("30m in the future");
    });

    it("says how to create the standby when the dr stack does not exist", async () => {
        const world = new World({ drExists: false });
        const error = await stepError(activateIn(world));
        expect(error.step).toBe("select the dr stack");
        expect(error.problem).toContain('stack "dr" does not exist');
        expect(error.remedy).toContain("pulumi stack init dr");
        expect(world.journal).toEqual(["select dr"]);
    });

    it("stops in the preflight when an update could not run from here", async () => {
        const world = new World({
            drEdgeOutput: true,
            cannotUpdate: "the policy pack's dependencies are not installed",
        });
        const error = await stepError(activateIn(world));
        expect(error.step).toBe("select the dr stack");
        expect(error.problem).toContain("policy pack");
        expect(world.journal).not.toContain("dr setDrActive(true)");
        // a dry run changes nothing and does not need it
        await expect(activateIn(world, { dryRun: true })).resolves.toMatchObject({
            changed: false,
        });
    });

    it("warns when the standby's last update failed", async () => {
        const world = new World({ drEdgeOutput: true, drLastUpdate: "failed" });
        await activateIn(world, { dryRun: true });
        expect(world.lines.join("\n")).toContain("WARNING: its last update failed");
    });

    it("refuses to activate a stack whose role is primary", async () => {
        const error = await stepError(activateIn(new World({ drRole: "primary" })));
        expect(error.problem).toContain('has role "primary"; only a standby stack is activated');
    });

    it("stops before changing anything when no edge hostname can be found", async () => {
        const world = new World({ productionReachable: false });
        const error = await stepError(activateIn(world));
        expect(error.step).toBe("find the edge");
        expect(error.problem).toContain("connection refused");
        expect(error.remedy).toContain("--edge-hostname");
        expect(world.journal).not.toContain("dr setDrActive(true)");
    });

    it("reports a failed up with the state it leaves and no edge check", async () => {
        const world = new World({
            drEdgeOutput: true,
            upFails: "error: 1 resource failed: restore Job",
        });
        const error = await stepError(activateIn(world));
        expect(error.step).toBe("pulumi up on dr");
        expect(error.problem).toContain("restore Job");
        expect(error.remedy).toContain("drActive is now true in Pulumi.dr.yaml");
        expect(world.actions().slice(-2)).toEqual(["dr setDrActive(true)", "dr up"]);
        expect(world.journal.some((e) => e.startsWith("GET"))).toBe(false);
    });

    it("fails the edge check after the deadline with the last thing it saw", async () => {
        const world = new World({ drEdgeOutput: true, edgeStuck: true });
        const error = await stepError(activateIn(world, { edgeDeadlineMs: 60_000 }));
        expect(error.step).toBe("verify that the edge sends traffic to dr");
        expect(error.problem).toContain(
            'did not report activeRegion "dr" within 1m; last: activeRegion is still "primary"',
        );
        // polls at 0s, 10s, … 60s: the deadline is inclusive
        expect(world.journal.filter((e) => e === edgeUrl)).toHaveLength(7);
    });

    it("waits until the DR origin answers, not only until the switch flips", async () => {
        const world = new World({ drEdgeOutput: true, originDown: true });
        const error = await stepError(activateIn(world, { edgeDeadlineMs: 30_000 }));
        expect(error.problem).toContain(
            'last: activeRegion is "dr" but its origin does not answer (503)',
        );
    });

    it("does not change anything in a dry run", async () => {
        const world = new World({ drEdgeOutput: true });
        const result = await activateIn(world, { dryRun: true });
        expect(result.changed).toBe(false);
        expect(world.actions()).toEqual([
            "select dr",
            "s3 read mcp-backups-dr-1a2b/postgres/latest.json (us-west-2)",
            `s3 head mcp-backups-dr-1a2b/${dumpKey} (us-west-2)`,
        ]);
        expect(world.lines).toContain("dry run: the preflight passed; nothing was changed");
    });

    it("changes nothing when the operator does not confirm", async () => {
        const world = new World({ drEdgeOutput: true });
        let asked = "";
        const error = await stepError(
            activateIn(world, {
                confirm: async (summary) => {
                    asked = summary;
                    return false;
                },
            }),
        );
        expect(asked).toContain("promote its standby database");
        expect(asked).toContain(`the fallback dump ${dumpKey} is 20m old`);
        expect(error.step).toBe("confirm");
        expect(world.journal).not.toContain("dr setDrActive(true)");
        expect(world.journal).not.toContain("dr promote postgres-primary-0");
    });

    it("stops before the flag when the standby cannot be promoted (a gap in the WAL archive)", async () => {
        const world = new World({
            drEdgeOutput: true,
            promoteFails:
                "the standby has not replayed the archive's newest WAL segment; replay_segment 00000001000000000000000B",
        });
        const error = await stepError(activateIn(world));
        expect(error.step).toBe("promote postgres-primary-0 on dr (ops/wal-promote.sh)");
        expect(error.problem).toContain("replay_segment 00000001000000000000000B");
        expect(error.remedy).toContain("PostgresStandbyReplayLagging");
        expect(error.remedy).toContain("backups.restore.from: dump");
        expect(world.journal).not.toContain("dr setDrActive(true)");
        expect(world.journal).not.toContain("dr up");
    });

    it("re-runs on an already active stack without the backup age check", async () => {
        const world = new World({
            drEdgeOutput: true,
            drActive: true,
            deployedDrActive: false,
            backupAgeMs: 5 * 60 * minute,
        });
        const result = await activateIn(world);
        expect(result.backup).toBeUndefined();
        expect(world.journal.some((e) => e.startsWith("s3 "))).toBe(false);
        expect(world.lines.join("\n")).toContain("already has drActive: true");
    });

    it("warns when maintenance mode is on at the edge", async () => {
        const world = new World({ drEdgeOutput: true, edgeMaintenance: true });
        await activateIn(world);
        expect(world.lines.join("\n")).toContain("WARNING: maintenance mode is on");
    });
});

function failbackOptions(overrides: Partial<FailbackOptions> = {}): FailbackOptions {
    return {
        drStack: "dr",
        productionStack: "production",
        maxBackupAgeMs: rpoMs,
        dataRestored: true,
        edgeDeadlineMs: 5 * minute,
        edgePollIntervalMs: 10_000,
        dryRun: false,
        confirm: async () => true,
        ...overrides,
    };
}

const activeWorld = (options: WorldOptions = {}) =>
    new World({
        drActive: true,
        dumpInProductionBucket: true,
        backupAgeMs: 5 * minute,
        ...options,
    });

describe("npm run dr -- failback", () => {
    it("checks the data, updates production, then deactivates dr and checks the edge", async () => {
        const world = activeWorld({ edgeLagPolls: 1 });
        const result = await failback(world.deps(), failbackOptions());
        expect(world.actions()).toEqual([
            "select dr",
            "dr checkCanUpdate",
            "select production",
            "s3 read mcp-backups-dr-1a2b/dr/postgres/latest.json (us-west-2)",
            `s3 head mcp-backups-dr-1a2b/${drDumpKey} (us-west-2)`,
            `s3 head mcp-backups-prod-9z8y/${productionKeyOf(drDumpKey)} (us-east-1)`,
            "production up",
            "dr setDrActive(false)",
            "dr up",
            edgeUrl,
            "sleep 10000",
            edgeUrl,
        ]);
        expect(result.edge?.activeRegion).toBe("primary");
        expect(world.lines).toContain("[9/9] verify that the edge sends traffic to primary");
    });

    it("checks DR's own final backup under dr/, not production's replicated pointer", async () => {
        // Production came back and replicated a stale backup: failback must not look at it.
        const world = activeWorld({ backupAgeMs: 3 * 60 * minute, ownBackupAgeMs: 5 * minute });
        const result = await failback(world.deps(), failbackOptions());
        expect(result.backup?.pointerLocation.key).toBe(drPointerKey);
        expect(drPointerKey).toBe(
            `${ownBackupPrefix("postgres", drPosture("standby", false).backupRoot)}/latest.json`,
        );
        expect(result.backup?.pointer.key).toBe(drDumpKey);
        expect(world.actions()).not.toContain(
            "s3 read mcp-backups-dr-1a2b/postgres/latest.json (us-west-2)",
        );
        const stale = activeWorld({ backupAgeMs: 5 * minute, ownBackupAgeMs: 3 * 60 * minute });
        const error = await stepError(failback(stale.deps(), failbackOptions()));
        expect(error.step).toBe("check the final backup taken in dr");
    });

    it("with --reseeded promotes production's re-seeded database instead of checking a dump", async () => {
        // No final dump anywhere: production replays dr's WAL archive instead.
        const world = activeWorld({
            ownBackupAgeMs: 10 * 60 * minute,
            dumpInProductionBucket: false,
        });
        const result = await failback(
            world.deps(),
            failbackOptions({ dataRestored: false, reseeded: true }),
        );
        expect(result.backup).toBeUndefined();
        expect(world.journal.some((e) => e.startsWith("s3 "))).toBe(false);
        const actions = world.actions();
        expect(actions.indexOf("production promote postgres-primary-0")).toBeGreaterThan(-1);
        expect(actions.indexOf("production promote postgres-primary-0")).toBeLessThan(
            actions.indexOf("production up"),
        );
        expect(actions.indexOf("production up")).toBeLessThan(
            actions.indexOf("dr setDrActive(false)"),
        );
        expect(result.steps.map((s) => s.name)).toEqual([
            "select the dr and production stacks",
            "find the edge",
            "promote postgres-primary-0 on production (ops/wal-promote.sh)",
            "pulumi up on production",
            "set drActive: false in Pulumi.dr.yaml",
            "pulumi up on dr",
            "verify that the edge sends traffic to primary",
        ]);
    });

    it("with --reseeded leaves DR active when production cannot be promoted", async () => {
        const world = activeWorld({
            promoteFails: "the standby has not replayed the archive's newest WAL segment",
        });
        const error = await stepError(
            failback(world.deps(), failbackOptions({ dataRestored: false, reseeded: true })),
        );
        expect(error.step).toBe("promote postgres-primary-0 on production (ops/wal-promote.sh)");
        expect(error.remedy).toContain("DR is still active");
        expect(world.journal).not.toContain("dr setDrActive(false)");
        expect(world.journal).not.toContain("production up");
    });

    it("refuses when DR is not active", async () => {
        const error = await stepError(failback(new World().deps(), failbackOptions()));
        expect(error.problem).toContain("DR is not active");
    });

    it("says how to copy the final backup when production does not have it", async () => {
        const world = activeWorld({ dumpInProductionBucket: false });
        const error = await stepError(failback(world.deps(), failbackOptions()));
        expect(error.step).toBe("check that the backup reached production");
        expect(error.remedy).toContain(
            "aws s3 cp --recursive s3://mcp-backups-dr-1a2b/dr/postgres/hourly/20261121T114000Z/ s3://mcp-backups-prod-9z8y/postgres/hourly/20261121T114000Z/ --source-region us-west-2 --region us-east-1",
        );
        const partial = activeWorld({ dumpInProductionBucket: 1000 });
        const incomplete = await stepError(failback(partial.deps(), failbackOptions()));
        expect(incomplete.problem).toContain("the copy is incomplete");
    });

    it("requires --data-restored and changes nothing without it", async () => {
        const world = activeWorld();
        const error = await stepError(
            failback(world.deps(), failbackOptions({ dataRestored: false })),
        );
        expect(error.step).toBe("confirm that production holds the DR data");
        expect(error.remedy).toContain("re-run with --data-restored");
        expect(world.journal).not.toContain("production up");
        expect(world.journal).not.toContain("dr setDrActive(false)");
    });

    it("refuses a stale final backup", async () => {
        const world = activeWorld({ backupAgeMs: 3 * 60 * minute });
        const error = await stepError(failback(world.deps(), failbackOptions()));
        expect(error.step).toBe("check the final backup taken in dr");
        expect(error.remedy).toContain("kubectl create job --from=cronjob/postgres-backup");
    });

    it("leaves DR active when the production update fails", async () => {
        const world = activeWorld({ productionUpFails: "error: the EKS API is unreachable" });
        const error = await stepError(failback(world.deps(), failbackOptions()));
        expect(error.step).toBe("pulumi up on production");
        expect(error.remedy).toContain("DR is still active");
        expect(world.journal).not.toContain("dr setDrActive(false)");
        expect(world.dr.cfg["mcp-platform:drActive"]).toBe("true");
    });

    it("checks production's last update instead of running one with --skip-production-up", async () => {
        const world = activeWorld();
        await failback(world.deps(), failbackOptions({ skipProductionUp: true }));
        expect(world.journal).not.toContain("production up");
        expect(world.lines.join("\n")).toContain("last update succeeded");
        const actions = world.actions();
        expect(actions.slice(actions.indexOf("dr setDrActive(false)"))).toEqual([
            "dr setDrActive(false)",
            "dr up",
            edgeUrl,
        ]);

        const failed = activeWorld();
        failed.production.lastUpdate = async () => ({ kind: "update", result: "failed" });
        const error = await stepError(
            failback(failed.deps(), failbackOptions({ skipProductionUp: true })),
        );
        expect(error.step).toBe("check that production is deployed");
        expect(error.problem).toBe("the last update of production failed");
        expect(failed.journal).not.toContain("dr setDrActive(false)");
    });

    it("runs only the checks in a dry run", async () => {
        const world = activeWorld();
        const result = await failback(world.deps(), failbackOptions({ dryRun: true }));
        expect(result.changed).toBe(false);
        expect(world.journal).not.toContain("production up");
    });
});

describe("npm run dr -- status", () => {
    it("reports a healthy standby with no problems", async () => {
        const world = new World();
        const report = await status(world.deps(), {
            drStack: "dr",
            productionStack: "production",
            rpoMs,
        });
        expect(report.problems).toEqual([]);
        expect(report.backup).toMatchObject({ ageMs: 20 * minute, withinRpo: true, key: dumpKey });
        expect(report.edge).toMatchObject({ activeRegion: "primary", maintenance: false });
        const text = renderStatus(report);
        expect(text).toContain("stack production: us-east-1, role primary, drActive false");
        expect(text).toContain(
            "stack dr: us-west-2, role standby, drActive false (deployed: false)",
        );
        expect(text).toContain("20m old (within the RPO)");
        expect(text).toContain(
            "edge: edge.mcp-production.com sends traffic to primary, maintenance off",
        );
        expect(text).toMatch(/no problems$/);
    });

    it("still reports dr, backup and edge when production is unreachable", async () => {
        const world = new World({ productionReachable: false, drEdgeOutput: true });
        const report = await status(world.deps(), {
            drStack: "dr",
            productionStack: "production",
            rpoMs,
        });
        expect(report.problems).toEqual([
            "production: connect: connection refused (state backend)",
        ]);
        expect(report.stacks[1]).toMatchObject({ name: "dr", role: "standby" });
        expect(report.edge.activeRegion).toBe("primary");
        expect(renderStatus(report)).toContain("stack production: UNREADABLE");
    });

    it("lists a stale backup, an unfinished activation and an edge that disagrees", async () => {
        const world = new World({
            backupAgeMs: 3 * 60 * minute,
            drActive: true,
            deployedDrActive: false,
        });
        world.edge = { activeRegion: "dr", maintenance: true, serving: false };
        const report = await status(world.deps(), {
            drStack: "dr",
            productionStack: "production",
            rpoMs,
        });
        expect(report.problems).toEqual([
            "dr: Pulumi.dr.yaml says drActive true but the stack was last deployed with false: an activation or failback is unfinished",
            "backup: the newest backup in mcp-backups-dr-1a2b is 3h old, more than the 1h RPO",
            'edge: activeRegion is "dr" but the dr stack is deployed with drActive false',
            "edge: the active region's origin does not answer (the edge says 503)",
            "edge: maintenance mode is on",
        ]);
    });
});

describe("npm run dr -- check-deploy", () => {
    it("passes when the file and the deployed stack agree", async () => {
        await expect(checkDeploy(new World().deps(), "dr")).resolves.toContain("ok");
        const active = new World({ drActive: true });
        await expect(checkDeploy(active.deps(), "dr")).resolves.toContain("drActive true");
    });

    it("refuses a deploy that would deactivate an active DR stack", async () => {
        const world = new World({ drActive: false, deployedDrActive: true });
        const error = await stepError(checkDeploy(world.deps(), "dr"));
        expect(error.problem).toContain("is ACTIVE (deployed with drActive: true)");
        expect(error.remedy).toContain("merge the DR activation change");
    });

    it("refuses a deploy that would activate DR without the backup check", async () => {
        const world = new World({ drActive: true, deployedDrActive: false });
        const error = await stepError(checkDeploy(world.deps(), "dr"));
        expect(error.problem).toContain("must go through `npm run dr -- activate`");
    });
});
