import { scale as spec } from "../catalog";
import { CliError, count, duration, exitCodes, parseVerbArgs, UsageError } from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import { describeStatus, waitRolledOut } from "../lib/kube";
import { resolveService } from "../lib/services";
import type { Verb } from "./verb";

export const scale: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        if (positionals.length !== 1) throw new UsageError("give exactly one service");
        const replicas = count("--replicas", values.replicas);
        const timeoutMs = duration("--timeout", values.timeout ?? "5m");
        if (replicas === 0 && !values.yes) {
            throw new UsageError(
                `--replicas 0 stops ${positionals[0]}: every pod goes and its HPA no longer scales it up; repeat with --yes to confirm`,
            );
        }
        const context = await stackContext(values.stack, io);
        const { stack, cfg } = context;
        const workloads = resolveService(cfg, positionals[0]);
        if (workloads.some((w) => w.kind === "StatefulSet") && replicas === 0) {
            throw new CliError(
                `refusing to scale the data store ${positionals[0]} to 0`,
                "the data layer is not stopped by hand (its StatefulSets are Pulumi-managed; docs/data.md)",
                exitCodes.usage,
            );
        }
        const kube = await kubeFor(context, values, io);
        for (const w of workloads) {
            const before = await kube.workloadStatus(w);
            if (!before.exists) {
                throw new CliError(
                    `${w.kind.toLowerCase()}/${w.name} does not exist in ${w.namespace} (stack ${stack}, API server ${kube.server})`,
                    "check --stack and --context: the kubeconfig may point at another cluster",
                );
            }
            await kube.patchScale(w, replicas);
            io.out(
                `scaled ${w.kind.toLowerCase()}/${w.name} in ${w.namespace}: ${before.desired} → ${replicas}`,
            );
            if (w.autoscaled && replicas > 0) {
                const hpa = await kube.find(`read hpa ${w.name}-hpa`, () =>
                    kube.autoscaling.readNamespacedHorizontalPodAutoscaler({
                        name: `${w.name}-hpa`,
                        namespace: w.namespace,
                    }),
                );
                if (hpa) {
                    const min = hpa.spec?.minReplicas ?? 1;
                    const max = hpa.spec?.maxReplicas ?? min;
                    io.err(
                        `note: hpa/${w.name}-hpa (${min}..${max}) owns the count and resizes it at its next decision${replicas < min || replicas > max ? ` (${replicas} is outside ${min}..${max})` : ""}`,
                    );
                }
            }
            if (values.wait) {
                const after = await waitRolledOut(kube, w, timeoutMs);
                io.out(`${w.kind.toLowerCase()}/${w.name}: ${describeStatus(after)}`);
            }
        }
        return exitCodes.ok;
    },
};
