import { execFile } from "node:child_process";
import { promisify } from "node:util";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { allowedHelmCharts } from "../../policies/exemptions";
import { policies as packPolicies } from "../../policies/policies";
import type { ControlPlane } from "./apiserver";
import {
    type Check,
    checkClaims,
    dataVolumes,
    configUids,
    failedCreates,
    podAnnotations,
    rolled,
    runCronJobsOnce,
    settle,
    statefulSetUids,
} from "./e2e-checks";
import { addonSources } from "./e2e-addons";
import { runDrSwitch } from "./e2e-dr";
import { startE2eControlPlane } from "./e2e-cluster";
import { e2eProgram, type E2eSecrets, generateSecrets, type Scratch } from "./e2e-program";
import {
    type Engine,
    type Operation,
    openStack,
    replaceOps,
    run,
    startEngine,
    type Step,
} from "./e2e-stack";
import {
    type ConfigEdit,
    setCredentials,
    stackFileText,
    updateEdit,
    volumeEdit,
    writeStackFile,
} from "./e2e-stack-file";
import { type HelmRepo, serveCharts } from "./helm-repo";

/**
 * `npm run e2e`: the real Pulumi CLI runs our program — the in-cluster layer `index.ts`
 * declares, as an Automation API inline program (test/support/e2e-program.ts) — against two
 * real control planes, one per stack, through the lifecycle users live, each step judged from
 * the engine's own events (test/support/e2e-stack.ts) and the apiserver's account:
 *
 * 1. first deploy in the README's order: production (no replication yet), dr as a standby,
 *    production with replication on (its WAL archive location read from the dr stack's
 *    outputs through a StackReference in the file backend); every Pod admitted (Pod Security),
 *    every workload Ready and every Job complete;
 * 2. an update bumping every image, one replica count, one limit, a ConfigMap value and a
 *    `jwt-secret` rotation: no replacement, the Secret and ConfigMap updated in place and
 *    their readers rolled;
 * 3. Postgres' and Redis' volumes grown: no replacement, claims at the new size;
 * 4. a scratch `serviceName` change: reported as a replace (the check can fail);
 * 5. `preview` with the policy pack: no mandatory violation; a scratch privileged container
 *    makes the preview fail, naming the policy;
 * 6. the DR switch by `npm run dr` (tools/dr.ts) on the real CLI: status, a refused
 *    activation, activation (a real PostgreSQL standby promoted, dr's autoscalers at
 *    production size, the edge Worker in workerd switched), failback and re-arming dr's
 *    database as a standby, status after each (test/support/e2e-dr.ts);
 * 7. `destroy` of both stacks: protected resources refuse, then clean after unprotecting.
 */

type Obj = Record<string, any>;

const execFileAsync = promisify(execFile);

/**
 * The pack's policies that only judge AWS resources or a whole stack's AWS half (S3 buckets,
 * EKS node groups and their capacity): they report "not applicable" on the in-cluster
 * program, which declares no AWS resource (the AWS provider cannot be built here). Every
 * other policy must run; these are proven by the synth's pack run (test/policies/).
 */
const awsOnlyPolicies = [
    "aws-eks-node-group-private",
    "aws-s3-bucket-encrypted-cmk",
    "aws-s3-bucket-public-access-block",
    "aws-s3-bucket-tls-only",
    "aws-s3-bucket-versioning",
    // Needs the stack's ECR pull-through cache rules (their credentials name the registry).
    "k8s-stack-image-own-registry",
    "k8s-stack-node-capacity-headroom",
];

export interface E2eResult {
    /** `create` steps of the first deploys (both stacks). */
    readonly created: number;
    /** `update` steps of the later updates. */
    readonly updated: number;
    /** Replacements where none may happen (must be empty). */
    readonly replaced: Step[];
    /** Every failed check, one line each (must be empty). */
    readonly failures: string[];
    /** Policies the pack ran on the program, and the mandatory violations it found. */
    readonly policies: { readonly ran: number; readonly mandatory: string[] };
    /** Checks that must fail on a scratch change, and whether each did. */
    readonly negatives: Record<string, boolean>;
    /** Seconds per phase. */
    readonly timings: Record<string, number>;
    /** Seconds the DR tool took to activate and to fail back (NaN when it did not run). */
    readonly dr: { readonly activate: number; readonly failback: number };
}

/** The annotations through which a Secret's or ConfigMap's readers roll. */
const secretVersion = "mcp-platform.io/secret-version";
const semanticConfigVersion = "mcp-platform.io/semantic-config-version";

interface StackHandle {
    readonly name: string;
    readonly plane: ControlPlane;
    readonly stack: Stack;
    readonly hasEdge: boolean;
    program(scratch?: Scratch): ReturnType<typeof e2eProgram>;
}

