import { stackReference } from "./lib/stack-ref";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import type { ConfigProblem } from "./lib/format";
import { hostname } from "./lib/validators";

/**
 * `mcp-platform:edge` — the Cloudflare Worker in front of the platform (docs/edge.md).
 *
 * The stack that serves traffic (production) sets `worker:` and deploys the Worker, its KV
 * namespace, route and DNS records. The standby stack (dr) sets `switch:` and owns the
 * `active-region` KV entry, found through a StackReference to the production stack, so DR
 * activation never needs the production stack to change, and the DNS records of its own
 * regional hostnames in `switch.zoneId`.
 */

/** A Cloudflare account or zone id. */
const cloudflareId = z.string().regex(/^[0-9a-f]{32}$/, {
    message: "expected a Cloudflare id: 32 lowercase hexadecimal characters",
});

const dnsTarget = z
    .string()
    .refine(
        (value) => ipaddr.IPv4.isValidFourPartDecimal(value) || hostname.safeParse(value).success,
        {
            message: "expected a hostname (CNAME target) or an IPv4 address",
        },
    );

/** One regional origin: the proxied name the Worker fetches, and where DNS points it. */
const originSchema = z.strictObject({
    /** Proxied hostname inside the zone, e.g. origin-use1.example.com (default port 443). */
    hostname,
    /**
     * The region's ingress endpoint the record points at: a hostname (CNAME) or IPv4 (A).
     * @default primary: the ALB of this stack's Ingress serving `hostname` (its status);
     * dr: none, the dr stack's Ingress DNS owns the record
     */
    target: dnsTarget.optional(),
});

const loadBalancingSchema = z.strictObject({
    /** Cloudflare Load Balancing (a paid add-on) in front of the regional origins. @default false */
    enabled: z.boolean().default(false),
    /** The load-balanced hostname the Worker fetches as "primary". @default origin.<zoneName> */
    hostname: hostname.optional(),
    /** Seconds between health monitor probes. @default 60 */
    monitorIntervalSeconds: z.number().int().min(10).max(3600).optional(),
    /** Who Cloudflare mails when a pool changes health. */
    notificationEmail: z.email({ message: "expected an email address" }).optional(),
});

/** A public hostname the Worker serves with its own origins: the region's name of its service. */
const hostOriginsSchema = z.strictObject({
    /** Hostname of the service in the primary region, e.g. api-us-east-1.example.com. */
    primary: hostname,
    /** Hostname of the service in the DR region, e.g. api-us-west-2.example.com. */
    dr: hostname,
});

/** The Workers rate limit of /health/detailed and /status (per client address). */
const healthRateLimitSchema = z.strictObject({
    /** Account-unique positive integer naming the limit's counters. @default "1001" */
    namespaceId: z
        .string()
        .regex(/^[1-9][0-9]{0,9}$/, { message: 'expected a positive integer such as "1001"' })
        .default("1001"),
    /** Requests per client address per period. @default 30 */
    limit: z.number().int().min(1).max(10_000).default(30),
    /** The period, in seconds: 10 or 60. @default 60 */
    periodSeconds: z
        .union([z.literal(10), z.literal(60)], { message: "expected 10 or 60" })
        .default(60),
});

const workerSchema = z.strictObject({
    zoneId: cloudflareId,
    /** The zone the hostnames live in, e.g. example.com. */
    zoneName: hostname,
    /** The Worker's script name; also its workers.dev name `<scriptName>.<account>.workers.dev`. */
    scriptName: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, {
        message: "expected a script name: lowercase letters, digits, - and _, at most 63",
    }),
    /** Workers compatibility date. @default "2025-10-01" */
    compatibilityDate: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "expected a date such as 2025-10-01" })
        .optional(),
    /** Also serve on workers.dev (the URLs the operations manual uses). @default true */
    workersDev: z.boolean().optional(),
    origins: z.strictObject({ primary: originSchema, dr: originSchema }),
    /**
     * Further public hostnames the Worker serves (a route and an originless record each), with
     * each one's regional origins; every public Ingress host must be one of these or an
     * origin, since the ALBs forward only requests that carry the Worker's credential.
     * @default {}
     */
    publicHosts: z.record(hostname, hostOriginsSchema).optional(),
    /** Seconds an isolate reuses an origin's health probe result. @default 10 */
    healthCacheSeconds: z.number().int().min(1).max(300).optional(),
    /** Rate limit of /health/detailed and /status per client address. @default 30 per 60 s */
    healthRateLimit: healthRateLimitSchema.optional(),
    /** Time allowed for an origin's response headers before failing over. @default 5000 */
    originTimeoutMs: z.number().int().min(100).max(30_000).optional(),
    /** Largest request body accepted, in bytes. @default 10485760 (10 MiB) */
    maxBodyBytes: z
        .number()
        .int()
        .min(1)
        .max(100 * 2 ** 20)
        .optional(),
    /** Path probed on each origin by /health/detailed (and Load Balancing monitors). @default "/health/ready" */
    healthPath: z
        .string()
        .regex(/^\/[A-Za-z0-9._~/-]*$/, { message: "expected a path such as /health/ready" })
        .optional(),
    /** The maintenance switch: every proxied request gets 503 and a maintenance page. @default false */
    maintenance: z.boolean().optional(),
    /** `Retry-After` sent during maintenance, in seconds. @default 300 */
    maintenanceRetryAfterSeconds: z.number().int().min(0).max(86_400).optional(),
    /** Seconds a Worker isolate reuses the KV switch values it read. @default 5 */
    switchCacheSeconds: z.number().int().min(0).max(300).optional(),
    loadBalancing: loadBalancingSchema.optional(),
});

