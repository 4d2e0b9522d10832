import * as k8s from "@kubernetes/client-node";
import type { PlatformConfig } from "../../../config";
import {
    CliError,
    exitCodes,
    jsonOption,
    jsonOptionHelp,
    parseVerbArgs,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, kubeOptionHelp, kubeOptions, stackContext } from "../lib/context";
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
        name: "maintenance",
        help: {
            synopsis: [
                "mcp maintenance status [--json]",
                "mcp maintenance enable|disable",
                "mcp maintenance enable|disable --services a,b [--message TEXT]",
            ],
            summary:
                "The maintenance switch. Without --services: the edge's `maintenance` KV switch is written at once through the Cloudflare API (every route answers 503 with Retry-After, health endpoints excepted), and edge.worker.maintenance is set in the stack config (Pulumi Automation API) so the next `pulumi up` keeps it — commit Pulumi.<stack>.yaml. With --services: only those services' public Ingresses answer 503 from the ALB (the cluster is patched; until workloads.ingress.maintenance is set, the next `pulumi up --refresh` restores them).",
            options: [
                { flag: "--services a,b", text: "drain only these services' Ingresses" },
                {
                    flag: "--message TEXT",
                    text: "with --services: the ALB maintenance page's sentence",
                },
                {
                    flag: "--edge-url URL",
                    text: "status: the edge (default: $MCP_EDGE_URL, else https://<edge.hostname>)",
                },
                {
                    flag: "--kv-namespace-id ID",
                    text: "the switches' KV namespace (default: $MCP_EDGE_KV_NAMESPACE_ID, else the stack output edgeKvNamespaceId)",
                },
                {
                    flag: "--no-config",
                    text: "enable/disable: flip the edge switch only, leave the stack config alone",
                },
                ...kubeOptionHelp,
                jsonOptionHelp,
            ],
            notes: [
                "Needs $CLOUDFLARE_API_TOKEN for the edge switch. Exit codes: 0 done (status: not in maintenance); 1 failed (status: in maintenance); 2 usage; 3 unreachable.",
            ],
        },
        async run(argv, io: Io) {
            const { values, positionals } = parseVerbArgs(argv, {
                ...kubeOptions,
                ...jsonOption,
                services: { type: "string" },
                message: { type: "string" },
                "edge-url": { type: "string" },
                "kv-namespace-id": { type: "string" },
                "no-config": { type: "boolean" },
            });
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
            const { stack, cfg } = await stackContext(values.stack, io);
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
                if (values.json) io.out(JSON.stringify(report, null, 2));
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
                const kube = await kubeFor(stack, values, io);
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
