import { stop as spec } from "../catalog";
import { CliError, duration, exitCodes, parseVerbArgs, UsageError } from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import type { Workload } from "../lib/services";
import {
    checkTargetsGiven,
    patchCount,
    readHpa,
    readState,
    type StoppedRecord,
    waitStopped,
    selectTargets,
} from "../lib/stopped";
import type { Verb } from "./verb";

/**
 * `mcp stop`: scale services to 0 for maintenance, recording what `mcp start` restores
 * (tools/mcp/lib/stopped.ts says how and why the HPA is left alone).
 */
export const stop: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        checkTargetsGiven("stop", values.all, positionals, "mcp stop filesystem --yes");
        const timeoutMs = duration("--timeout", values.timeout ?? "5m");
        const context = await stackContext(values.stack, io);
        const { cfg } = context;
        const targets: Workload[] = selectTargets(cfg, values.all, positionals);
        const data = targets.filter((w) => w.kind === "StatefulSet");
        if (data.length) {
            throw new CliError(
                `refusing to stop the data store ${data.map((w) => w.name).join(", ")}`,
                "the data layer is not stopped by hand (its StatefulSets are Pulumi-managed; docs/data.md); stop its clients instead",
                exitCodes.usage,
            );
        }
        if (!values.yes) {
            throw new UsageError(
                `stopping ${values.all ? "every service" : targets.map((w) => w.name).join(", ")} removes every pod: it stops serving until mcp start; repeat with --yes to confirm`,
            );
        }
        const kube = await kubeFor(context, values, io);
        const states = [];
        for (const w of targets) {
            const state = await readState(kube, w);
            if (!state) {
                throw new CliError(
                    `deployment/${w.name} does not exist in ${w.namespace} (stack ${context.stack}, API server ${kube.server}); nothing was stopped`,
                    "check --stack and --context: the kubeconfig may point at another cluster",
                );
            }
            states.push({ w, state });
        }
        for (const { w, state } of states) {
            if (state.record) {
                io.out(
                    `deployment/${w.name} in ${w.namespace} is already stopped (since ${state.record.stoppedAt}, ${state.record.replicas} replicas recorded): nothing changed`,
                );
            } else if (state.replicas === 0) {
                io.out(
                    `deployment/${w.name} in ${w.namespace} is already at 0 replicas (not by mcp stop: nothing recorded, mcp start will not start it): nothing changed`,
                );
            } else {
                const record: StoppedRecord = {
                    replicas: state.replicas,
                    hpa: await readHpa(kube, w),
                    stoppedAt: new Date().toISOString(),
                };
                await patchCount(kube, w, state, 0, record, "stop");
                const hpa = record.hpa
                    ? `; hpa/${record.hpa.name} (${record.hpa.minReplicas}..${record.hpa.maxReplicas}) is idle while it is at 0`
                    : "";
                io.out(
                    `stopped deployment/${w.name} in ${w.namespace}: ${state.replicas} → 0 (recorded for mcp start${hpa})`,
                );
            }
            if (values.wait || values.graceful) {
                await waitStopped(kube, w, state.selector, timeoutMs);
                io.out(`deployment/${w.name}: every pod has exited`);
            }
        }
        return exitCodes.ok;
    },
};
