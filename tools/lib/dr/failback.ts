import { drPointerKey } from "../../../contracts/backups";
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
import { formatDuration } from "./targets";
import { type DrDeps, DrStepError, productionKeyOf } from "./types";

/**
 * `npm run dr -- failback`: the reverse of activation, once the primary region is healthy.
 * The data written in the DR region must reach production first (docs/dr.md "Failback"):
 * the operator freezes writes, takes a final backup in DR, copies it to the production
 * bucket and restores it into production's primary. This procedure checks what it can
 * (the final backup is fresh and its dump is in the production bucket with the same size),
 * requires `--data-restored` for the part it cannot see, then updates production,
 * deactivates the dr stack and waits for the edge to report the primary region.
 */
export interface FailbackOptions {
    readonly drStack: string;
    readonly productionStack: string;
    /** The final DR backup may be at most this old. */
    readonly maxBackupAgeMs: number;
    /** The operator states that the final DR backup was restored into production. */
    readonly dataRestored: boolean;
    /**
     * Production's postgres-primary-0 was re-seeded from dr's WAL archive and replays it
     * (docs/dr.md, "Failback by re-seeding"): promote it after the confirmation instead of
     * checking a restored dump. @default false
     */
    readonly reseeded?: boolean;
    /**
     * Production was updated separately (its own runner or VPN): check that its last update
     * succeeded instead of running one. @default false
     */
    readonly skipProductionUp?: boolean;
    readonly edgeHostname?: string;
    readonly edgeDeadlineMs: number;
    readonly edgePollIntervalMs: number;
    readonly dryRun: boolean;
    readonly confirm: (summary: string) => Promise<boolean>;
}

export interface FailbackResult {
    readonly steps: readonly StepRecord[];
    readonly elapsedMs: number;
    /** The final DR dump checked; undefined when production was re-seeded from the archive. */
    readonly backup?: BackupCheck;
    readonly edge?: EdgeState;
    readonly changed: boolean;
}

const procedure = 'docs/dr.md, "Failback"';

