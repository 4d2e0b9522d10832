import * as k8s from "@kubernetes/client-node";
import type { PlatformConfig } from "../../../config";
import { maintenance as spec } from "../catalog";
import {
    CliError,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, stackContext } from "../lib/context";
import { putKv } from "../lib/cloudflare";
import { edgeUrl, readEdgeHealth } from "../lib/edge";
import type { Kube } from "../lib/kube";
import { stackOutput } from "../lib/outputs";
import { type ConfigWriter, PulumiConfigWriter } from "../lib/pulumi-config";
import { resolveService } from "../lib/services";
import type { Verb } from "./verb";
import { maintenanceAction, maintenancePage, switchKeys } from "../../../contracts/edge";

/** The stack config key that keeps the edge switch across `pulumi up`. */
export const edgeMaintenanceKey = "mcp-platform:edge.worker.maintenance";
const actionAnnotation = `alb.ingress.kubernetes.io/actions.${maintenanceAction}`;
const defaultMessage = "Scheduled maintenance is in progress. Please try again shortly.";

/** The public Ingress of each named service; a CliError for one without any. */
function ingressesOf(cfg: PlatformConfig, names: readonly string[]) {
    return names.map((name) => {
        const [w] = resolveService(cfg, name);
        const ingress =
            w.kind === "Deployment" ? cfg.workloads.services[w.name].ingress : undefined;
        if (!ingress) {
            throw new CliError(
                `${name} has no public Ingress to drain`,
                w.kind === "StatefulSet"
                    ? "the data layer is not stopped by hand (docs/data.md); drain the services that use it instead"
                    : `stop it instead: mcp scale ${w.name} --replicas 0`,
                exitCodes.usage,
            );
        }
        return { service: w.name, namespace: w.namespace, ingress: ingress.name };
    });
}

/**
 * Drains (or restores) one Ingress the way the program's maintenance mode renders it
 * (components/workloads/ingresses.ts): the ALB answers every rule with a fixed 503 page.
 */
async function drainIngress(
    kube: Kube,
    target: { namespace: string; ingress: string; service: string },
    on: boolean,
    message: string,
) {
    const networking = kube.config.makeApiClient(k8s.NetworkingV1Api);
    const what = `ingress/${target.ingress} in ${target.namespace}`;
    const current = await kube.find(`read ${what}`, () =>
        networking.readNamespacedIngress({ name: target.ingress, namespace: target.namespace }),
    );
    if (!current)
        throw new CliError(
            `${what} does not exist (API server ${kube.server})`,
            "check --stack and --context",
        );
    const backend = on
        ? { service: { name: maintenanceAction, port: { name: "use-annotation" } } }
        : { service: { name: target.service, port: { name: "http" } } };
    const rules = (current.spec?.rules ?? []).map((rule) => ({
        ...rule,
        http: { paths: (rule.http?.paths ?? []).map((p) => ({ ...p, backend })) },
    }));
    const annotation = on
        ? JSON.stringify({
              type: "fixed-response",
              fixedResponseConfig: {
                  contentType: "text/html",
                  statusCode: "503",
                  messageBody: maintenancePage(message),
              },
          })
        : null;
    await kube.call(`patch ${what}`, () =>
        networking.patchNamespacedIngress(
            {
                name: target.ingress,
                namespace: target.namespace,
                body: {
                    metadata: { annotations: { [actionAnnotation]: annotation } },
                    spec: { rules },
                },
            },
            k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        ),
    );
}

export interface MaintenanceDeps {
    readonly configWriter?: ConfigWriter;
}

