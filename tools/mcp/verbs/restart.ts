import { restart as spec } from "../catalog";
import { CliError, duration, exitCodes, parseVerbArgs, UsageError } from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import { describeStatus, waitRolledOut } from "../lib/kube";
import { allServices, resolveService, type Workload } from "../lib/services";
import type { Verb } from "./verb";

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

export const restart: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        // Nothing to restart is a mistake, not a success: `mcp restart --rolling --delay 30s`
        // (the manuals' form) names no service.
        if (!values.all && positionals.length === 0) {
            throw new UsageError(
                "give the services to restart, or --all (e.g. mcp restart --all --rolling --delay 30s)",
            );
        }
        if (values.all && positionals.length > 0) {
            throw new UsageError("give the services to restart or --all, not both");
        }
        if (values.delay !== undefined && !values.rolling) {
            throw new UsageError("--delay only applies with --rolling");
        }
        const delayMs = duration("--delay", values.delay ?? "0s");
        const timeoutMs = duration("--timeout", values.timeout ?? "10m");
        const context = await stackContext(values.stack, io);
        const { cfg } = context;
        const targets: Workload[] = values.all
            ? allServices(cfg)
            : positionals.flatMap((name) => resolveService(cfg, name));
        const kube = await kubeFor(context, values, io);

        const missing = [];
        for (const w of targets) if (!(await kube.workloadStatus(w)).exists) missing.push(w);
        if (missing.length) {
            throw new CliError(
                `not in the cluster ${kube.server}: ${missing.map((w) => `${w.kind.toLowerCase()}/${w.name} (${w.namespace})`).join(", ")}`,
                "check --stack and --context; nothing was restarted",
            );
        }
        const wait = values.rolling || values.graceful;
        for (const [index, w] of targets.entries()) {
            if (values.rolling && index > 0 && delayMs > 0) {
                io.out(`waiting ${values.delay} before the next service`);
                await new Promise((resolve) => setTimeout(resolve, delayMs));
            }
            const at = new Date().toISOString();
            await kube.patchWorkload(
                w,
                {
                    spec: {
                        template: { metadata: { annotations: { [restartedAtAnnotation]: at } } },
                    },
                },
                "restart",
            );
            io.out(`restarted ${w.kind.toLowerCase()}/${w.name} in ${w.namespace}`);
            if (values.rolling) {
                const s = await waitRolledOut(kube, w, timeoutMs);
                io.out(`  rolled out: ${describeStatus(s)}`);
            }
        }
        if (values.graceful && !values.rolling) {
            for (const w of targets) {
                const s = await waitRolledOut(kube, w, timeoutMs);
                io.out(`${w.kind.toLowerCase()}/${w.name} rolled out: ${describeStatus(s)}`);
            }
        }
        if (!wait) io.out("follow with: mcp health --wait, or kubectl rollout status");
        return exitCodes.ok;
    },
};
