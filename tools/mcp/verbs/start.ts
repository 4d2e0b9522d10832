import { start as spec } from "../catalog";
import { CliError, duration, exitCodes, parseVerbArgs } from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import { describeStatus, waitRolledOut } from "../lib/kube";
import type { Workload } from "../lib/services";
import { checkTargetsGiven, patchCount, readHpa, readState, selectTargets } from "../lib/stopped";
import type { Verb } from "./verb";

/** `mcp start`: give back to services exactly the count `mcp stop` recorded. */
export const start: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        checkTargetsGiven("start", values.all, positionals, "mcp start filesystem");
        const timeoutMs = duration("--timeout", values.timeout ?? "5m");
        const context = await stackContext(values.stack, io);
        const { cfg } = context;
        const targets: Workload[] = selectTargets(cfg, values.all, positionals);
        const data = targets.filter((w) => w.kind === "StatefulSet");
        if (data.length) {
            throw new CliError(
                `${data.map((w) => w.name).join(", ")} is a data store: mcp stop never stops one, so there is nothing to start`,
                "see its state with mcp health",
                exitCodes.usage,
            );
        }
        const kube = await kubeFor(context, values, io);
        const refused: string[] = [];
        const started: Workload[] = [];
        for (const w of targets) {
            const state = await readState(kube, w);
            if (!state) {
                refused.push(`deployment/${w.name} does not exist in ${w.namespace}`);
                continue;
            }
            if (!state.record) {
                if (state.replicas > 0) {
                    io.out(
                        `deployment/${w.name} in ${w.namespace} is running (${state.replicas} replicas): nothing changed`,
                    );
                } else {
                    refused.push(
                        `deployment/${w.name} in ${w.namespace} is at 0 replicas but was not stopped by mcp stop (no record of its count)`,
                    );
                }
                continue;
            }
            const { record } = state;
            await patchCount(kube, w, state, record.replicas, null, "start");
            io.out(
                `started deployment/${w.name} in ${w.namespace}: 0 → ${record.replicas} (recorded ${record.stoppedAt})`,
            );
            if (record.hpa) {
                const now = await readHpa(kube, w);
                if (
                    !now ||
                    now.minReplicas !== record.hpa.minReplicas ||
                    now.maxReplicas !== record.hpa.maxReplicas
                ) {
                    io.err(
                        `note: hpa/${record.hpa.name} was ${record.hpa.minReplicas}..${record.hpa.maxReplicas} when stopped and is ${now ? `${now.minReplicas}..${now.maxReplicas}` : "gone"} now: it resizes the count at its next decision`,
                    );
                }
            }
            started.push(w);
        }
        if (values.wait) {
            for (const w of started) {
                const s = await waitRolledOut(kube, w, timeoutMs);
                io.out(`deployment/${w.name}: ${describeStatus(s)}`);
            }
        }
        if (refused.length) {
            throw new CliError(
                `not started: ${refused.join("; ")}`,
                "give its count with mcp scale <service> --replicas N (the service's replicas or autoscaling.minReplicas in Pulumi.<stack>.yaml), or check --stack and --context",
            );
        }
        return exitCodes.ok;
    },
};
