import { ownedIngressHosts } from "./ingress-dns";

/**
 * Who serves each public hostname: the edge Worker or a DNS record to this stack's ALB.
 *
 * Every public host fails over with the edge: a hostname clients use (the edge hostname,
 * `api.`, `semantic.`) has a Worker route, and the Worker picks its origin by the DR switch,
 * so a region that comes back after a DR activation receives no writes until the switch is set
 * back. The regional names the Worker fetches (`api-us-east-1.`, `api-us-west-2.`, …) are
 * proxied CNAMEs to their own region's ALB. Nothing else may be public: the ALBs forward only
 * requests that carry the Worker's credential (PublicIngresses), so a host reached without the
 * Worker would answer 403. See docs/edge.md (DNS records and who owns them).
 */

/** A public hostname the Worker serves, with the hostname of its service in each region. */
export interface EdgePublicHost {
    readonly hostname: string;
    readonly origins: { readonly primary: string; readonly dr: string };
}

/** The Ingress routes as the plan needs them. */
interface HostedRoute {
    readonly ingressName: string;
    readonly hosts: readonly string[];
}

/** The Worker side of a primary stack, from `edge.worker`. */
export interface WorkerHosts {
    /** The edge hostname (the Worker's own route). */
    readonly hostname: string;
    /** The edge hostname's origins. */
    readonly origins: { readonly primary: string; readonly dr: string };
    /** Further public hostnames and their origins (`edge.worker.publicHosts`). */
    readonly publicHosts: readonly EdgePublicHost[];
    /** Origin hostnames whose record the Edge declares itself (an origin with a `target`). */
    readonly originRecords: readonly string[];
}

export interface PublicHostPlan {
    /** Public hostnames the Edge routes to the Worker (besides its own edge hostname). */
    readonly workerRoutes: readonly EdgePublicHost[];
    /** The hostnames whose proxied CNAME (to the ALB of `ingressName`) IngressDns declares. */
    readonly records: readonly { hostname: string; ingressName: string }[];
}

/** `edge.worker.publicHosts` as a list, in the order the stack file gives. */
export function edgePublicHosts(
    publicHosts: Readonly<Record<string, { primary: string; dr: string }>> | undefined,
): EdgePublicHost[] {
    return Object.entries(publicHosts ?? {}).map(([hostname, origins]) => ({
        hostname,
        origins: { primary: origins.primary, dr: origins.dr },
    }));
}

/**
 * The plan of a stack's public hostnames.
 *
 * - primary stack (it deploys the Worker): each Ingress host must be a Worker host (routed, no
 *   record of an ALB) or an origin the Worker fetches in this region (a record to this
 *   stack's ALB); each Worker host's primary origin must be served by an Ingress here.
 * - standby stack: its `sharedHosts` are the Worker hosts the primary stack routes; every
 *   other Ingress host is one of its regional origins and gets a record to this stack's ALB.
 *
 * Throws, naming the Ingress and host, on a host that would be neither routed nor fetched.
 */
export function publicHostPlan(
    routes: readonly HostedRoute[],
    options: {
        /** False on a standby stack (the DR posture): the primary owns the shared hosts. */
        readonly ownsSharedHosts: boolean;
        readonly sharedHosts: readonly string[];
        /** Present on the stack that deploys the Worker. */
        readonly worker?: WorkerHosts;
    },
): PublicHostPlan {
    const { worker } = options;
    if (!options.ownsSharedHosts || worker === undefined) {
        return {
            workerRoutes: [],
            records: ownedIngressHosts(routes, {
                ownsSharedHosts: options.ownsSharedHosts,
                sharedHosts: options.sharedHosts,
                ownedElsewhere: worker?.originRecords ?? [],
            }),
        };
    }
    const routed = new Set([worker.hostname, ...worker.publicHosts.map((h) => h.hostname)]);
    const regional = new Set([
        worker.origins.primary,
        ...worker.publicHosts.map((h) => h.origins.primary),
    ]);
    const served = new Set(routes.flatMap((r) => r.hosts));
    for (const route of routes) {
        for (const host of route.hosts) {
            if (routed.has(host) || regional.has(host)) continue;
            throw new Error(
                `Ingress ${route.ingressName} serves ${host}, which is neither a public host of the edge Worker (mcp-platform:edge.worker.publicHosts) nor an origin it fetches: the ALB forwards only requests carrying the Worker's credential`,
            );
        }
    }
    for (const host of worker.publicHosts) {
        if (
            !served.has(host.origins.primary) &&
            !worker.originRecords.includes(host.origins.primary)
        ) {
            throw new Error(
                `mcp-platform:edge.worker.publicHosts.${host.hostname}.primary: ${host.origins.primary} is served by no Ingress of this stack, so it would have no DNS record`,
            );
        }
    }
    return {
        workerRoutes: worker.publicHosts,
        records: ownedIngressHosts(routes, {
            ownsSharedHosts: true,
            sharedHosts: [],
            ownedElsewhere: [...routed, ...worker.originRecords],
        }),
    };
}
