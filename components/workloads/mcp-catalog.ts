import * as pulumi from "@pulumi/pulumi";
import { dataNamespace, redisDiscovery, serviceMetricsPort } from "../../contracts/names";
import { selectorLabels } from "../kit/labels";
import { dataStores, podsIn } from "../kit/network-policy";
import { McpService, type McpServicePeer, type McpServiceScale } from "./mcp-service";

/** One MCP service of the catalog, as the catalog deploys it (docs/workloads.md). */
export interface McpServiceSpec {
    readonly namespace: string;
    /** `app.kubernetes.io/component`. */
    readonly component: string;
    readonly image: string;
    /** The port the service serves on (not the metrics port). */
    readonly port: number;
    readonly resources: {
        readonly requests: { readonly cpu: string; readonly memory: string };
        readonly limits: { readonly cpu: string; readonly memory: string };
    };
    /** Replicas (or the HPA's minimum) on an idle standby. */
    readonly standbyReplicas: number;
    readonly env: Readonly<Record<string, string>>;
    /** Env var → key of the shared Secret `mcp-secrets`. */
    readonly secretEnv: Readonly<Record<string, string>>;
    /** Env var → key of the ConfigMap `mcp-semantic-config`. */
    readonly semanticConfigEnv: Readonly<Record<string, string>>;
    readonly dataAccess: readonly ("postgres" | "redis")[];
    /** Other services of the catalog this one calls (NetworkPolicy egress). */
    readonly calls: readonly string[];
    readonly httpsEgress: boolean;
    readonly artifactAccess: boolean;
    readonly serviceAliases: readonly string[];
    readonly writablePaths: readonly string[];
    /** The `app` label operators select on. @default the service's name */
    readonly appLabel?: string;
    /** @default the service's name */
    readonly containerName?: string;
    /** An HPA owns the replicas when set. */
    readonly autoscaling?: {
        readonly minReplicas: number;
        readonly maxReplicas: number;
        readonly targetCpuUtilization: number;
    };
    readonly replicas?: number;
    /** The public Ingress of the service and its hosts. */
    readonly ingress?: { readonly name: string; readonly hosts: readonly string[] };
}