const switchSchema = z.strictObject({
    /**
     * The production stack whose `edgeKvNamespaceId` output holds the switches: `production`
     * (same organization and project) or `<organization>/<project>/<stack>`.
     */
    primaryStack: stackReference,
    /** The zone of this stack's Ingress hostnames, whose DNS records this stack owns. */
    zoneId: cloudflareId,
});

function inZone(name: string, zone: string): boolean {
    return name === zone || name.endsWith(`.${zone}`);
}

export const edgeSchema = z
    .strictObject({
        /** The Cloudflare account that owns the Worker and its KV namespace. */
        accountId: cloudflareId,
        /** The public hostname the Worker serves, e.g. mcp.example.com. */
        hostname,
        worker: workerSchema.optional(),
        switch: switchSchema.optional(),
    })
    .superRefine((edge, ctx) => {
        if ((edge.worker === undefined) === (edge.switch === undefined)) {
            ctx.addIssue({
                code: "custom",
                path: [],
                input: Object.keys(edge),
                message:
                    "expected exactly one of `worker` (the stack that serves traffic) or `switch` (the standby stack)",
            });
        }
        const worker = edge.worker;
        if (!worker) return;
        const names: [PropertyKey[], string | undefined][] = [
            [["hostname"], edge.hostname],
            [["worker", "origins", "primary", "hostname"], worker.origins.primary.hostname],
            [["worker", "origins", "dr", "hostname"], worker.origins.dr.hostname],
            [["worker", "loadBalancing", "hostname"], worker.loadBalancing?.hostname],
        ];
        for (const [path, name] of names) {
            if (name !== undefined && !inZone(name, worker.zoneName)) {
                ctx.addIssue({
                    code: "custom",
                    path,
                    input: name,
                    message: `expected a hostname inside the zone ${worker.zoneName}`,
                });
            }
        }
        if (worker.loadBalancing?.enabled && worker.origins.dr.target === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["worker", "origins", "dr", "target"],
                input: undefined,
                message:
                    "expected the DR ALB's DNS name when loadBalancing is enabled (the dr stack's albHostname output)",
            });
        }
        const hosts = Object.entries(worker.publicHosts ?? {});
        for (const [host, origins] of hosts) {
            for (const [path, name] of [
                [["worker", "publicHosts", host], host],
                [["worker", "publicHosts", host, "primary"], origins.primary],
                [["worker", "publicHosts", host, "dr"], origins.dr],
            ] as [PropertyKey[], string][]) {
                if (!inZone(name, worker.zoneName)) {
                    ctx.addIssue({
                        code: "custom",
                        path,
                        input: name,
                        message: `expected a hostname inside the zone ${worker.zoneName}`,
                    });
                }
            }
        }
        // A public hostname is served by the Worker; an origin is what the Worker fetches.
        const originNames = new Set([
            worker.origins.primary.hostname,
            worker.origins.dr.hostname,
            ...hosts.flatMap(([, o]) => [o.primary, o.dr]),
        ]);
        for (const [host] of hosts) {
            if (host === edge.hostname || originNames.has(host)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["worker", "publicHosts", host],
                    input: host,
                    message:
                        "expected a hostname other than the edge hostname and every origin (the Worker would fetch itself)",
                });
            }
        }
        const given = names.map(([, name]) => name).filter((name) => name !== undefined);
        const repeated = given.filter((name, i) => given.indexOf(name) !== i);
        if (repeated.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["worker", "origins"],
                input: [...new Set(repeated)],
                message:
                    "expected distinct hostnames for the edge, each origin and the load balancer",
            });
        }
    });

export type EdgeConfig = z.output<typeof edgeSchema>;

/** `worker` belongs on the stack that serves traffic, `switch` on the standby stack. */
export function edgeRoleProblems(
    role: "primary" | "standby",
    edge: EdgeConfig | undefined,
): ConfigProblem[] {
    if (role === "standby" && edge?.worker) {
        return [
            {
                keyPath: "mcp-platform:edge.worker",
                expected:
                    "expected no `worker` on a standby stack: production deploys the Worker; set `switch.primaryStack` here",
                got: "a worker block",
            },
        ];
    }
    if (role === "primary" && edge?.switch) {
        return [
            {
                keyPath: "mcp-platform:edge.switch",
                expected:
                    "expected no `switch` on the primary stack: the standby stack owns the DR switch; set `worker` here",
                got: JSON.stringify(edge.switch),
            },
        ];
    }
    return [];
}

/** The edge's credential: accepted only as a secret, read through `cfg.credentials`. */
export const edgeCredentialKeys = {
    /** Shared secret the Worker sends to origins as `x-edge-auth`; the ALBs require it. */
    originToken: "mcp-platform:edgeOriginToken",
} as const;

/** Schema entries of the credential keys; spread into `platformSchema`. */
export const edgeCredentialFields = {
    // Its value is checked where it is used (components/workloads/ingresses.ts): offline, the
    // synth sees only a placeholder.
    edgeOriginToken: z
        .string()
        .min(1)
        .optional()
        .transform(() => undefined),
};
