import { z } from "zod";
import { credentialReason } from "../contracts/credentials";
import { serviceMetricsPort } from "../contracts/names";
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from "../contracts/quantity";
import { containerResources, parsedQuantity, resourceAmounts } from "./lib/resources";
import {
    cpuQuantity,
    hostname,
    memoryQuantity,
    pinnedImage,
    positiveInt,
    s3BucketPrefix,
} from "./lib/validators";
import {
    appNamespaces,
    dataNamespace,
    maxSurgePercent,
    semanticConfigNamespace,
    serviceHealthPaths,
} from "../contracts/names";

/**
 * `mcp-platform:workloads` — the MCP services the manuals name, with their figures, and what
 * surrounds them: the three application namespaces, the public ingresses, the shared secret
 * and the semantic control plane's configuration. docs/workloads.md explains every field.
 */

/** Keys of the `mcp-secrets` Secret a service may read into its environment. */
export const secretKeys = ["jwt-secret"] as const;
/** Keys of the `mcp-semantic-config` ConfigMap: the control plane's and the artifact storage's. */
export const semanticConfigKeys = [
    "validation.cache.size",
    "validation.cache.ttl",
    "artifact.retention.days",
    "storage.backend",
    "storage.bucket",
    "storage.region",
] as const;

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    message:
        "expected a Kubernetes name (lowercase letters, digits and '-', at most 63 characters)",
});
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    message: "expected an environment variable name such as NODE_OPTIONS",
});
const labelValue = z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/, {
    message: "expected a label value such as mcp-semantic",
});
/**
 * Plain environment variables; a credential among them (by its value, or a literal under a
 * credential-like name: the rule the policy pack applies, contracts/credentials.ts) is
 * refused by key path, without its value, before anything is declared or written.
 */
const plainEnv = z.record(envName, z.string()).superRefine((env, ctx) => {
    for (const [name, value] of Object.entries(env)) {
        const reason = credentialReason(name, value);
        if (reason === undefined) continue;
        ctx.addIssue({
            code: "custom",
            path: [name],
            message: `expected no credential in env (${name} ${reason}): read it from a Secret through secretEnv (docs/workloads.md#mcp-secrets-and-mcp-semantic-config); a credential of the stack is set with \`pulumi config set --secret\``,
            params: { hideValue: true },
        });
    }
});
/** Pods run as non-root without capabilities, so they cannot bind ports below 1024. */
const unprivilegedPort = z.number().int().min(1024).max(65535);
const writablePath = z.string().regex(/^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, {
    message: "expected an absolute directory such as /tmp",
});
const acmCertificateArn = z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, {
        message:
            "expected an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/<uuid>",
    });

const autoscalingSchema = z
    .strictObject({
        minReplicas: positiveInt,
        maxReplicas: positiveInt,
        /** Average CPU utilisation (% of requests) the HPA keeps. */
        targetCpuUtilization: z.number().int().min(1).max(100),
    })
    .superRefine((a, ctx) => {
        if (a.minReplicas > a.maxReplicas) {
            ctx.addIssue({
                code: "custom",
                path: ["minReplicas"],
                input: a.minReplicas,
                message: `expected minReplicas <= maxReplicas (${a.maxReplicas})`,
            });
        }
    });

/** The image of the default smoke test of `mcp release`: curl, pinned. */
export const defaultSmokeTestImage = "curlimages/curl:8.11.1";

/**
 * What a smoke-test pod of `mcp release` requests and may use (docs/operations.md#releases).
 * It runs in the quota's headroom: the quotas are sized to the catalog's peak exactly, so at
 * that peak the quota refuses the pod, the smoke test times out and the release rolls back.
 */
export const smokeTestResources = {
    requests: { cpu: "10m", memory: "16Mi" },
    limits: { cpu: "200m", memory: "64Mi" },
} as const;

/**
 * The smoke test `mcp release` runs against the new version's first pod before it takes all
 * traffic: a Job in the service's namespace whose container gets `SMOKE_TARGET_URL`
 * (`http://<pod IP>:<port>`), `SMOKE_SERVICE` and `SMOKE_IMAGE`; exit 0 passes.
 */
