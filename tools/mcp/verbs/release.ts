import { imageRegistryHost } from "../../../config/image-cache";
import { smokeTestOf } from "../../../config/workloads";
import { cachedImage } from "../../../contracts/image-cache";
import { release as spec } from "../catalog";
import {
    CliError,
    duration,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import type { Kube } from "../lib/kube";
import {
    markReleased,
    promote,
    readDeployment,
    type ReleaseRecord,
    releaseImage,
    restore,
    startCanary,
    waitForCanary,
    waitForRollout,
} from "../lib/release";
import { resolveService, type Workload } from "../lib/services";
import { runSmokeTest, smokeJobName } from "../lib/smoke-test";
import type { Verb } from "./verb";

/**
 * `mcp release <service> <image-tag>`: a canary, a smoke test against it, then every pod, or
 * back to what ran (tools/mcp/lib/release.ts); `mcp release rollback <service>` restores the
 * recorded image; `mcp release status <service>` shows the record.
 */
type Values = ReturnType<typeof parseVerbArgs<typeof spec>>["values"];

function problemOf(error: unknown): string {
    if (error instanceof CliError) return error.problem;
    throw error;
}

interface Target {
    readonly w: Workload;
    readonly container: string;
    readonly port: number;
    readonly smoke: { image: string; command: string[] };
    /** The stack's ECR pull-through cache: every image the release starts comes through it. */
    readonly registryHost: string;
}

/**
 * `reference` as the pods pull it: through the stack's pull-through cache, as the program
 * renders every image (policy k8s-container-image-through-cache), never from upstream.
 */
function throughCache(reference: string, registryHost: string): string {
    try {
        return cachedImage(reference, registryHost);
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
}

async function rollBack(
    kube: Kube,
    t: Target,
    record: ReleaseRecord,
    reason: string,
    timeoutMs: number,
    io: Io,
): Promise<string> {
    io.err(`rolling deployment/${t.w.name} back to ${record.previousImage}…`);
    await restore(kube, t.w, record, reason);
    try {
        return await waitForRollout(kube, t.w, timeoutMs);
    } catch (error) {
        throw new CliError(
            `${reason}; the rollback to ${record.previousImage} is applied but ${problemOf(error)}`,
            `look at its pods: kubectl -n ${t.w.namespace} get pods -l app=${t.w.name}; kubectl -n ${t.w.namespace} rollout status deployment/${t.w.name}`,
        );
    }
}

async function runRelease(kube: Kube, t: Target, given: string, values: Values, io: Io) {
    const { w } = t;
    const rolloutMs = duration("--timeout", values.timeout ?? "10m", { positive: true });
    const smokeMs = duration("--smoke-timeout", values["smoke-timeout"] ?? "5m", {
        positive: true,
    });
    const state = await readDeployment(kube, w, t.container);
    if (state.record?.state === "canary" || state.record?.state === "promoting") {
        throw new CliError(
            `a release of ${state.record.image} to deployment/${w.name} in ${w.namespace} is under way or was interrupted (${state.record.state} since ${state.record.startedAt})`,
            `see it with mcp release status ${w.name}; undo it with mcp release rollback ${w.name} --yes`,
        );
    }
    if (state.deployment.spec?.replicas === 0) {
        throw new CliError(
            `deployment/${w.name} in ${w.namespace} is at 0 replicas: a release needs serving pods for its canary to stand beside`,
            `start it first (mcp start ${w.name}, or mcp scale ${w.name} --replicas N), then release`,
        );
    }
    const image = throughCache(releaseImage(state.image, given), t.registryHost);
    if (image === state.image) {
        io.out(`deployment/${w.name} in ${w.namespace} already runs ${image}: nothing changed`);
        return exitCodes.ok;
    }
    const serving = state.deployment.status?.readyReplicas ?? 0;
    io.err(
        `releasing ${image} to deployment/${w.name} in ${w.namespace}: one canary pod beside the ${serving} serving ${state.image} (recorded for rollback)`,
    );
    let record = await startCanary(kube, w, state, image);
    const fail = async (reason: string, job?: string): Promise<never> => {
        const text = await rollBack(kube, t, record, reason, rolloutMs, io);
        throw new CliError(
            `release of ${image} to deployment/${w.name} in ${w.namespace} failed: ${reason}\nrolled back: it runs ${record.previousImage} again (${text})`,
            job
                ? `read the smoke test's output: kubectl -n ${w.namespace} logs job/${job}; fix the image and release again`
                : `look at the new pods' events: kubectl -n ${w.namespace} get events --sort-by=.lastTimestamp; fix the image and release again`,
        );
    };
    const selector = Object.entries(state.deployment.spec?.selector?.matchLabels ?? { app: w.name })
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    let canary: { pod: string; ip: string };
    try {
        canary = await waitForCanary(kube, w, selector, t.container, image, rolloutMs);
    } catch (error) {
        return fail(problemOf(error));
    }
    const job = smokeJobName(w.name);
    record = { ...record, smokeTestJob: job };
    io.err(
        `canary pod ${canary.pod} (${canary.ip}) is ready; smoke test job/${job} (${t.smoke.image})…`,
    );
    const result = await runSmokeTest(kube, {
        service: w.name,
        namespace: w.namespace,
        name: job,
        image: t.smoke.image,
        command: t.smoke.command,
        releaseImage: image,
        targetUrl: `http://${canary.ip}:${t.port}`,
        timeoutMs: smokeMs,
    });
    if (!result.passed) return fail(`smoke test failed: ${result.reason}`, job);
    io.out(`smoke test passed: job/${job} against the canary pod ${canary.pod}`);
    io.err(`rolling every pod of deployment/${w.name} to ${image}…`);
    record = await promote(kube, w, record);
    let text: string;
    try {
        text = await waitForRollout(kube, w, rolloutMs);
    } catch (error) {
        return fail(`after the smoke test, ${problemOf(error)}`);
    }
    await markReleased(kube, w, record);
    io.out(
        `released ${image} to deployment/${w.name} in ${w.namespace}: ${text} (it ran ${record.previousImage}; undo: mcp release rollback ${w.name} --yes)`,
    );
    io.out(
        `keep it: mcp config set workloads.services.${w.name}.image ${image}, then commit Pulumi.<stack>.yaml (until then a pulumi up puts ${record.previousImage} back)`,
    );
    return exitCodes.ok;
}

async function runRollback(kube: Kube, t: Target, values: Values, io: Io) {
    const { w } = t;
    const rolloutMs = duration("--timeout", values.timeout ?? "10m", { positive: true });
    const state = await readDeployment(kube, w, t.container);
    const record = state.record;
    if (!record) {
        throw new CliError(
            `deployment/${w.name} in ${w.namespace} has no release recorded (annotation mcp-platform.io/release): there is nothing to roll back to`,
            `set an image explicitly: mcp release ${w.name} <image-tag> --yes (or kubectl -n ${w.namespace} rollout undo deployment/${w.name})`,
        );
    }
    if (record.state === "rolled-back" && state.image === record.previousImage) {
        io.out(
            `deployment/${w.name} in ${w.namespace} already runs ${record.previousImage} (the release of ${record.image} was rolled back): nothing changed`,
        );
        return exitCodes.ok;
    }
    const text = await rollBack(
        kube,
        t,
        record,
        `rolled back by mcp release rollback (it ran ${state.image})`,
        rolloutMs,
        io,
    );
    io.out(
        `rolled back deployment/${w.name} in ${w.namespace} to ${record.previousImage}: ${text} (the release of ${record.image} started ${record.startedAt})`,
    );
    return exitCodes.ok;
}

export const release: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        const action =
            positionals[0] === "rollback" || positionals[0] === "status"
                ? positionals[0]
                : "release";
        const args = action === "release" ? positionals : positionals.slice(1);
        const wanted = action === "release" ? 2 : 1;
        if (args.length !== wanted) {
            throw new UsageError(
                action === "release"
                    ? "give a service and an image tag (e.g. mcp release mcp-registry v2.4.2 --yes)"
                    : `give one service (e.g. mcp release ${action} mcp-registry${action === "rollback" ? " --yes" : ""})`,
            );
        }
        if (format !== "text" && action !== "status") {
            throw new UsageError("-o json|yaml goes with mcp release status");
        }
        const context = await stackContext(values.stack, io);
        const [w, ...more] = resolveService(context.cfg, args[0]);
        if (more.length > 0 || w.kind !== "Deployment") {
            throw new CliError(
                `${args[0]} is a data store: its image changes through the stack file and pulumi up (docs/data.md)`,
                "release a catalog service",
                exitCodes.usage,
            );
        }
        if (action !== "status" && !values.yes) {
            throw new UsageError(
                action === "release"
                    ? `releasing ${args[1]} to ${w.name} replaces every pod once its smoke test passes; repeat with --yes to confirm`
                    : `rolling ${w.name} back replaces every pod with the recorded image; repeat with --yes to confirm`,
            );
        }
        const service = context.cfg.workloads.services[w.name];
        const registryHost = imageRegistryHost(context.cfg.cluster.imageCache, context.cfg.region);
        const smoke = smokeTestOf(service);
        const target: Target = {
            w,
            container: service.containerName ?? w.name,
            port: service.port,
            smoke: { ...smoke, image: throughCache(smoke.image, registryHost) },
            registryHost,
        };
        const kube = await kubeFor(context, values, io);
        if (action === "release") return runRelease(kube, target, args[1], values, io);
        if (action === "rollback") return runRollback(kube, target, values, io);
        const state = await readDeployment(kube, w, target.container);
        const status = {
            service: w.name,
            namespace: w.namespace,
            image: state.image,
            release: state.record ?? null,
        };
        if (format !== "text") {
            io.out(renderData(format, status));
        } else if (!state.record) {
            io.out(
                `deployment/${w.name} in ${w.namespace} runs ${state.image}; no release recorded`,
            );
        } else {
            const r = state.record;
            io.out(
                `deployment/${w.name} in ${w.namespace} runs ${state.image}; last release: ${r.image} (${r.state}, started ${r.startedAt}${r.finishedAt ? `, ended ${r.finishedAt}` : ""}), replacing ${r.previousImage}${r.reason ? `; ${r.reason}` : ""}`,
            );
        }
        return exitCodes.ok;
    },
};