export interface McpCatalogArgs {
    /** The catalog: service name → figures (config `workloads.services`). */
    readonly services: Readonly<Record<string, McpServiceSpec>>;
    /**
     * Every service runs at its standby size (HPA minimum = `standbyReplicas`, fixed-size
     * services at `standbyReplicas`): a dr stack waiting for activation. @default false
     */
    readonly servicesAtMinimum?: boolean;
    /** Source of ALB traffic (IP targets): the VPC CIDR, allowed to public services' port. */
    readonly albSourceCidr: string;
    /** The Secret `secretEnv` reads. @default "mcp-secrets" */
    readonly secretName?: string;
    /** Changes when the Secret's content rotates; readers restart (pod annotation). */
    readonly secretVersion?: string;
    /** Digest of `mcp-semantic-config` (AppConfig.semanticConfigVersion), for the pods that read it. */
    readonly semanticConfigVersion?: pulumi.Input<string>;
    /** The ConfigMap `semanticConfigEnv` reads. @default "mcp-semantic-config" */
    readonly semanticConfigName?: string;
    /** IRSA roles by `<namespace>/<service>`, annotated on that service's account. @default {} */
    readonly serviceAccountRoleArns?: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The service accounts of the services with `artifactAccess` (one IRSA role each). */
export function artifactServiceAccounts(services: Readonly<Record<string, McpServiceSpec>>) {
    return Object.entries(services)
        .filter(([, s]) => s.artifactAccess)
        .map(([name, s]) => ({ namespace: s.namespace, name }));
}

/** Pod annotation that rolls a Secret's readers when the Secret rotates. */
const secretVersionAnnotation = "mcp-platform.io/secret-version";
const semanticConfigVersionAnnotation = "mcp-platform.io/semantic-config-version";

/** The annotations that roll a service's pods when what they read changes; none if empty. */
function podVersionAnnotations(
    versions: Record<string, pulumi.Input<string> | undefined>,
): Record<string, pulumi.Input<string>> | undefined {
    const set = Object.entries(versions).filter(
        (entry): entry is [string, pulumi.Input<string>] => entry[1] !== undefined,
    );
    return set.length === 0 ? undefined : Object.fromEntries(set);
}

/** The size a service runs at: production figures, or the standby minimum on an idle dr stack. */
export function effectiveScale(service: McpServiceSpec, atMinimum: boolean): McpServiceScale {
    if (service.autoscaling !== undefined) {
        if (!atMinimum) return { autoscaling: service.autoscaling };
        return {
            autoscaling: { ...service.autoscaling, minReplicas: service.standbyReplicas },
        };
    }
    return { replicas: atMinimum ? service.standbyReplicas : service.replicas };
}

/** The `app`/name selector of a catalog service's pods. */
export function catalogSelector(name: string, service: McpServiceSpec): Record<string, string> {
    return selectorLabels({ name, component: service.component, app: service.appLabel });
}

/** The public routes the ingress component exposes, from the catalog. */
export function publicRoutes(services: Readonly<Record<string, McpServiceSpec>>) {
    return Object.entries(services)
        .filter(([, s]) => s.ingress !== undefined)
        .map(([name, s]) => ({
            ingressName: s.ingress!.name,
            namespace: s.namespace,
            serviceName: name,
            hosts: s.ingress!.hosts,
        }));
}

/**
 * How a service with `dataAccess: [redis]` reaches Redis (docs/data.md): `REDIS_URL`, the
 * Service `redis` that always leads to the current primary, with the password (key `url` of
 * the credentials Secret, with the apps' ACL user); and, for a Sentinel-aware client, the
 * Sentinel Service, master name, `REDIS_USERNAME` and `REDIS_PASSWORD` (the same user on the
 * Sentinels and the servers). The Secret is readable only in the data namespace, so a service
 * elsewhere gets only the addresses.
 */
export function redisClientEnv(service: McpServiceSpec): {
    env: Record<string, string>;
    secretEnv: Record<string, { secret: string; key: string }>;
} {
    if (!service.dataAccess.includes("redis")) return { env: {}, secretEnv: {} };
    const secret = redisDiscovery.credentialsSecret;
    return {
        env: {
            REDIS_HOST: `${redisDiscovery.primaryService}.${dataNamespace}.svc.cluster.local`,
            REDIS_PORT: String(redisDiscovery.port),
            REDIS_SENTINEL_HOST: `${redisDiscovery.sentinelService}.${dataNamespace}.svc.cluster.local`,
            REDIS_SENTINEL_PORT: String(redisDiscovery.sentinelPort),
            REDIS_SENTINEL_MASTER: redisDiscovery.sentinelMaster,
        },
        secretEnv:
            service.namespace === dataNamespace
                ? {
                      REDIS_URL: { secret, key: "url" },
                      REDIS_USERNAME: { secret, key: "username" },
                      REDIS_PASSWORD: { secret, key: "password" },
                  }
                : {},
    };
}

/** Each service's callers, in catalog order: one pass over every `calls` list. */
function callersOf(services: Readonly<Record<string, McpServiceSpec>>): Map<string, string[]> {
    const callers = new Map<string, string[]>();
    for (const [caller, config] of Object.entries(services)) {
        for (const callee of new Set(config.calls)) {
            const list = callers.get(callee) ?? [];
            list.push(caller);
            callers.set(callee, list);
        }
    }
    return callers;
}

/**
 * Who may reach a service and what it may reach, from the catalog's `calls` and `dataAccess`.
 * `callers` is `callersOf(services)`, computed once for the whole catalog.
 */
export function serviceNetwork(
    name: string,
    services: Readonly<Record<string, McpServiceSpec>>,
    albSourceCidr: string,
    callers: ReadonlyMap<string, readonly string[]> = callersOf(services),
): { ingressFrom: McpServicePeer["peer"][]; egressTo: McpServicePeer[] } {
    const service = services[name];
    const ingressFrom: McpServicePeer["peer"][] = [];
    if (service.ingress !== undefined) ingressFrom.push({ ipBlock: { cidr: albSourceCidr } });
    for (const caller of callers.get(name) ?? []) {
        const config = services[caller];
        ingressFrom.push(podsIn(config.namespace, catalogSelector(caller, config)));
    }
    const egressTo: McpServicePeer[] = service.calls.map((callee) => ({
        peer: podsIn(services[callee].namespace, catalogSelector(callee, services[callee])),
        ports: [services[callee].port],
    }));
    for (const store of service.dataAccess) {
        for (const podLabels of dataStores[store].podLabels) {
            egressTo.push({
                peer: { podSelector: { matchLabels: podLabels } },
                ports: [...dataStores[store].ports],
            });
        }
    }
    if (service.httpsEgress)
        egressTo.push({ peer: { ipBlock: { cidr: "0.0.0.0/0" } }, ports: [443] });
    return { ingressFrom, egressTo };
}

/**
 * Every MCP service of the catalog (docs/workloads.md's names table), one {@link McpService} each,
 * sized for production or — on a dr stack waiting for activation — at standby size.
 */
export class McpCatalog extends pulumi.ComponentResource {
    /** The services, by name. */
    public readonly services: Readonly<Record<string, McpService>>;

