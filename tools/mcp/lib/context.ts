import type { PlatformConfig } from "../../../config";
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

export async function kubeFor(
    stack: string,
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
        kubeconfigText:
            fromStack === undefined
                ? undefined
                : typeof fromStack === "string"
                  ? fromStack
                  : JSON.stringify(fromStack),
        // One file in $KUBECONFIG is read directly; a list is merged by loadFromDefault.
        kubeconfig:
            values.kubeconfig ??
            (io.env.KUBECONFIG && !io.env.KUBECONFIG.includes(":") ? io.env.KUBECONFIG : undefined),
        context: values.context,
    });
}

/** The kube options every Kubernetes verb takes. */
export const kubeOptions = {
    kubeconfig: { type: "string" },
    "kubeconfig-from-stack": { type: "boolean" },
    context: { type: "string" },
} as const;

export const kubeOptionHelp = [
    {
        flag: "--kubeconfig FILE",
        text: "kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)",
    },
    {
        flag: "--context NAME",
        text: "kubeconfig context (default: the context named after the stack, else the current one)",
    },
] as const;