export function maintenanceVerb(deps: MaintenanceDeps = {}): Verb {
    return {
        spec,
        async run(argv, io: Io) {
            const { values, positionals } = parseVerbArgs(argv, spec);
            const format = outputFormat(values);
            const [action, ...extra] = positionals;
            if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
            if (!["status", "enable", "disable"].includes(action ?? ""))
                throw new UsageError("give status, enable or disable");
            if (
                values.message !== undefined &&
                values.services === undefined &&
                action === "enable"
            ) {
                // The manual passes a sentence; the edge's page has its own fixed text.
                io.err(
                    "note: --message is the ALB page of --services; the edge's maintenance page has a fixed text",
                );
            }
            const context = await stackContext(values.stack, io);
            const { stack, cfg } = context;
            const services = values.services
                ?.split(",")
                .map((s) => s.trim())
                .filter(Boolean);
            if (services && services.length === 0)
                throw new UsageError("--services expects names such as mcp-registry,filesystem");

            if (action === "status") {
                const base = edgeUrl(values["edge-url"], cfg, io);
                const edge = base
                    ? await readEdgeHealth(base).catch((error: CliError) => error)
                    : undefined;
                const report = {
                    stack,
                    edge:
                        edge instanceof CliError
                            ? { error: edge.problem }
                            : edge
                              ? { maintenance: edge.maintenance, activeRegion: edge.activeRegion }
                              : null,
                    stackConfig: cfg.edge?.worker?.maintenance ?? false,
                    ingressMaintenance: cfg.workloads.ingress.maintenance,
                };
                const on =
                    (edge && !(edge instanceof CliError) && edge.maintenance) ||
                    report.ingressMaintenance;
                if (format !== "text") io.out(renderData(format, report));
                else {
                    io.out(
                        `edge: ${edge instanceof CliError ? `unknown (${edge.problem})` : edge ? (edge.maintenance ? "MAINTENANCE" : "serving") : "this stack has no edge"}`,
                    );
                    io.out(`stack config ${edgeMaintenanceKey}: ${report.stackConfig}`);
                    io.out(
                        `stack config mcp-platform:workloads.ingress.maintenance: ${report.ingressMaintenance}`,
                    );
                }
                return on ? exitCodes.problem : exitCodes.ok;
            }

            const on = action === "enable";
            if (services) {
                const targets = ingressesOf(cfg, services);
                const kube = await kubeFor(context, values, io);
                for (const t of targets) {
                    await drainIngress(kube, t, on, values.message ?? defaultMessage);
                    io.out(
                        `${on ? "drained" : "restored"} ingress/${t.ingress} (${t.service}) in ${t.namespace}`,
                    );
                }
                io.out(
                    "the next `pulumi up --refresh` restores the Ingresses as the stack file says (workloads.ingress.maintenance)",
                );
                return exitCodes.ok;
            }
            if (!cfg.edge?.worker) {
                throw new CliError(
                    `the ${stack} stack does not own the edge's maintenance switch (no edge.worker)`,
                    "run it against the production stack: mcp maintenance " +
                        action +
                        " --stack production",
                    exitCodes.usage,
                );
            }
            const namespaceId =
                values["kv-namespace-id"] ??
                io.env.MCP_EDGE_KV_NAMESPACE_ID ??
                (await stackOutput(stack, "edgeKvNamespaceId", "pass --kv-namespace-id"));
            await putKv(
                io,
                { accountId: cfg.edge.accountId, namespaceId, key: switchKeys.maintenance },
                on ? "on" : "off",
            );
            io.out(
                `edge switch ${switchKeys.maintenance} = ${on ? "on" : "off"} (KV namespace ${namespaceId}; every edge location within about a minute)`,
            );
            if (!values["no-config"]) {
                await (deps.configWriter ?? new PulumiConfigWriter()).set(
                    stack,
                    edgeMaintenanceKey,
                    String(on),
                    { path: true, secret: false },
                );
                io.out(
                    `recorded ${edgeMaintenanceKey}: ${on} in Pulumi.${stack}.yaml — commit it (pull request) so the deploy keeps it`,
                );
            }
            return exitCodes.ok;
        },
    };
}

export const maintenance = maintenanceVerb();
