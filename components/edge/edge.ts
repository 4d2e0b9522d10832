import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { EdgeLoadBalancing } from "./edge-load-balancing";
import { workerBindings } from "./edge-bindings";
import { bundleWorker } from "./worker-bundle";
import { switchKeys } from "../../contracts/edge";

/** One regional origin. */
export interface EdgeOrigin {
    /** Proxied hostname in the zone the Worker fetches on port 443, e.g. origin-use1.example.com. */
    readonly hostname: string;
    /**
     * The region's ingress endpoint: hostname (CNAME) or IPv4 (A). Given, this component
     * declares the origin's proxied record; absent, another stack owns it (the dr stack's
     * IngressDns for the DR origin) and Load Balancing cannot use the origin.
     */
    readonly target?: pulumi.Input<string>;
}

export interface EdgeLoadBalancingOptions {
    /** @default false */
    readonly enabled?: boolean;
    /** The load-balanced hostname the Worker fetches as primary. @default origin.<zoneName> */
    readonly hostname?: string;
    /** @default 60 */
    readonly monitorIntervalSeconds?: number;
    readonly notificationEmail?: string;
}

export interface EdgeArgs {
    readonly accountId: string;
    readonly zoneId: string;
    /** The zone, e.g. example.com. */
    readonly zoneName: string;
    /** The public hostname the Worker serves (route `<hostname>/*`), e.g. mcp.example.com. */
    readonly hostname: string;
    /** The Worker's script name (stable: it is also its workers.dev name). */
    readonly scriptName: string;
    /** Environment name shown on /health/detailed and in the KV namespace title. */
    readonly environment: string;
    readonly origins: { readonly primary: EdgeOrigin; readonly dr: EdgeOrigin };
    /** @default "2025-10-01" */
    readonly compatibilityDate?: string;
    /** Also serve on `<scriptName>.<account subdomain>.workers.dev`. @default true */
    readonly workersDev?: boolean;
    /** Wait for an origin's response headers before failing over, ms. @default 5000 */
    readonly originTimeoutMs?: number;
    /** Largest request body accepted, bytes. @default 10485760 (10 MiB) */
    readonly maxBodyBytes?: number;
    /** Path probed on each origin by /health/detailed. @default "/health/ready" */
    readonly healthPath?: string;
    /** The `maintenance` switch this stack owns. @default false */
    readonly maintenance?: boolean;
    /** `Retry-After` during maintenance, seconds. @default 300 */
    readonly maintenanceRetryAfterSeconds?: number;
    /** Seconds a Worker isolate reuses the KV switch values it read. @default 5 */
    readonly switchCacheSeconds?: number;
    /** Secret sent to origins as `x-edge-auth`; bound only as secret_text. @default none */
    readonly originToken?: pulumi.Input<string>;
    /** Cloudflare Load Balancing in front of the origins. @default disabled */
    readonly loadBalancing?: EdgeLoadBalancingOptions;
}

/** Documented defaults, applied with `??`. */
export const edgeDefaults = {
    compatibilityDate: "2025-10-01",
    workersDev: true,
    originTimeoutMs: 5000,
    maxBodyBytes: 10_485_760,
    healthPath: "/health/ready",
    maintenance: false,
    maintenanceRetryAfterSeconds: 300,
    switchCacheSeconds: 5,
} as const;

/** The origins as Load Balancing pools them: both need a target. */
export function loadBalancedOrigins(origins: EdgeArgs["origins"]) {
    const one = (region: "primary" | "dr") => {
        const { hostname, target } = origins[region];
        if (target === undefined) {
            throw new Error(`Load Balancing needs a target for the ${region} origin`);
        }
        return { hostname, target };
    };
    return { primary: one("primary"), dr: one("dr") };
}

/**
 * The Cloudflare edge in front of the platform: the bundled Worker (worker/), the KV
 * namespace of its switches, the route for the public hostname, proxied DNS records for the
 * regional origins and, optionally, Load Balancing. See docs/edge.md.
 *
 * This stack owns the `maintenance` switch; the dr stack owns `active-region` (EdgeSwitch).
 */
export class Edge extends pulumi.ComponentResource {
    public readonly hostname: pulumi.Output<string>;
    public readonly kvNamespaceId: pulumi.Output<string>;
    public readonly scriptName: pulumi.Output<string>;
    /** sha256 of the deployed module, as in out/<stack>/worker/. */
    public readonly bundleSha256: pulumi.Output<string>;

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything registers, so a bad argument leaves no half-built component.
        const lbOrigins = args.loadBalancing?.enabled
            ? loadBalancedOrigins(args.origins)
            : undefined;
        super("mcp-platform:edge:Edge", name, {}, opts);
        const { accountId, zoneId } = args;
        const bundle = bundleWorker();