const smokeTestSchema = z.strictObject({
    /** @default defaultSmokeTestImage (curl) */
    image: pinnedImage.default(defaultSmokeTestImage),
    /**
     * The command (`$(SMOKE_TARGET_URL)` is expanded by Kubernetes). @default an HTTP GET of
     * `path` that fails on any status >= 400, retried for up to 30 s
     */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** The path the default command GETs. @default "/health/ready" */
    path: z
        .string()
        .regex(/^\/[A-Za-z0-9._~\/?=&%-]*$/, { message: "expected a path such as /health/ready" })
        .default(serviceHealthPaths.ready),
});
export type SmokeTestConfig = z.output<typeof smokeTestSchema>;

/** A service's smoke test with its defaults: the image and the whole command. */
export function smokeTestOf(service: { smokeTest?: SmokeTestConfig }): {
    image: string;
    command: string[];
} {
    const spec = service.smokeTest ?? smokeTestSchema.parse({});
    return {
        image: spec.image,
        command: spec.command ?? [
            "curl",
            "--fail",
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--retry",
            "5",
            "--retry-delay",
            "3",
            "--retry-all-errors",
            `$(SMOKE_TARGET_URL)${spec.path}`,
        ],
    };
}

/** One MCP service of the catalog. */
export const serviceSchema = z
    .strictObject({
        namespace: z.enum(appNamespaces),
        /** `app.kubernetes.io/component`, e.g. "api". */
        component: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, {
            message: "expected a short lowercase role such as api",
        }),
        image: pinnedImage,
        /** The `app` label when a manual selects on another value. @default the service name */
        appLabel: labelValue.optional(),
        /** @default the service name */
        containerName: k8sName.optional(),
        /** The port the service answers on (HTTP, probes). @default 8080 */
        port: unprivilegedPort.default(8080),
        resources: containerResources,
        /** HPA figures; exclusive with `replicas`. */
        autoscaling: autoscalingSchema.optional(),
        /** Fixed size when no HPA owns the Deployment; exclusive with `autoscaling`. */
        replicas: positiveInt.optional(),
        /** Size while the dr stack waits for activation. @default 1 */
        standbyReplicas: positiveInt.default(1),
        /** Plain environment variables (tuning such as NODE_OPTIONS or BUN_*). @default {} */
        env: plainEnv.default({}),
        /** Variables read from the `mcp-secrets` Secret: name → key. @default {} */
        secretEnv: z.record(envName, z.enum(secretKeys)).default({}),
        /** Variables read from `mcp-semantic-config`: name → key. @default {} */
        semanticConfigEnv: z.record(envName, z.enum(semanticConfigKeys)).default({}),
        /** Data stores the service may reach (egress NetworkPolicy). @default [] */
        dataAccess: z.array(z.enum(["postgres", "redis"])).default([]),
        /** Other catalog services this one calls (egress here, ingress there). @default [] */
        calls: z.array(k8sName).default([]),
        /** Outbound HTTPS (AWS APIs, git remotes). @default false */
        httpsEgress: z.boolean().default(false),
        /** Reads and writes the artifact bucket (an IRSA role of its own). @default false */
        artifactAccess: z.boolean().default(false),
        /** Public exposure through the ALB. */
        ingress: z.strictObject({ name: k8sName, hosts: z.array(hostname).min(1) }).optional(),
        /** Extra Service names the manuals use for the same pods. @default [] */
        serviceAliases: z.array(k8sName).default([]),
        /** Directories the service writes (emptyDir; the root filesystem is read-only). @default ["/tmp"] */
        writablePaths: z.array(writablePath).default(["/tmp"]),
        /** The smoke test of `mcp release`. @default an HTTP GET of /health/ready with curl */
        smokeTest: smokeTestSchema.optional(),
    })
    .superRefine((s, ctx) => {
        const issue = (path: PropertyKey[], input: unknown, message: string) =>
            ctx.addIssue({ code: "custom", path, input, message });
        if ((s.autoscaling === undefined) === (s.replicas === undefined)) {
            issue(["replicas"], s.replicas, "expected exactly one of replicas or autoscaling");
        }
        const minimum = s.autoscaling?.minReplicas ?? s.replicas;
        if (minimum !== undefined && s.standbyReplicas > minimum) {
            issue(
                ["standbyReplicas"],
                s.standbyReplicas,
                `expected at most the production minimum (${minimum})`,
            );
        }
        if (s.artifactAccess && !s.httpsEgress) {
            issue(
                ["httpsEgress"],
                s.httpsEgress,
                "expected true: artifactAccess reaches S3 and STS",
            );
        }
        if (s.port === serviceMetricsPort) {
            issue(
                ["port"],
                s.port,
                `expected a port other than the metrics port ${serviceMetricsPort}`,
            );
        }
        if (s.namespace !== dataNamespace) {
            if (s.dataAccess.length > 0) {
                issue(["dataAccess"], s.dataAccess, `expected [] outside ${dataNamespace}`);
            }
            if (Object.keys(s.secretEnv).length > 0) {
                issue(
                    ["secretEnv"],
                    s.secretEnv,
                    `expected {}: mcp-secrets is in ${dataNamespace}`,
                );
            }
        }
        if (s.namespace !== semanticConfigNamespace && Object.keys(s.semanticConfigEnv).length) {
            issue(
                ["semanticConfigEnv"],
                s.semanticConfigEnv,
                `expected {}: mcp-semantic-config is in ${semanticConfigNamespace}`,
            );
        }
    });
