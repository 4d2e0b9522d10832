import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { originAuthHeader } from "./edge-bindings";

/** A regional origin as the load balancer sees it. */
export interface LoadBalancedOrigin {
    /** The proxied origin hostname; sent as the Host header (and used by the monitor). */
    readonly hostname: string;
    /** The region's ingress endpoint the pool connects to (hostname or IPv4). */
    readonly target: pulumi.Input<string>;
}

export interface EdgeLoadBalancingArgs {
    readonly accountId: string;
    readonly zoneId: string;
    /** The load-balanced hostname, e.g. origin.example.com. */
    readonly hostname: string;
    readonly origins: { readonly primary: LoadBalancedOrigin; readonly dr: LoadBalancedOrigin };
    /** Path the monitor probes over HTTPS. @default "/health/ready" */
    readonly healthPath?: string;
    /** Seconds between monitor probes. @default 60 */
    readonly monitorIntervalSeconds?: number;
    /** Who Cloudflare mails when a pool changes health. @default none */
    readonly notificationEmail?: string;
    /**
     * The origin credential, sent by the monitor as `x-edge-auth` like the Worker's requests
     * (the ALBs forward only requests that carry it). @default none
     */
    readonly originToken?: pulumi.Input<string>;
}

/**
 * Cloudflare Load Balancing in active-passive form (Cloudflare's documented failover set-up):
 * one HTTPS monitor, a primary and a DR pool of one origin each, and a proxied load balancer
 * with steering "off" (pools in order), the DR pool as fallback, and adaptive routing across
 * pools so a connection error to the primary is retried on DR at once.
 *
 * Load Balancing is a paid add-on; the Edge component creates this only when
 * `edge.worker.loadBalancing.enabled` is true, and then fetches `hostname` as its primary.
 */
export class EdgeLoadBalancing extends pulumi.ComponentResource {
    /** The load-balanced hostname. */
    public readonly hostname: pulumi.Output<string>;
    public readonly loadBalancerId: pulumi.Output<string>;

    constructor(name: string, args: EdgeLoadBalancingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:edge:EdgeLoadBalancing", name, {}, opts);

        const monitor = new cloudflare.LoadBalancerMonitor(
            `${name}-monitor`,
            {
                accountId: args.accountId,
                description: `mcp edge origins (${args.hostname})`,
                type: "https",
                method: "GET",
                path: args.healthPath ?? "/health/ready",
                expectedCodes: "2xx",
                interval: args.monitorIntervalSeconds ?? 60,
                timeout: 5,
                retries: 2,
                consecutiveDown: 2,
                consecutiveUp: 2,
                followRedirects: false,
                allowInsecure: false,
                header:
                    args.originToken === undefined
                        ? undefined
                        : pulumi
                              .secret(args.originToken)
                              .apply((token) => ({ [originAuthHeader]: [token] })),
            },
            { parent: this },
        );

        const pool = (region: "primary" | "dr") =>
            new cloudflare.LoadBalancerPool(
                `${name}-${region}`,
                {
                    accountId: args.accountId,
                    name: `${args.hostname.replace(/\./g, "-")}-${region}`,
                    description: `mcp ${region} region`,
                    origins: [
                        {
                            name: region,
                            address: args.origins[region].target,
                            enabled: true,
                            // Monitors use this Host too (an origin override wins over the monitor's).
                            header: { hosts: [args.origins[region].hostname] },
                        },
                    ],
                    monitor: monitor.id,
                    minimumOrigins: 1,
                    enabled: true,
                    notificationEmail: args.notificationEmail,
                },
                { parent: this },
            );
        const primary = pool("primary");
        const dr = pool("dr");

        const loadBalancer = new cloudflare.LoadBalancer(
            `${name}-lb`,
            {
                zoneId: args.zoneId,
                name: args.hostname,
                description: "mcp origins: primary region, DR region on failure",
                defaultPools: [primary.id, dr.id],
                fallbackPool: dr.id,
                steeringPolicy: "off",
                proxied: true,
                adaptiveRouting: { failoverAcrossPools: true },
                sessionAffinity: "none",
                enabled: true,
            },
            { parent: this },
        );

        this.hostname = pulumi.output(args.hostname);
        this.loadBalancerId = loadBalancer.id;
        this.registerOutputs({ hostname: this.hostname, loadBalancerId: this.loadBalancerId });
    }
}