        const switches = new cloudflare.WorkersKvNamespace(
            `${name}-switches`,
            { accountId, title: `mcp-edge-switches-${args.environment}` },
            { parent: this },
        );
        new cloudflare.WorkersKv(
            `${name}-maintenance`,
            {
                accountId,
                namespaceId: switches.id,
                keyName: switchKeys.maintenance,
                value: (args.maintenance ?? edgeDefaults.maintenance) ? "on" : "off",
            },
            { parent: this },
        );

        // Proxied records for the regional origins given a target: the Worker fetches these
        // names on 443.
        const originRecords = (["primary", "dr"] as const).flatMap((region) => {
            const origin = args.origins[region];
            if (origin.target === undefined) return [];
            const target = pulumi.output(origin.target);
            return new cloudflare.DnsRecord(
                `${name}-origin-${region}`,
                {
                    zoneId,
                    name: origin.hostname,
                    type: target.apply((t) => (/^\d{1,3}(\.\d{1,3}){3}$/.test(t) ? "A" : "CNAME")),
                    content: target,
                    proxied: true,
                    ttl: 1,
                    comment: `mcp ${region} region origin (managed by Pulumi)`,
                },
                { parent: this },
            );
        });

        const lbOptions = args.loadBalancing ?? {};
        const loadBalancing = lbOptions.enabled
            ? new EdgeLoadBalancing(
                  `${name}-lb`,
                  {
                      accountId,
                      zoneId,
                      hostname: lbOptions.hostname ?? `origin.${args.zoneName}`,
                      origins: lbOrigins!,
                      healthPath: args.healthPath ?? edgeDefaults.healthPath,
                      monitorIntervalSeconds: lbOptions.monitorIntervalSeconds,
                      notificationEmail: lbOptions.notificationEmail,
                  },
                  { parent: this },
              )
            : undefined;
        const primaryHostname = loadBalancing
            ? (lbOptions.hostname ?? `origin.${args.zoneName}`)
            : args.origins.primary.hostname;

        const script = new cloudflare.WorkersScript(
            `${name}-script`,
            {
                accountId,
                scriptName: args.scriptName,
                content: bundle.content,
                mainModule: bundle.mainModule,
                compatibilityDate: args.compatibilityDate ?? edgeDefaults.compatibilityDate,
                bindings: workerBindings(
                    {
                        primaryOrigin: `https://${primaryHostname}`,
                        drOrigin: `https://${args.origins.dr.hostname}`,
                        originTimeoutMs: args.originTimeoutMs ?? edgeDefaults.originTimeoutMs,
                        maxBodyBytes: args.maxBodyBytes ?? edgeDefaults.maxBodyBytes,
                        healthPath: args.healthPath ?? edgeDefaults.healthPath,
                        maintenanceRetryAfterSeconds:
                            args.maintenanceRetryAfterSeconds ??
                            edgeDefaults.maintenanceRetryAfterSeconds,
                        switchCacheSeconds:
                            args.switchCacheSeconds ?? edgeDefaults.switchCacheSeconds,
                        environment: args.environment,
                    },
                    switches.id,
                    args.originToken,
                ),
                observability: {
                    enabled: true,
                    headSamplingRate: 1,
                    logs: { enabled: true, invocationLogs: true, headSamplingRate: 1 },
                },
            },
            {
                parent: this,
                dependsOn: [...originRecords, ...(loadBalancing ? [loadBalancing] : [])],
            },
        );

        new cloudflare.WorkersScriptSubdomain(
            `${name}-workers-dev`,
            {
                accountId,
                scriptName: script.scriptName,
                enabled: args.workersDev ?? edgeDefaults.workersDev,
                previewsEnabled: false,
            },
            { parent: this },
        );

        // The public hostname: a proxied originless record (100::, Cloudflare's documented
        // pattern for Worker-only hostnames) so the route below receives its traffic.
        new cloudflare.DnsRecord(
            `${name}-hostname`,
            {
                zoneId,
                name: args.hostname,
                type: "AAAA",
                content: "100::",
                proxied: true,
                ttl: 1,
                comment: "mcp edge Worker hostname (managed by Pulumi)",
            },
            { parent: this },
        );
        new cloudflare.WorkersRoute(
            `${name}-route`,
            { zoneId, pattern: `${args.hostname}/*`, script: script.scriptName },
            { parent: this },
        );

        this.hostname = pulumi.output(args.hostname);
        this.kvNamespaceId = switches.id;
        this.scriptName = script.scriptName;
        this.bundleSha256 = pulumi.output(bundle.sha256);
        this.registerOutputs({
            hostname: this.hostname,
            kvNamespaceId: this.kvNamespaceId,
            scriptName: this.scriptName,
            bundleSha256: this.bundleSha256,
        });
    }
}
