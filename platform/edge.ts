import type * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { Edge, EdgeSwitch, IngressDns, ownedIngressHosts } from "../components/edge";
import type { PlatformConfig } from "../config";
import { ConfigError } from "../config";
import { edgeCredentialKeys } from "../config/edge";
import { projectName } from "../contracts/stack-outputs";
import type { InCluster } from "./in-cluster";
import { stackName } from "./providers";

/** The Worker's origins: each region's hostname and, when declared here, its record's target. */
export interface EdgeOrigins {
    readonly primary: { readonly hostname: string; readonly target: pulumi.Input<string> };
    readonly dr: { readonly hostname: string; readonly target?: string };
}

/**
 * The primary origin's record points at this stack's ALB unless the config gives a target;
 * a primary origin that no Ingress of this stack serves and that has no target is a config
 * error, named with its key.
 */
export function edgeOrigins(
    cfg: PlatformConfig,
    albOf: (host: string) => pulumi.Input<string> | undefined,
): EdgeOrigins | undefined {
    const worker = cfg.edge?.worker;
    if (!worker) return undefined;
    const primary = worker.origins.primary;
    const target = primary.target ?? albOf(primary.hostname);
    if (target === undefined) {
        throw new ConfigError(cfg.stackFile, [
            {
                keyPath: `${projectName}:edge.worker.origins.primary.target`,
                expected: `a target, since no Ingress of this stack serves ${primary.hostname}`,
            },
        ]);
    }
    return { primary: { hostname: primary.hostname, target }, dr: worker.origins.dr };
}

/** What the stack's outputs need from the edge. */
export interface EdgeLayer {
    readonly kvNamespaceId: pulumi.Output<string> | null;
}

/**
 * The Cloudflare edge (docs/edge.md). The stack that serves traffic deploys the Worker; the
 * standby stack owns only the DR switch in that Worker's KV namespace (found through a
 * StackReference), set to "dr" once activated. Proxied CNAMEs for the hostnames this stack's
 * Ingresses serve point at the ALB each Ingress reports (docs/edge.md, "DNS records and who
 * owns them").
 */
export function edgeLayer(
    cfg: PlatformConfig,
    provider: cloudflare.Provider,
    cluster: InCluster,
): EdgeLayer {
    const edgeCfg = cfg.edge;
    const albOf = (host: string) => {
        const route = cluster.ingressRoutes.find((r) => r.hosts.includes(host));
        return route ? cluster.ingresses.albHostnames[route.ingressName] : undefined;
    };
    const origins = edgeOrigins(cfg, albOf);
    const edge =
        edgeCfg?.worker && origins
            ? new Edge(
                  "edge",
                  {
                      ...edgeCfg.worker,
                      origins,
                      accountId: edgeCfg.accountId,
                      hostname: edgeCfg.hostname,
                      environment: cfg.environment,
                      originToken: cfg.credentials[edgeCredentialKeys.originToken],
                  },
                  { provider },
              )
            : undefined;
    const edgeSwitch = edgeCfg?.switch
        ? new EdgeSwitch(
              "edge-switch",
              {
                  accountId: edgeCfg.accountId,
                  primaryStack: stackName(edgeCfg.switch.primaryStack),
                  activeRegion: cfg.dr.activeRegion,
              },
              // Traffic moves to DR only once DR can take it: after the restore Job has loaded
              // the data and the services' autoscalers are at production size (docs/dr.md).
              {
                  provider,
                  dependsOn: [
                      cluster.catalog,
                      ...(cluster.postgresRestore ? [cluster.postgresRestore] : []),
                  ],
              },
          )
        : undefined;
    // The Edge declares the primary origin's record; the primary stack owns the hosts every
    // stack serves (`ingress.sharedHosts`).
    const dnsZoneId = edgeCfg?.worker?.zoneId ?? edgeCfg?.switch?.zoneId;
    if (dnsZoneId !== undefined) {
        new IngressDns(
            "ingress-dns",
            {
                zoneId: dnsZoneId,
                records: ownedIngressHosts(cluster.ingressRoutes, {
                    ownsSharedHosts: cfg.dr.ownsSharedHosts,
                    sharedHosts: cfg.workloads.ingress.sharedHosts,
                    ownedElsewhere: (["primary", "dr"] as const)
                        .filter((region) => origins?.[region].target !== undefined)
                        .map((region) => origins![region].hostname),
                }).map(({ hostname, ingressName }) => ({
                    hostname,
                    target: cluster.ingresses.albHostnames[ingressName],
                })),
            },
            { provider },
        );
    }
    return { kvNamespaceId: edge?.kvNamespaceId ?? edgeSwitch?.kvNamespaceId ?? null };
}