export async function runE2e(log: (line: string) => void = () => {}): Promise<E2eResult> {
    const timings: Record<string, number> = {};
    const policies = { ran: 0, mandatory: [] as string[] };
    const failures: string[] = [];
    const replaced: Step[] = [];
    const negatives: Record<string, boolean> = {};
    let created = 0;
    let updated = 0;
    const drTimes = { activate: Number.NaN, failback: Number.NaN };
    const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
        const t = Date.now();
        log(`e2e: ${name}…`);
        try {
            return await f();
        } finally {
            timings[name] = (Date.now() - t) / 1000;
            log(`e2e: ${name}: ${timings[name].toFixed(1)} s`);
        }
    };
    const check = (ok: boolean, what: string) => {
        if (!ok) failures.push(what);
        return ok;
    };
    const noReplacement = (op: Operation, what: string) => {
        const found = op.steps.filter((s) => replaceOps.has(s.op));
        replaced.push(...found);
        check(
            found.length === 0,
            `${what}: ${found.length} replacement(s): ${found.map((s) => `${s.urn} [${s.replaceKeys?.join(", ")}]`).join("; ")}`,
        );
    };

    // Every policy any operation of our program ran (passed, failed or not applicable), and
    // every mandatory violation.
    const ranPolicies = new Set<string>();
    const judgePolicies = (op: Operation) => {
        for (const name of op.policiesRun) ranPolicies.add(name);
        policies.mandatory.push(
            ...op.violations
                .filter((v) => v.level === "mandatory")
                .map((v) => `${v.policy}: ${v.urn ?? ""} ${v.message}`),
        );
    };
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-e2e-"));
    const planes: ControlPlane[] = [];
    let charts: HelmRepo | undefined;
    try {
        const { engine, addons } = await timed("engine", async () => ({
            engine: await startEngine(tmp),
            addons: addonSources(),
        }));
        charts = await serveCharts([
            addons.karpenterCharts.crds,
            addons.karpenterCharts.controller,
        ]);
        const karpenterRepo = { url: charts.url, charts: charts.charts };
        const packConfig = writePackConfig(tmp, charts);
        const [production, dr] = await timed("control planes", async () => {
            for (const name of ["production", "dr"]) planes.push(await startE2eControlPlane(name));
            return planes;
        });
        const secrets: Record<string, E2eSecrets> = {
            production: generateSecrets(),
            dr: generateSecrets(),
        };
        const handle = async (name: string, plane: ControlPlane, edit: ConfigEdit) => {
            const kubeconfig = fs.readFileSync(plane.kubeconfig, "utf8");
            const program = (scratch?: Scratch) =>
                e2eProgram({ kubeconfig, secrets: secrets[name], addons, karpenterRepo, scratch });
            const text = stackFileText(name, edit);
            writeStackFile(engine, name, text);
            const stack = await openStack(engine, name, text, program());
            const hasEdge = /mcp-platform:edge:/.test(text);
            await setCredentials(stack, hasEdge);
            return { name, plane, stack, hasEdge, program } satisfies StackHandle;
        };
        // The deploy workflow runs every `up` with the policy pack, as here.
        const withPack = { policyPack: engine.policyPack, policyPackConfig: packConfig };
        const up = async (h: StackHandle, what: string) => {
            const op = await timed(what, () =>
                run(h.stack, "up", { program: h.program(), ...withPack }),
            );
            judgePolicies(op);
            noReplacement(op, what);
            const slowest = op.slowest.map((x) => `${x.urn.split("::").pop()} ${x.seconds} s`);
            log(`e2e: ${what}: ${JSON.stringify(op.changes)}; slowest: ${slowest.join(", ")}`);
            return op;
        };
        const admitted = async (h: StackHandle, what: string) => {
            const failed = await failedCreates(h.plane.client);
            check(failed.length === 0, `${what}: pods refused: ${failed.join("; ")}`);
            const status = await settle(h.plane.client);
            check(
                status.notReady.length === 0,
                `${what}: not ready: ${status.notReady.join("; ")}`,
            );
            check(
                status.jobsNotComplete.length === 0,
                `${what}: jobs not complete: ${status.jobsNotComplete.join("; ")}`,
            );
            log(
                `e2e: ${what}: ${status.workloads} workloads Ready, ${status.jobs} jobs complete, ${status.pods} pods`,
            );
        };

        // 1. First deploy: production without replication (the dr stack does not exist yet),
        //    previewed with the pack first as its pull request is (the engine analyzes every
        //    resource of a new stack; an unchanged one only where something changes).
        const prod = await handle("production", production, (config) => {
            delete (config["mcp-platform:backups"] as Obj).replication;
        });
        judgePolicies(
            await timed("first preview with the policy pack", () =>
                run(prod.stack, "preview", { program: prod.program(), ...withPack }),
            ),
        );
        const first = await up(prod, "production first up");
        created += first.changes.create ?? 0;
        // The CronJobs' pods too: one Job from each, as an operator's manual run makes it.
        const jobs = await runCronJobsOnce(production.client);
        check(jobs.length >= 4, `production: ${jobs.length} CronJobs found`);
        await admitted(prod, "production first up");

        const drStack = await handle("dr", dr, () => {});
        const standby = await up(drStack, "dr standby up");
        created += standby.changes.create ?? 0;
        await admitted(drStack, "dr standby up");

        writeStackFile(engine, "production", stackFileText("production"));
        const replicated = await up(prod, "production replication up");
        updated += replicated.changes.update ?? 0;
        const [prodOut, drOut] = [await prod.stack.outputs(), await drStack.stack.outputs()];
        check(
            prodOut.walArchiveBucketArn?.value === drOut.backupBucketArn?.value,
            `StackReference: production archives WAL to ${prodOut.walArchiveBucketArn?.value}, the dr stack's bucket is ${drOut.backupBucketArn?.value}`,
        );
        await admitted(prod, "production replication up");

        // 2. Update: images, a replica count, a limit, a ConfigMap value, a jwt-secret rotation.
        const before = {
            secret: await podAnnotations(production.client, secretVersion),
            semantic: await podAnnotations(production.client, semanticConfigVersion),
            uids: await configUids(production.client),
        };
        secrets.production = { ...secrets.production, jwtSecret: generateSecrets().jwtSecret };
        writeStackFile(engine, "production", stackFileText("production", updateEdit));
        await timed("update preview", () =>
            run(prod.stack, "preview", { program: prod.program() }),
        ).then((op) => noReplacement(op, "update preview"));
        const update = await up(prod, "update up");
        updated += update.changes.update ?? 0;
        await admitted(prod, "update up");
        const after = {
            secret: await podAnnotations(production.client, secretVersion),
            semantic: await podAnnotations(production.client, semanticConfigVersion),
            uids: await configUids(production.client),
        };
        rolled(check, "jwt-secret rotation", before.secret, after.secret);
        rolled(check, "mcp-semantic-config change", before.semantic, after.semantic);
        for (const [object, uid] of Object.entries(before.uids)) {
            check(after.uids[object] === uid, `${object} was recreated, not updated in place`);
        }

        // 3. Volumes grown.
        const setUids = await statefulSetUids(production.client);
        writeStackFile(engine, "production", stackFileText("production", volumeEdit));
        const grown = await up(prod, "volumes up");
        updated += grown.changes.update ?? 0;
        const setUidsAfter = await statefulSetUids(production.client);
        for (const [set, uid] of Object.entries(setUids)) {
            check(setUidsAfter[set] === uid, `volumes: StatefulSet ${set} was replaced`);
        }
        await checkClaims(production.client, check, log);

        // 4. A change that must replace.
        const scratchSet = "postgres-replica";
        const scratch = await timed("scratch replace preview", () =>
            run(prod.stack, "preview", {
                program: prod.program({ kind: "serviceName", statefulSet: scratchSet }),
                allowFailure: true,
            }),
        );
        negatives["serviceName change reported as a replace"] = check(
            scratch.steps.some(
                (s) =>
                    replaceOps.has(s.op) &&
                    s.type === "kubernetes:apps/v1:StatefulSet" &&
                    s.urn.endsWith(`-${scratchSet}`),
            ),
            `scratch: the serviceName change of ${scratchSet} was not reported as a replace (${JSON.stringify(scratch.ops)})`,
        );

        // 5. The policy pack inside the engine.
        const packed = await timed("preview with the policy pack", () =>
            run(prod.stack, "preview", { program: prod.program(), ...withPack }),
        );
        judgePolicies(packed);
        policies.ran = ranPolicies.size;
        const notRun = packPolicies.map((p) => p.name).filter((name) => !ranPolicies.has(name));
        log(`e2e: the pack ran ${policies.ran} of its ${packPolicies.length} policies`);
        check(
            notRun.every((name) => awsOnlyPolicies.includes(name)),
            `policies that did not run on the program: ${notRun.filter((name) => !awsOnlyPolicies.includes(name)).join(", ")}`,
        );
        check(
            policies.mandatory.length === 0,
            `mandatory violations: ${policies.mandatory.join("; ")}`,
        );
        const privileged = await timed("privileged scratch preview", () =>
            run(prod.stack, "preview", {
                program: prod.program({ kind: "privileged" }),
                ...withPack,
                allowFailure: true,
            }),
        );
        const named = privileged.violations.filter(
            (v) => v.level === "mandatory" && /scratch-privileged/.test(v.urn ?? ""),
        );
        negatives["privileged container fails the preview"] = check(
            !privileged.ok && named.length > 0,
            `scratch: a privileged container did not fail the preview (exit ${privileged.ok ? 0 : 1}, violations: ${named.map((v) => v.policy).join(", ") || "none"})`,
        );
        log(`e2e: privileged scratch refused by ${named.map((v) => v.policy).join(", ")}`);

        // 6. The DR switch, by the DR tool on both stacks (test/support/e2e-dr.ts).
        const switched = await runDrSwitch({
            engine,
            programs: { production: () => prod.program(), dr: () => drStack.program() },
            policyConfig: JSON.parse(fs.readFileSync(packConfig, "utf8")) as Obj,
            planes: { production, dr },
            check,
            log,
            timed,
        });
        drTimes.activate = switched.activateSeconds;
        drTimes.failback = switched.failbackSeconds;
        negatives["a failing activation step stops the DR tool"] = switched.failedActivationRefused;

        // 7. Destroy.
        // Each stack on its own control plane: both at once, as two operators would.
        await Promise.all([prod, drStack].map((h) => destroy(engine, h, check, timed)));
    } finally {
        await charts?.close();
        for (const plane of planes) await plane.stop();
        if (process.env.MCP_E2E_KEEP) log(`e2e: kept ${tmp}`);
        else fs.rmSync(tmp, { recursive: true, force: true });
    }
    return { created, updated, replaced, failures, policies, negatives, timings, dr: drTimes };
}

