import { stackOutputNames } from "../../../contracts/stack-outputs";
import { pointerAge, readPointer } from "./backup";
import { edgeBaseUrl, readEdgeState, type EdgeState } from "./edge";
import {
    backupBucket,
    parseFlag,
    readFacts,
    resolveEdgeHostname,
    selectStack,
    type StackFacts,
} from "./stacks";
import { formatDuration } from "./targets";
import { type DrDeps, DrStepError, type UpdateInfo } from "./types";

/**
 * `npm run dr -- status`: both stacks (file flag, deployed flag, last update), the newest
 * backup in the DR bucket against the RPO, and what the edge says. Every section is read
 * on its own, so an unreachable production region still leaves the rest of the report.
 * `problems` lists what needs attention; the CLI exits 1 when there is any.
 */
export interface StackStatus {
    readonly name: string;
    readonly error?: string;
    readonly region?: string;
    readonly role?: string;
    /** What the stack file says. */
    readonly drActive?: boolean;
    /** What the stack was last deployed with (its `drActive` output). */
    readonly deployedDrActive?: boolean;
    readonly lastUpdate?: UpdateInfo;
}

export interface BackupStatus {
    readonly error?: string;
    readonly bucket?: string;
    readonly key?: string;
    readonly timestamp?: string;
    readonly ageMs?: number;
    readonly withinRpo?: boolean;
}

export interface EdgeStatus extends Partial<EdgeState> {
    readonly error?: string;
    readonly hostname?: string;
}

export interface StatusReport {
    readonly stacks: readonly StackStatus[];
    readonly backup: BackupStatus;
    readonly edge: EdgeStatus;
    readonly problems: readonly string[];
}

export interface StatusOptions {
    readonly drStack: string;
    readonly productionStack: string;
    readonly rpoMs: number;
    readonly edgeHostname?: string;
}

async function stackStatus(
    deps: DrDeps,
    name: string,
): Promise<{ status: StackStatus; facts?: StackFacts }> {
    try {
        const facts = await readFacts(await selectStack(deps.workspace, name));
        const deployed = facts.outputs[stackOutputNames.drActive];
        return {
            facts,
            status: {
                name,
                region: facts.region,
                role: facts.role,
                drActive: facts.drActive,
                deployedDrActive:
                    typeof deployed === "boolean" ? deployed : parseFlag(stringOf(deployed)),
                lastUpdate: await facts.stack.lastUpdate(),
            },
        };
    } catch (error) {
        return { status: { name, error: (error as Error).message } };
    }
}