export type ServiceConfig = z.output<typeof serviceSchema>;

const namespaceSchema = z.strictObject({
    /** Total the namespace may request/limit; must hold the catalog at its maximum size. */
    quota: z.strictObject({
        requestsCpu: cpuQuantity,
        requestsMemory: memoryQuantity,
        limitsCpu: cpuQuantity,
        limitsMemory: memoryQuantity,
        pods: positiveInt,
    }),
    /** Per-container bounds and the defaults for containers that state none. */
    limitRange: z.strictObject({
        max: resourceAmounts,
        /** @default { cpu: "100m", memory: "128Mi" } */
        defaultRequest: resourceAmounts.default({ cpu: "100m", memory: "128Mi" }),
        /** @default { cpu: "500m", memory: "512Mi" } */
        defaultLimit: resourceAmounts.default({ cpu: "500m", memory: "512Mi" }),
    }),
});

/** The pods a service can have at once: its maximum plus the rolling-update surge. */
export function peakPods(service: ServiceConfig): number {
    const max = service.autoscaling?.maxReplicas ?? service.replicas ?? 0;
    return max + Math.ceil((max * maxSurgePercent) / 100);
}

export const workloadsSchema = z
    .strictObject({
        namespaces: z.strictObject({
            "mcp-production": namespaceSchema,
            "mcp-system": namespaceSchema,
            "mcp-platform": namespaceSchema,
        }),
        ingress: z.strictObject({
            /** ACM certificate (in this stack's region) the ALB serves HTTPS with. */
            certificateArn: acmCertificateArn,
            /** @default "ELBSecurityPolicy-TLS13-1-2-2021-06" (TLS 1.2+) */
            sslPolicy: z
                .string()
                .regex(/^ELBSecurityPolicy-[A-Za-z0-9-]+$/, {
                    message:
                        "expected an ALB security policy such as ELBSecurityPolicy-TLS13-1-2-2021-06",
                })
                .default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
            /** Maintenance mode: every public host answers 503 with a page. @default false */
            maintenance: z.boolean().default(false),
            /** The sentence the maintenance page shows. */
            maintenanceMessage: z
                .string()
                .min(1)
                .max(300)
                .default("Scheduled maintenance is in progress. Please try again shortly."),
            /**
             * Hosts every stack's Ingress serves (e.g. api.<zone>) whose one DNS record the
             * primary stack owns; a standby stack declares no record for them. @default []
             */
            sharedHosts: z.array(hostname).default([]),
        }),
        secrets: z.strictObject({
            /** Changing this value generates a new `jwt-secret` (and restarts its readers). */
            jwtSecretRotation: z.string().min(1),
        }),
        /** `mcp-semantic-config` values. */
        semanticConfig: z.strictObject({
            validationCacheSize: positiveInt,
            validationCacheTtlMs: positiveInt,
            artifactRetentionDays: positiveInt,
            /** The artifact bucket's name prefix (account id and region appended). */
            artifactBucketPrefix: s3BucketPrefix,
        }),
        services: z.record(k8sName, serviceSchema),
    })
    .superRefine((w, ctx) => {
        const issue = (path: PropertyKey[], input: unknown, message: string) =>
            ctx.addIssue({ code: "custom", path, input, message });
        const names = Object.keys(w.services);
        const ingressHosts = Object.values(w.services).flatMap((s) => s.ingress?.hosts ?? []);
        for (const [index, host] of w.ingress.sharedHosts.entries()) {
            if (!ingressHosts.includes(host)) {
                issue(
                    ["ingress", "sharedHosts", index],
                    host,
                    "expected a host of one of the services' ingresses",
                );
            }
        }
        const taken = new Map<string, string>();
        for (const [name, service] of Object.entries(w.services)) {
            for (const [index, callee] of service.calls.entries()) {
                if (!names.includes(callee) || callee === name) {
                    issue(
                        ["services", name, "calls", index],
                        callee,
                        "expected another service of the catalog",
                    );
                }
            }
            for (const [index, alias] of [name, ...service.serviceAliases].entries()) {
                const key = `${service.namespace}/${alias}`;
                if (taken.has(key)) {
                    issue(
                        ["services", name, "serviceAliases", Math.max(0, index - 1)],
                        alias,
                        `expected a Service name not already used by ${taken.get(key)}`,
                    );
                }
                taken.set(key, name);
            }
        }
        for (const namespace of appNamespaces) {
            const config = w.namespaces[namespace];
            const members = Object.entries(w.services).filter(([, s]) => s.namespace === namespace);
            const need = {
                requestsCpu: 0,
                requestsMemory: 0,
                limitsCpu: 0,
                limitsMemory: 0,
                pods: 0,
            };
            for (const [name, s] of members) {
                const pods = peakPods(s);
                need.pods += pods;
                need.requestsCpu +=
                    pods * (parsedQuantity(cpuMillis, s.resources.requests.cpu) ?? 0);
                need.limitsCpu += pods * (parsedQuantity(cpuMillis, s.resources.limits.cpu) ?? 0);
                need.requestsMemory +=
                    pods * (parsedQuantity(memoryBytes, s.resources.requests.memory) ?? 0);
                need.limitsMemory +=
                    pods * (parsedQuantity(memoryBytes, s.resources.limits.memory) ?? 0);
                for (const resource of ["cpu", "memory"] as const) {
                    const parse = resource === "cpu" ? cpuMillis : memoryBytes;
                    const limit = parsedQuantity(parse, s.resources.limits[resource]);
                    const max = parsedQuantity(parse, config.limitRange.max[resource]);
                    if (limit !== undefined && max !== undefined && limit > max) {
                        issue(
                            ["namespaces", namespace, "limitRange", "max", resource],
                            config.limitRange.max[resource],
                            `expected at least ${s.resources.limits[resource]} (the ${resource} limit of ${name})`,
                        );
                    }
                }
            }
            const have = {
                requestsCpu: parsedQuantity(cpuMillis, config.quota.requestsCpu),
                limitsCpu: parsedQuantity(cpuMillis, config.quota.limitsCpu),
                requestsMemory: parsedQuantity(memoryBytes, config.quota.requestsMemory),
                limitsMemory: parsedQuantity(memoryBytes, config.quota.limitsMemory),
                pods: config.quota.pods,
            };
            for (const key of Object.keys(need) as (keyof typeof need)[]) {
                const available = have[key];
                if (available === undefined || available >= need[key]) continue;
                const shown = key.endsWith("Cpu")
                    ? formatCpu(need[key])
                    : key.endsWith("Memory")
                      ? formatMemory(need[key])
                      : String(need[key]);
                issue(
                    ["namespaces", namespace, "quota", key],
                    config.quota[key],
                    `expected at least ${shown} to run its services at their maximum size plus the rolling-update surge`,
                );
            }
        }
    });