    constructor(name: string, args: McpCatalogArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:workloads:McpCatalog", name, {}, opts);

        const atMinimum = args.servicesAtMinimum ?? false;
        const secretName = args.secretName ?? "mcp-secrets";
        const semanticConfigName = args.semanticConfigName ?? "mcp-semantic-config";
        const services: Record<string, McpService> = {};
        const callers = callersOf(args.services);
        for (const [svc, config] of Object.entries(args.services)) {
            const readsSecret = Object.keys(config.secretEnv).length > 0;
            const network = serviceNetwork(svc, args.services, args.albSourceCidr, callers);
            const redis = redisClientEnv(config);
            const roleArn = args.serviceAccountRoleArns?.[`${config.namespace}/${svc}`];
            services[svc] = new McpService(
                `${name}-${svc}`,
                {
                    serviceName: svc,
                    namespace: config.namespace,
                    image: config.image,
                    component: config.component,
                    appLabel: config.appLabel,
                    containerName: config.containerName,
                    port: config.port,
                    metricsPort: serviceMetricsPort,
                    resources: config.resources,
                    scale: effectiveScale(config, atMinimum),
                    env: { ...redis.env, ...config.env },
                    secretEnv: {
                        ...redis.secretEnv,
                        ...Object.fromEntries(
                            Object.entries(config.secretEnv).map(([env, key]) => [
                                env,
                                { secret: secretName, key },
                            ]),
                        ),
                    },
                    configMapEnv: Object.fromEntries(
                        Object.entries(config.semanticConfigEnv).map(([env, key]) => [
                            env,
                            { configMap: semanticConfigName, key },
                        ]),
                    ),
                    podAnnotations: podVersionAnnotations({
                        [secretVersionAnnotation]: readsSecret ? args.secretVersion : undefined,
                        [semanticConfigVersionAnnotation]:
                            Object.keys(config.semanticConfigEnv).length > 0
                                ? args.semanticConfigVersion
                                : undefined,
                    }),
                    serviceAccountAnnotations:
                        roleArn !== undefined
                            ? { "eks.amazonaws.com/role-arn": roleArn }
                            : undefined,
                    writablePaths: config.writablePaths,
                    serviceAliases: config.serviceAliases,
                    ingressFrom: network.ingressFrom,
                    egressTo: network.egressTo,
                },
                { parent: this },
            );
        }
        this.services = services;
        this.registerOutputs({
            services: Object.fromEntries(Object.entries(services).map(([k, v]) => [k, v.host])),
        });
    }
}