function stringOf(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

export async function status(deps: DrDeps, options: StatusOptions): Promise<StatusReport> {
    const problems: string[] = [];
    const production = await stackStatus(deps, options.productionStack);
    const dr = await stackStatus(deps, options.drStack);
    for (const { status: s } of [production, dr]) {
        if (s.error) problems.push(`${s.name}: ${s.error}`);
        else if (s.lastUpdate && s.lastUpdate.result !== "succeeded") {
            problems.push(`${s.name}: the last ${s.lastUpdate.kind} ${s.lastUpdate.result}`);
        }
    }
    if (dr.status.drActive !== undefined && dr.status.drActive !== dr.status.deployedDrActive) {
        problems.push(
            `${options.drStack}: Pulumi.${options.drStack}.yaml says drActive ${dr.status.drActive} but the stack was last deployed with ${dr.status.deployedDrActive}: an activation or failback is unfinished`,
        );
    }

    let backup: BackupStatus = { error: "the dr stack could not be read" };
    if (dr.facts) {
        try {
            const bucket = backupBucket(dr.facts);
            const { pointer } = await readPointer(deps.store, bucket, dr.facts.region);
            const ageMs = pointerAge(pointer, deps.clock.now());
            backup = {
                bucket,
                key: pointer.key,
                timestamp: pointer.timestamp,
                ageMs,
                withinRpo: ageMs <= options.rpoMs,
            };
            if (ageMs > options.rpoMs) {
                problems.push(
                    `backup: the newest backup in ${bucket} is ${formatDuration(ageMs)} old, more than the ${formatDuration(options.rpoMs)} RPO`,
                );
            }
        } catch (error) {
            backup = { error: (error as Error).message };
            problems.push(`backup: ${(error as Error).message}`);
        }
    }

    let edge: EdgeStatus = { error: "the dr stack could not be read" };
    if (dr.facts) {
        try {
            const { hostname } = await resolveEdgeHostname(
                options.edgeHostname,
                dr.facts,
                async () => {
                    if (production.facts) return production.facts;
                    throw new Error(production.status.error ?? "unreadable");
                },
            );
            const state = await readEdgeState(deps.http, edgeBaseUrl(hostname));
            edge = { hostname, ...state };
            const expected = dr.status.deployedDrActive ? "dr" : "primary";
            if (state.activeRegion !== expected) {
                problems.push(
                    `edge: activeRegion is "${state.activeRegion}" but the ${options.drStack} stack is deployed with drActive ${dr.status.deployedDrActive}`,
                );
            }
        } catch (error) {
            edge = { error: (error as Error).message };
            problems.push(`edge: ${(error as Error).message}`);
        }
    }
    if (edge.serving === false) {
        problems.push("edge: the active region's origin does not answer (the edge says 503)");
    }
    if (edge.maintenance) problems.push("edge: maintenance mode is on");

    return { stacks: [production.status, dr.status], backup, edge, problems };
}

/** The report as the operator reads it. */
export function renderStatus(report: StatusReport): string {
    const lines: string[] = [];
    for (const s of report.stacks) {
        if (s.error) {
            lines.push(`stack ${s.name}: UNREADABLE (${s.error})`);
            continue;
        }
        const update = s.lastUpdate
            ? `last ${s.lastUpdate.kind} ${s.lastUpdate.result}${s.lastUpdate.endTime ? ` at ${s.lastUpdate.endTime}` : ""}`
            : "never updated";
        lines.push(
            `stack ${s.name}: ${s.region}, role ${s.role}, drActive ${s.drActive} (deployed: ${s.deployedDrActive}), ${update}`,
        );
    }
    const b = report.backup;
    lines.push(
        b.error
            ? `backup: UNKNOWN (${b.error})`
            : `backup: ${b.key} in ${b.bucket}, taken ${b.timestamp}, ${formatDuration(b.ageMs ?? 0)} old (${b.withinRpo ? "within" : "OUTSIDE"} the RPO)`,
    );
    const e = report.edge;
    lines.push(
        e.error
            ? `edge: UNKNOWN (${e.error})`
            : `edge: ${e.hostname} sends traffic to ${e.activeRegion}${e.serving ? "" : " (which does NOT answer)"}, maintenance ${e.maintenance ? "ON" : "off"}`,
    );
    lines.push(
        report.problems.length === 0
            ? "no problems"
            : `${report.problems.length} problem(s):\n${report.problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    return lines.join("\n");
}

/**
 * `npm run dr -- check-deploy`, run by the deploy workflow before `pulumi up` on the dr stack:
 * refuses when the commit's Pulumi.<dr>.yaml disagrees with how the dr stack is deployed. An
 * ordinary deploy must never deactivate DR in the middle of a disaster (the activation's
 * config change is committed after the fact), nor activate it without the backup check.
 */
export async function checkDeploy(deps: DrDeps, drStackName: string): Promise<string> {
    const step = `compare Pulumi.${drStackName}.yaml with the deployed ${drStackName} stack`;
    let facts: StackFacts;
    try {
        facts = await readFacts(await selectStack(deps.workspace, drStackName));
    } catch (error) {
        throw new DrStepError(
            step,
            (error as Error).message,
            "check `pulumi whoami` and the stack name",
        );
    }
    const deployedValue = facts.outputs[stackOutputNames.drActive];
    if (deployedValue === undefined) {
        return `${drStackName} has no deployed drActive output yet (first deploy): ok`;
    }
    const deployed = deployedValue === true || parseFlag(stringOf(deployedValue));
    if (deployed && !facts.drActive) {
        throw new DrStepError(
            step,
            `the ${drStackName} stack is ACTIVE (deployed with drActive: true) but this commit's Pulumi.${drStackName}.yaml says false; deploying it would send traffic back to the primary region and scale DR down`,
            "merge the DR activation change (the DR workflow opens a pull request with it) before deploying, or fail back with `npm run dr -- failback` (docs/dr.md)",
        );
    }
    if (!deployed && facts.drActive) {
        throw new DrStepError(
            step,
            `this commit sets drActive: true but the ${drStackName} stack is deployed in standby; activation must go through \`npm run dr -- activate\`, which checks the backup first`,
            "run the DR workflow (or `npm run dr -- activate`) instead of a deploy",
        );
    }
    return `${drStackName}: drActive ${facts.drActive} in the file and deployed: ok`;
}