export async function failback(deps: DrDeps, options: FailbackOptions): Promise<FailbackResult> {
    const { log } = deps;
    const reseeded = options.reseeded ?? false;
    const steps = new StepRunner(
        deps.clock,
        log,
        reseeded ? (options.dryRun ? 2 : 7) : options.dryRun ? 5 : 9,
    );
    log(
        `DR failback from "${options.drStack}" to "${options.productionStack}"${options.dryRun ? " (dry run)" : ""}`,
    );

    const { dr, production } = await steps.run(
        `select the ${options.drStack} and ${options.productionStack} stacks`,
        (error) =>
            error.message.includes("does not exist")
                ? "check the stack names (--dr-stack, --production-stack) and `pulumi whoami`"
                : installRemedy,
        async () => {
            const drFacts = await readFacts(await selectStack(deps.workspace, options.drStack));
            if (!options.dryRun) await drFacts.stack.checkCanUpdate?.();
            if (!drFacts.drActive) {
                throw new DrStepError(
                    `select the ${options.drStack} and ${options.productionStack} stacks`,
                    `DR is not active: Pulumi.${options.drStack}.yaml has drActive: false, so there is nothing to fail back`,
                    "run `npm run dr -- status` to see the state of both stacks",
                );
            }
            const prodFacts = await readFacts(
                await selectStack(deps.workspace, options.productionStack),
            );
            if (prodFacts.role !== "primary") {
                throw new DrStepError(
                    `select the ${options.drStack} and ${options.productionStack} stacks`,
                    `stack "${options.productionStack}" has role "${prodFacts.role}", not primary`,
                    "pass the primary stack with --production-stack",
                );
            }
            return detailed(
                { dr: drFacts, production: prodFacts },
                `${options.drStack} (${drFacts.region}) is active; ${options.productionStack} is in ${prodFacts.region}`,
            );
        },
    );

    const edge = await steps.run(
        "find the edge",
        "pass --edge-hostname <the public hostname of the edge Worker>",
        async () => {
            const found = await resolveEdgeHostname(
                options.edgeHostname,
                dr,
                async () => production,
            );
            return detailed(found.hostname, `${found.hostname} (from ${found.source})`);
        },
    );

    const backup = reseeded ? undefined : await checkFinalDump();
    async function checkFinalDump(): Promise<BackupCheck> {
        const backup = await steps.run(
            `check the final backup taken in ${options.drStack}`,
            `freeze writes (maintenance mode), run a final backup in the DR cluster (\`kubectl create job --from=cronjob/postgres-backup postgres-backup-final -n mcp-production\`) and re-run; ${procedure}`,
            async () => {
                const check = await checkLatestBackup(
                    deps.store,
                    backupBucket(dr),
                    dr.region,
                    deps.clock.now(),
                    options.maxBackupAgeMs,
                    // DR's own backups, never production's replicated postgres/latest.json.
                    drPointerKey,
                );
                return detailed(
                    check,
                    `${check.pointer.key} taken ${check.pointer.timestamp}, ${formatDuration(check.ageMs)} old`,
                );
            },
        );

        const productionBucket = await steps.run(
            `check that the backup reached ${options.productionStack}`,
            (error) =>
                error.message.includes("has no output")
                    ? `deploy ${options.productionStack} first (\`pulumi up -s ${options.productionStack}\`) so its bucket exists`
                    : `copy the backup with its metadata.json: \`aws s3 cp --recursive s3://${backupBucket(dr)}/${folderOf(backup.pointer.key)} s3://${stringOrUnknown(production)}/${folderOf(productionKeyOf(backup.pointer.key))} --source-region ${dr.region} --region ${production.region}\`, then restore it into production; ${procedure}`,
            async () => {
                const bucket = backupBucket(production);
                const key = productionKeyOf(backup.pointer.key);
                const size = await deps.store.size({ bucket, key, region: production.region });
                if (size === undefined) {
                    throw new Error(`s3://${bucket}/${key} does not exist`);
                }
                if (size !== backup.pointer.size) {
                    throw new Error(
                        `s3://${bucket}/${key} is ${size} bytes, the DR backup is ${backup.pointer.size}: the copy is incomplete`,
                    );
                }
                return detailed(bucket, `s3://${bucket}/${key}, ${size} bytes`);
            },
        );

        await steps.run(
            "confirm that production holds the DR data",
            `restore s3://${productionBucket}/${backup.pointer.key} into postgres-primary on ${options.productionStack} and check it (${procedure}), then re-run with --data-restored`,
            async () => {
                if (!options.dataRestored) {
                    throw new Error(
                        `--data-restored was not given: this tool cannot see whether ${backup.pointer.key} was restored into production's database`,
                    );
                }
                return detailed(undefined, "stated by the operator (--data-restored)");
            },
        );
        return backup;
    }

    if (options.dryRun) {
        log("dry run: the preflight passed; nothing was changed");
        return { steps: steps.records, elapsedMs: steps.elapsed(), backup, changed: false };
    }

    if (
        !(await options.confirm(
            `Fail back: ${reseeded ? `promote the re-seeded database of "${options.productionStack}", ` : ""}${options.skipProductionUp ? "with" : "update"} "${options.productionStack}"${options.skipProductionUp ? " as deployed" : ""}, set drActive: false on "${options.drStack}" and switch ${edge} to the primary region`,
        ))
    ) {
        throw new DrStepError(
            "confirm",
            "the failback was not confirmed; nothing was changed",
            "re-run and answer yes, or pass --yes",
        );
    }

    if (reseeded) {
        // Writes are frozen on dr (maintenance mode): production has replayed everything dr
        // archived once wal-promote.sh finds no newer segment, and then becomes writable.
        await steps.run(
            `promote postgres-primary-0 on ${options.productionStack} (ops/wal-promote.sh)`,
            `DR is still active and serving, nothing else was changed. If production is behind dr's archive or the archive has a gap, see docs/runbooks/PostgresStandbyReplayLagging.md; ${procedure}`,
            async () =>
                detailed(
                    undefined,
                    await deps.database.promote(
                        production.outputs.kubeconfig,
                        production.stack.name,
                    ),
                ),
        );
    }

    if (options.skipProductionUp) {
        await steps.run(
            `check that ${options.productionStack} is deployed`,
            `update ${options.productionStack} first (the deploy workflow, or \`pulumi up -s ${options.productionStack}\` from inside its VPC), then re-run; DR is still active and serving, nothing was changed`,
            async () => {
                const last = await production.stack.lastUpdate();
                if (!last || last.result !== "succeeded") {
                    throw new Error(
                        last
                            ? `the last ${last.kind} of ${options.productionStack} ${last.result}`
                            : `${options.productionStack} was never updated`,
                    );
                }
                return detailed(
                    undefined,
                    `last ${last.kind} succeeded${last.endTime ? ` at ${last.endTime}` : ""} (--skip-production-up)`,
                );
            },
        );
    } else {
        await steps.run(
            `pulumi up on ${options.productionStack}`,
            `the primary region is not ready: read the Pulumi output above and fix it; DR is still active and serving, nothing else was changed. Re-run \`npm run dr -- failback --data-restored\` afterwards`,
            async () => {
                const result = await production.stack.up((text) =>
                    log(`      | ${text.replace(/\n$/, "")}`),
                );
                return detailed(undefined, describeChanges(result.resourceChanges));
            },
        );
    }

    await steps.run(
        `set drActive: false in Pulumi.${options.drStack}.yaml`,
        `check that Pulumi.${options.drStack}.yaml is writable, then re-run`,
        async () => {
            await dr.stack.setDrActive(false);
            return detailed(undefined, "the change must be committed afterwards (docs/dr.md)");
        },
    );

    await steps.run(
        `pulumi up on ${options.drStack}`,
        `drActive is now false in Pulumi.${options.drStack}.yaml but the update did not finish, so the edge may still send traffic to DR. Fix the cause shown above and re-run \`pulumi up -s ${options.drStack}\`, then \`npm run dr -- status\``,
        async () => {
            const result = await dr.stack.up((text) => log(`      | ${text.replace(/\n$/, "")}`));
            return detailed(undefined, describeChanges(result.resourceChanges));
        },
    );

    const verified = await steps.run(
        "verify that the edge sends traffic to primary",
        `the dr stack is back in standby but the edge has not switched. Check the EdgeSwitch KV entry "active-region" in Cloudflare, then \`npm run dr -- status\``,
        async () => {
            const { state, waitedMs } = await waitForRegion(
                deps.http,
                deps.clock,
                edgeBaseUrl(edge),
                "primary",
                { deadlineMs: options.edgeDeadlineMs, intervalMs: options.edgePollIntervalMs, log },
            );
            return detailed(
                state,
                `activeRegion "primary" after ${formatDuration(waitedMs)}${state.maintenance ? "; maintenance mode is still on: turn it off (docs/dr.md)" : ""}`,
            );
        },
    );

    log(
        `failback done in ${formatDuration(steps.elapsed())}: ${edge} serves from ${production.region}; commit Pulumi.${options.drStack}.yaml (drActive: false)`,
    );
    return {
        steps: steps.records,
        elapsedMs: steps.elapsed(),
        backup,
        edge: verified,
        changed: true,
    };
}

/** `dr/postgres/hourly/<stamp>/mcp_db.dump` → `dr/postgres/hourly/<stamp>/`: the dump and its metadata. */
function folderOf(key: string): string {
    const slash = key.lastIndexOf("/");
    return slash < 0 ? "" : key.slice(0, slash + 1);
}

function stringOrUnknown(facts: StackFacts): string {
    try {
        return backupBucket(facts);
    } catch {
        return "<production bucket>";
    }
}