/**
 * The pack's config for the e2e stack: its own chart allow-list plus the loopback repository
 * that serves Karpenter's charts from its Go module in place of the OCI registry the
 * platform installs them from (the pack's documented way to allow a chart).
 */
function writePackConfig(dir: string, repo: HelmRepo): string {
    const file = path.join(dir, "policy-pack-config.json");
    const mirrored = Object.keys(repo.charts).map((chart) => ({
        chart,
        repository: repo.url,
        reason: "e2e: the chart of the pinned Karpenter release, from its Go module",
    }));
    fs.writeFileSync(
        file,
        JSON.stringify({
            "k8s-helm-chart-allowed": { allowedCharts: [...allowedHelmCharts, ...mirrored] },
        }),
    );
    return file;
}

async function destroy(
    engine: Engine,
    h: StackHandle,
    check: Check,
    timed: <T>(name: string, f: () => Promise<T>) => Promise<T>,
): Promise<void> {
    const exported = await h.stack.exportStack();
    const resources = (exported.deployment?.resources ?? []) as Obj[];
    const protectedUrns = resources.filter((r) => r.protect).map((r) => r.urn as string);
    const volumesBefore = await dataVolumes(h.plane.client);
    const first = await timed(`${h.name} destroy`, () =>
        run(h.stack, "destroy", { allowFailure: true }),
    );
    if (protectedUrns.length > 0) {
        check(
            !first.ok,
            `${h.name}: destroy succeeded despite ${protectedUrns.length} protected resources`,
        );
        const unprotect = await execFileAsync(
            engine.pulumi.command,
            ["state", "unprotect", "--all", "--yes", "--stack", h.name],
            { cwd: engine.dir, env: { ...process.env, ...engine.env }, encoding: "utf8" },
        ).then(
            () => "",
            (error: { stderr?: string; message: string }) => error.stderr || error.message,
        );
        check(unprotect === "", `${h.name}: pulumi state unprotect: ${unprotect}`);
        await timed(`${h.name} destroy after unprotect`, () => run(h.stack, "destroy"));
    } else {
        check(first.ok, `${h.name}: destroy failed: ${first.failure}`);
    }
    const left = ((await h.stack.exportStack()).deployment?.resources ?? []) as Obj[];
    check(left.length === 0, `${h.name}: ${left.length} resources left after destroy`);
    // The data outlives the stack: the namespaces go, and with them the StatefulSets and their
    // claims, but the gp3 class's volumes are `Retain` (docs/data.md, "Tearing down").
    const volumesAfter = await dataVolumes(h.plane.client);
    check(
        Object.keys(volumesBefore).length > 0 &&
            Object.values(volumesBefore).every(
                (pv) => pv.endsWith(" Retain") && Object.values(volumesAfter).includes(pv),
            ),
        `${h.name}: data volumes before destroy ${JSON.stringify(volumesBefore)}, after ${JSON.stringify(volumesAfter)}`,
    );
}
