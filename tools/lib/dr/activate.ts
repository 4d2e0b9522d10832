import { activationPolicyConfig } from "../../../contracts/dr-posture";
import { type BackupCheck, checkLatestBackup } from "./backup";
import { edgeBaseUrl, type EdgeState, waitForRegion } from "./edge";
import {
    backupBucket,
    installRemedy,
    readFacts,
    resolveEdgeHostname,
    selectStack,
    type StackFacts,
} from "./stacks";
import { describeChanges, detailed, type StepRecord, StepRunner } from "./steps";
import { formatDuration, rtoMs } from "./targets";
import { type DrDeps, DrStepError } from "./types";

/**
 * `npm run dr -- activate`: preflight (the dr stack exists and is a standby, the edge can be
 * found, the newest replicated backup is within the RPO), then the promotion of the dr
 * standby (postgres-primary-0 replays production's WAL archive; ops/wal-promote.sh), then
 * `drActive: true` and `pulumi up` on the dr stack — which scales the workloads to production
 * size and flips the edge switch — then waits until the edge reports the DR region.
 * Nothing on the production stack is read or changed unless the edge hostname has to be
 * looked up there: production's region may be down.
 */
export interface ActivateOptions {
    readonly drStack: string;
    readonly productionStack: string;
    /** The newest backup may be at most this old (the RPO unless the operator accepts more). */
    readonly maxBackupAgeMs: number;
    /** Overrides the edge hostname (or base URL) the stacks export. */
    readonly edgeHostname?: string;
    readonly edgeDeadlineMs: number;
    readonly edgePollIntervalMs: number;
    /** Run the preflight only; change nothing. */
    readonly dryRun: boolean;
    /** Asked after the preflight, before anything changes. */
    readonly confirm: (summary: string) => Promise<boolean>;
}

export interface ActivateResult {
    readonly steps: readonly StepRecord[];
    readonly elapsedMs: number;
    /** Undefined on a re-run, when the dr stack was already active. */
    readonly backup?: BackupCheck;
    readonly edge?: EdgeState;
    readonly changed: boolean;
}

function stackRemedy(drStack: string) {
    return (error: Error) =>
        error.message.includes("does not exist")
            ? `create and deploy the standby first: \`pulumi stack init ${drStack}\` then \`pulumi up -s ${drStack}\` (role: standby, drActive: false)`
            : installRemedy;
}

