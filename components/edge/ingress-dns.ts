import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";

/** One public hostname and the ALB DNS name its proxied CNAME points at. */
export interface IngressDnsRecord {
    readonly hostname: string;
    /** The ALB's DNS name, e.g. the Ingress's `status.loadBalancer.ingress[0].hostname`. */
    readonly target: pulumi.Input<string>;
}

export interface IngressDnsArgs {
    /** The Cloudflare zone the hostnames live in. */
    readonly zoneId: string;
    readonly records: readonly IngressDnsRecord[];
}

/** The Ingress routes as this component needs them: name and hosts. */
interface HostedRoute {
    readonly ingressName: string;
    readonly hosts: readonly string[];
}

/**
 * The hostnames whose records this stack owns, each with the Ingress that serves it: every
 * host of the stack's Ingresses, except `sharedHosts` on a standby stack (every stack's
 * Ingress serves those; the primary stack owns their one record) and `ownedElsewhere` (records
 * another component of this stack declares, such as the Edge's primary origin).
 */
export function ownedIngressHosts(
    routes: readonly HostedRoute[],
    options: {
        /** False on a standby stack: the primary stack owns the shared hosts' records. */
        readonly ownsSharedHosts: boolean;
        readonly sharedHosts: readonly string[];
        readonly ownedElsewhere: readonly string[];
    },
): { hostname: string; ingressName: string }[] {
    const owned: { hostname: string; ingressName: string }[] = [];
    for (const route of routes) {
        for (const hostname of route.hosts) {
            if (!options.ownsSharedHosts && options.sharedHosts.includes(hostname)) continue;
            if (options.ownedElsewhere.includes(hostname)) continue;
            if (owned.some((o) => o.hostname === hostname)) {
                throw new Error(`host ${hostname} is served by more than one Ingress`);
            }
            owned.push({ hostname, ingressName: route.ingressName });
        }
    }
    return owned;
}

/**
 * The Cloudflare DNS records of the hostnames this stack's Ingresses serve: one proxied CNAME
 * per hostname to the ALB that serves it (TTL automatic), so clients reach the ALB only
 * through Cloudflare. See docs/edge.md, "DNS records and who owns them".
 */
export class IngressDns extends pulumi.ComponentResource {
    /** The record names declared. */
    public readonly hostnames: pulumi.Output<string[]>;

    constructor(name: string, args: IngressDnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:edge:IngressDns", name, {}, opts);
        for (const record of args.records) {
            new cloudflare.DnsRecord(
                `${name}-${record.hostname}`,
                {
                    zoneId: args.zoneId,
                    name: record.hostname,
                    type: "CNAME",
                    content: record.target,
                    proxied: true,
                    ttl: 1,
                    comment: "mcp ingress host (managed by Pulumi)",
                },
                { parent: this },
            );
        }
        this.hostnames = pulumi.output(args.records.map((r) => r.hostname));
        this.registerOutputs({ hostnames: this.hostnames });
    }
}
