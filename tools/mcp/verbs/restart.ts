import { CliError, exitCodes, parseDuration, parseVerbArgs, UsageError } from "../lib/cli";
import { type Io, kubeFor, kubeOptionHelp, kubeOptions, stackContext } from "../lib/context";
import { describeStatus, waitRolledOut } from "../lib/kube";
import { allServices, resolveService, type Workload } from "../lib/services";
import type { Verb } from "./verb";

/** The annotation `kubectl rollout restart` sets on the pod template. */
export const restartedAtAnnotation = "kubectl.kubernetes.io/restartedAt";

export const restart: Verb = {
    name: "restart",
    help: {
        synopsis: [
            "mcp restart <service>... [--graceful] [--timeout 10m]",
            "mcp restart --all [--rolling [--delay 30s]]",
        ],
        summary:
            "Restarts services the way `kubectl rollout restart` does: a new pod template annotation, so the Deployment replaces its pods by its rolling update (maxSurge 25 %, maxUnavailable 0), each pod ending gracefully within its terminationGracePeriodSeconds.",
        options: [
            { flag: "--all", text: "every service of the catalog" },
            {
                flag: "--rolling",
                text: "one service at a time: the next starts once the previous one rolled out",
            },
            {
                flag: "--delay DURATION",
                text: "pause between services with --rolling (default 0s)",
            },
            { flag: "--graceful", text: "wait until every restarted service rolled out" },
            { flag: "--timeout DURATION", text: "how long to wait per service (default 10m)" },
            ...kubeOptionHelp,
        ],
        notes: ["Exit 1 when a service does not roll out within the timeout (its pods are named)."],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...kubeOptions,
            all: { type: "boolean" },
            rolling: { type: "boolean" },
            delay: { type: "string" },
            graceful: { type: "boolean" },
            timeout: { type: "string" },
        });
        if (values.all === positionals.length > 0) {
            throw new UsageError("give the services to restart, or --all");
        }
        if (values.delay !== undefined && !values.rolling) {
            throw new UsageError("--delay only applies with --rolling");
        }
        const delayMs = parseDuration("--delay", values.delay ?? "0s");
        const timeoutMs = parseDuration("--timeout", values.timeout ?? "10m");
        const { stack, cfg } = await stackContext(values.stack, io);
        const targets: Workload[] = values.all
            ? allServices(cfg)
            : positionals.flatMap((name) => resolveService(cfg, name));
        const kube = await kubeFor(stack, values, io);

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