export async function activate(deps: DrDeps, options: ActivateOptions): Promise<ActivateResult> {
    const { log } = deps;
    const steps = new StepRunner(deps.clock, log, options.dryRun ? 3 : 7);
    log(`DR activation of stack "${options.drStack}"${options.dryRun ? " (dry run)" : ""}`);

    const dr: StackFacts = await steps.run(
        `select the ${options.drStack} stack`,
        stackRemedy(options.drStack),
        async () => {
            const facts = await readFacts(await selectStack(deps.workspace, options.drStack));
            if (!options.dryRun) await facts.stack.checkCanUpdate?.();
            if (facts.role !== "standby") {
                throw new DrStepError(
                    `select the ${options.drStack} stack`,
                    `stack "${options.drStack}" has role "${facts.role}"; only a standby stack is activated`,
                    "pass the DR stack with --dr-stack (its Pulumi.<stack>.yaml sets mcp-platform:role: standby)",
                );
            }
            const last = await facts.stack.lastUpdate();
            const warning =
                last && last.result !== "succeeded"
                    ? `; WARNING: its last ${last.kind} ${last.result}, the standby may differ from its config`
                    : "";
            return detailed(
                facts,
                `${options.drStack} in ${facts.region}, role standby, drActive ${facts.drActive}${warning}`,
            );
        },
    );
    const rerun = dr.drActive;
    if (rerun) {
        log(
            `      note: ${options.drStack} already has drActive: true; re-running up and the edge check`,
        );
    }

    const edge = await steps.run(
        "find the edge",
        "pass --edge-hostname <the public hostname of the edge Worker>",
        async () => {
            const found = await resolveEdgeHostname(options.edgeHostname, dr, async () =>
                readFacts(await selectStack(deps.workspace, options.productionStack)),
            );
            return detailed(found.hostname, `${found.hostname} (from ${found.source})`);
        },
    );

    const backup = await steps.run(
        "check the latest replicated backup",
        (error) =>
            error.message.includes("has no output")
                ? `deploy the standby first (\`pulumi up -s ${options.drStack}\`) so its backup bucket exists and receives replication`
                : "if production is still reachable, run a backup there (`kubectl create job --from=cronjob/postgres-backup postgres-backup-manual -n mcp-production`) and wait for replication (at most 15 min); to accept older data knowingly, re-run with --max-backup-age <age> (docs/dr.md)",
        async () => {
            const bucket = backupBucket(dr);
            if (rerun) {
                return detailed(
                    undefined,
                    `skipped: ${options.drStack} is already active, its restore has been declared`,
                );
            }
            const check = await checkLatestBackup(
                deps.store,
                bucket,
                dr.region,
                deps.clock.now(),
                options.maxBackupAgeMs,
            );
            return detailed(
                check,
                `${check.pointer.key} taken ${check.pointer.timestamp}, ${formatDuration(check.ageMs)} old (limit ${formatDuration(options.maxBackupAgeMs)}), ${check.pointer.size} bytes`,
            );
        },
    );

    if (options.dryRun) {
        log("dry run: the preflight passed; nothing was changed");
        return { steps: steps.records, elapsedMs: steps.elapsed(), backup, changed: false };
    }

    const summary = backup
        ? `Activate DR on "${options.drStack}" (${dr.region}): promote its standby database (the fallback dump ${backup.pointer.key} is ${formatDuration(backup.ageMs)} old) and switch ${edge} to the DR region`
        : `Re-run the activation of "${options.drStack}" (${dr.region}) and switch ${edge} to the DR region`;
    if (!(await options.confirm(summary))) {
        throw new DrStepError(
            "confirm",
            "the activation was not confirmed; nothing was changed",
            "re-run and answer yes, or pass --yes",
        );
    }

    // The data first: promoting the standby that replays production's WAL archive takes
    // seconds at any database size (docs/dr.md), and the workloads that scale up next find a
    // writable database. wal-promote.sh refuses to promote past a gap in the archive.
    await steps.run(
        `promote postgres-primary-0 on ${options.drStack} (ops/wal-promote.sh)`,
        (error) =>
            error.message.includes("stale primary")
                ? `nothing was changed. ${options.drStack}'s database is still the primary of an earlier activation and holds older data than production's archive: re-arm it as a standby (docs/runbooks/PostgresDrStandbyIsPrimary.md), wait until it replays the archive, and re-run; to restore the replicated dump instead, set mcp-platform:backups.restore.from: dump and re-run`
                : `nothing was changed. If the archive has a gap or a corrupt segment, follow docs/runbooks/PostgresStandbyReplayLagging.md; to accept the loss, promote by hand with FORCE=true (docs/dr.md, "Promote the standby"); to restore the replicated dump instead, set mcp-platform:backups.restore.from: dump and re-run`,
        async () =>
            detailed(undefined, await deps.database.promote(dr.outputs.kubeconfig, dr.stack.name)),
    );

    await steps.run(
        `set drActive: true in Pulumi.${options.drStack}.yaml`,
        `check that Pulumi.${options.drStack}.yaml is writable, then re-run`,
        async () => {
            await dr.stack.setDrActive(true);
            return detailed(undefined, "the change must be committed afterwards (docs/dr.md)");
        },
    );

    await steps.run(
        `pulumi up on ${options.drStack}`,
        `drActive is now true in Pulumi.${options.drStack}.yaml but the update did not finish. Read the Pulumi output above, fix the cause and re-run \`npm run dr -- activate\` (safe to repeat). To abandon: set mcp-platform:drActive back to false and run \`pulumi up -s ${options.drStack}\``,
        async () => {
            // A support date never blocks a failover (contracts/dr-posture.ts).
            const result = await dr.stack.up((text) => log(`      | ${text.replace(/\n$/, "")}`), {
                policyConfig: activationPolicyConfig,
            });
            return detailed(undefined, describeChanges(result.resourceChanges));
        },
    );

    const verified = await steps.run(
        "verify that the edge sends traffic to dr",
        `the dr stack is active but the edge has not switched. Check the EdgeSwitch KV entry "active-region" and the Worker's logs in Cloudflare, then re-run \`npm run dr -- activate\` to check again`,
        async () => {
            const { state, waitedMs } = await waitForRegion(
                deps.http,
                deps.clock,
                edgeBaseUrl(edge),
                "dr",
                {
                    deadlineMs: options.edgeDeadlineMs,
                    intervalMs: options.edgePollIntervalMs,
                    log,
                },
            );
            return detailed(
                state,
                `activeRegion "dr" after ${formatDuration(waitedMs)}${state.maintenance ? "; WARNING: maintenance mode is on, users get the maintenance page" : ""}`,
            );
        },
    );

    const elapsedMs = steps.elapsed();
    log(
        `DR is active: ${edge} serves from ${dr.region}, ${formatDuration(elapsedMs)} after the start (RTO ${formatDuration(rtoMs)})`,
    );
    if (elapsedMs > rtoMs) {
        log(
            `WARNING: the activation took longer than the ${formatDuration(rtoMs)} RTO; record it in the incident timeline`,
        );
    }
    log(
        `next: commit Pulumi.${options.drStack}.yaml (drActive: true) and follow docs/dr.md "After activation"`,
    );
    return { steps: steps.records, elapsedMs, backup, edge: verified, changed: true };
}
