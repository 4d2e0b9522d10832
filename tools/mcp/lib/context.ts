import type { PlatformConfig } from "../../../config";
import { clusterName } from "../../../contracts/names";
import type { Io } from "./cli";
import { Kube } from "./kube";
import { stackOutputValue } from "./outputs";
import { loadStackConfig, resolveStackName } from "./stack";

export type { Io };

export interface StackContext {
    readonly stack: string;
    readonly cfg: PlatformConfig;
}

export async function stackContext(given: string | undefined, io: Io): Promise<StackContext> {
    const stack = await resolveStackName(given, io.env);
    return { stack, cfg: loadStackConfig(stack) };
}

/** The cluster of a stack through the kubeconfig options of tools/mcp/catalog.ts. */
export async function kubeFor(
    { stack, cfg }: StackContext,
    values: { kubeconfig?: string; context?: string; "kubeconfig-from-stack"?: boolean },
    io: Io,
): Promise<Kube> {
    const fromStack = values["kubeconfig-from-stack"]
        ? await stackOutputValue(
              stack,
              "kubeconfig",
              "pass --kubeconfig or use the current context",
          )
        : undefined;
    return new Kube({
        stack,
        cluster: { name: clusterName(cfg.environment), region: cfg.region },
        env: io.env,
        kubeconfigText:
            fromStack === undefined
                ? undefined
                : typeof fromStack === "string"
                  ? fromStack
                  : JSON.stringify(fromStack),
        kubeconfig: values.kubeconfig,
        context: values.context,
    });
}
