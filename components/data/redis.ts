import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { contentHash, opsScripts } from "./data-pods";
import {
    redisAclDigestInput,
    redisAuthConfig,
    redisUsers,
    type RedisUserPasswords,
    sentinelUsersConfig,
} from "./redis-acl";
import {
    redisConfig,
    redisNames,
    redisPrimaryHost,
    redisPrimaryUrl,
    redisSentinelAddresses,
    redisSentinelHost,
    redisSentinelUrl,
} from "./redis-config";
import { declareRedisProxy, redisProxySelector } from "./redis-proxy";
import { redisPodSpec } from "./redis-pods";
import { claimSizeIgnoreChanges, growClaims } from "../kit/claim-growth";
import { selectorLabels, stableLabels, standardLabels } from "../kit/labels";
import { allowSelector, allPodsIn, podsIn, prometheusPods, tcp } from "../kit/network-policy";
import type { ContainerResources } from "../kit/pod-spec";
import { memoryBytes } from "../../contracts/quantity";
import { redisMinSentinelDownAfterMilliseconds } from "../../contracts/data";
import { backupPodLabels } from "./postgres";
import { appNamespaces, dataNamespace, storageClassName } from "../../contracts/names";
import { serviceMonitor } from "../kit/service-monitor";

export { redisConfig } from "./redis-config";

/** The Redis users' passwords (secret inputs; redis-acl.ts). */
export interface RedisPasswords {
    /** The `default` user's: the administrator's, held by the redis pods only. */
    readonly default: pulumi.Input<string>;
    readonly exporter: pulumi.Input<string>;
    /** The `app` user's: the MCP services. */
    readonly app: pulumi.Input<string>;
    /** The `backup` user's: the redis-backup job. */
    readonly backup: pulumi.Input<string>;
    /** The `replica` user's: replicas to their primary. */
    readonly replication: pulumi.Input<string>;
    /** The `sentinel` user's: the Sentinels to the servers and each other. */
    readonly sentinel: pulumi.Input<string>;
    /** The `redis-proxy` user's: the proxy's checks of the Sentinels. */
    readonly proxy: pulumi.Input<string>;
}

export interface RedisArgs {
    /** Redis 7 image. */
    readonly image: string;
    /** redis_exporter image. */
    readonly exporterImage: string;
    /** HAProxy image of `redis-proxy`, behind the Service `redis`. */
    readonly proxyImage: string;
    readonly resources: ContainerResources;
    /**
     * Pods of the StatefulSet, each a redis-server and a redis-sentinel: redis-0 starts as the
     * primary, the others as its replicas. At least 3, so a majority of Sentinels survives
     * the loss of one pod. @default 3
     */
    readonly replicas?: number;
    /**
     * How long a primary must be unreachable before the Sentinels fail over; at least
     * {@link redisMinSentinelDownAfterMilliseconds}. @default 5000
     */
    readonly sentinelDownAfterMilliseconds?: number;
    /** PVC size (AOF and RDB). */
    readonly storageSize: string;
    /** @default "gp3" */
    readonly storageClass?: string;
    /** @default "allkeys-lru" */
    readonly maxmemoryPolicy?: string;
    /** maxmemory as a share of the memory limit. @default 70 */
    readonly maxmemoryPercent?: number;
    /** @default "mcp-production" */
    readonly namespace?: string;
    /** Namespaces whose pods may connect. @default ["mcp-production", "mcp-system", "mcp-platform"] */
    readonly clientNamespaces?: readonly string[];
    /** Resources the ServiceMonitor waits for (the chart that installs its CRD). @default [] */
    readonly serviceMonitorDependsOn?: pulumi.Input<pulumi.Resource>[];
    /**
     * The passwords of the `default` user and of each client's ACL user, generated outside the
     * component (platform/secrets.ts).
     */
    readonly passwords: RedisPasswords;
}

/**
 * Sentinel's down-after, checked: at least {@link redisMinSentinelDownAfterMilliseconds}, below
 * which Sentinel fails a just-promoted primary over again when it is slow for a moment.
 */
export function redisSentinelDownAfter(milliseconds: number): number {
    if (!Number.isInteger(milliseconds) || milliseconds < redisMinSentinelDownAfterMilliseconds) {
        throw new Error(
            `Redis sentinelDownAfterMilliseconds must be an integer of at least ${redisMinSentinelDownAfterMilliseconds} (shorter fails a just-promoted primary over again); got ${milliseconds}`,
        );
    }
    return milliseconds;
}

/** The pod count, checked: at least 3, so a majority of Sentinels survives one pod's loss. */
export function redisReplicaCount(replicas: number): number {
    if (!Number.isInteger(replicas) || replicas < 3) {
        throw new Error(
            `Redis replicas must be an integer of at least 3 (a Sentinel majority survives one pod's loss); got ${replicas}`,
        );
    }
    return replicas;
}

/**
 * Redis for the MCP cache (`mcp-cache`; docs/data.md): StatefulSet `redis` of three pods
 * (redis-0 the initial primary, redis-1 and redis-2 its replicas), each with a redis-sentinel
 * that fails over to a replica when the primary is gone; the passwords it is given;
 * AOF and RDB persistence on an encrypted gp3 PVC per pod; maxmemory at a share of the memory
 * limit with an eviction policy; one ACL user per client (redis-acl.ts: the apps, the backup
 * job, replication, the Sentinels, redis-proxy, the exporter), the `default` user left to
 * the pods; a redis_exporter sidecar; the headless Service
 * `redis-headless` (stable pod names) and `redis-sentinel`, where clients ask for the current
 * primary; one pod per node, a PodDisruptionBudget, and a NetworkPolicy admitting only the app
 * namespaces, the backup jobs, the redis pods themselves and Prometheus.
 * `kubectl exec redis-0 -- redis-cli ping` answers PONG (REDISCLI_AUTH, the `default` user's
 * password, is set in the container).
 */
export class Redis extends pulumi.ComponentResource {
    /** The Service `redis`'s DNS name: the current primary on 6379. */
    public readonly primaryHost: string;
    /** The Sentinel Service's DNS name (port {@link redisNames.sentinelPort}). */
    public readonly sentinelHost: string;
    public readonly credentialsSecretName: string;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:Redis", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const clientNamespaces = args.clientNamespaces ?? appNamespaces;
        const replicas = redisReplicaCount(args.replicas ?? 3);
        const downAfter = redisSentinelDownAfter(args.sentinelDownAfterMilliseconds ?? 5000);
        const child = { parent: this };
        const version = args.image.split(":").pop()?.split("@")[0];
        const source = { name: "redis", component: "cache", version };
        const labels = standardLabels(source);
        const selector = selectorLabels(source);
        const meta = (objectName: string, extra: Record<string, string> = {}) => ({
            name: objectName,
            namespace,
            labels: { ...labels, ...extra },
        });
        this.primaryHost = redisPrimaryHost(namespace);
        this.sentinelHost = redisSentinelHost(namespace);
        this.credentialsSecretName = redisNames.credentialsSecret;

        // Kept secret in state whatever the caller passed.
        const secret = (client: keyof RedisPasswords) => pulumi.secret(args.passwords[client]);
        const appPassword = secret("app");
        const users: pulumi.Output<RedisUserPasswords> = pulumi
            .all([
                secret("default"),
                appPassword,
                secret("backup"),
                secret("replication"),
                secret("sentinel"),
                secret("proxy"),
                secret("exporter"),
            ])
            .apply(([admin, app, backup, replication, sentinel, proxy, exporter]) => ({
                admin,
                app,
                backup,
                replication,
                sentinel,
                proxy,
                exporter,
            }));
        const credentials = new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: meta(redisNames.credentialsSecret),
                type: "Opaque",
                stringData: {
                    // The apps' ACL user, on the servers and on the Sentinels.
                    username: redisUsers.app,
                    password: appPassword,
                    // Any client: the Service `redis`, which leads to the current primary.
                    host: this.primaryHost,
                    port: String(redisNames.port),
                    url: appPassword.apply((p) => redisPrimaryUrl(redisUsers.app, p, namespace)),
                    // Sentinel-aware clients: ask the Sentinels for the master's address.
                    "sentinel-host": this.sentinelHost,
                    "sentinel-port": String(redisNames.sentinelPort),
                    "sentinel-master": redisNames.sentinelMaster,
                    sentinels: redisSentinelAddresses(replicas, namespace),
                    "sentinel-url": appPassword.apply((p) =>
                        redisSentinelUrl(redisUsers.app, p, namespace),
                    ),
                    // One key per client; each pod reads only its own (redis-acl.ts).
                    "admin-password": secret("default"),
                    "backup-password": secret("backup"),
                    "replication-password": secret("replication"),
                    "sentinel-password": secret("sentinel"),
                    "proxy-password": secret("proxy"),
                    "exporter-password": secret("exporter"),
                    "redis-auth.conf": users.apply(redisAuthConfig),
                    "sentinel-users.conf": users.apply(sentinelUsersConfig),
                },
            },
            child,
        );

        const maxmemory = Math.floor(
            (memoryBytes(args.resources.limits.memory) * (args.maxmemoryPercent ?? 70)) / 100,
        );
        const config = redisConfig(maxmemory, args.maxmemoryPolicy ?? "allkeys-lru");
        new k8s.core.v1.ConfigMap(
            `${name}-config`,
            { metadata: meta("redis-config"), data: { "redis.conf": config } },
            child,
        );
        const scripts = opsScripts(["redis-start.sh", "backup-lib.sh"]);
        new k8s.core.v1.ConfigMap(
            `${name}-scripts`,
            { metadata: meta(redisNames.scriptsConfigMap), data: scripts },
            child,
        );
        new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            { metadata: meta("redis"), automountServiceAccountToken: false },
            child,
        );

        new k8s.core.v1.Service(
            `${name}-sentinel`,
            {
                metadata: meta(redisNames.sentinelService),
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [
                        { name: "sentinel", port: redisNames.sentinelPort, targetPort: "sentinel" },
                    ],
                },
            },
            child,
        );
        new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: meta(redisNames.headlessService, { "mcp-platform.io/scrape": "redis" }),
                spec: {
                    clusterIP: "None",
                    // Pods resolve each other while starting (a replica finds its primary).
                    publishNotReadyAddresses: true,
                    selector,
                    ports: [
                        { name: "redis", port: redisNames.port, targetPort: "redis" },
                        { name: "sentinel", port: redisNames.sentinelPort, targetPort: "sentinel" },
                        { name: "metrics", port: redisNames.exporterPort, targetPort: "metrics" },
                    ],
                },
            },
            child,
        );
        const podSpec = redisPodSpec({
            image: args.image,
            exporterImage: args.exporterImage,
            resources: args.resources,
            namespace,
            replicas,
            sentinelDownAfterMilliseconds: downAfter,
            selector,
        });
        const statefulSet = new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: meta("redis"),
                spec: {
                    serviceName: redisNames.headlessService,
                    replicas,
                    selector: { matchLabels: selector },
                    // redis-0 first: it is the primary the others replicate from on a fresh start.
                    podManagementPolicy: "OrderedReady",
                    updateStrategy: { type: "RollingUpdate" },
                    persistentVolumeClaimRetentionPolicy: {
                        whenDeleted: "Retain",
                        whenScaled: "Retain",
                    },
                    template: {
                        metadata: {
                            labels,
                            annotations: {
                                // The servers read their users at start: a rule change
                                // restarts them (the passwords are not hashed in).
                                "mcp-platform.io/config-hash": contentHash({
                                    config,
                                    scripts,
                                    acl: redisAclDigestInput(),
                                }),
                            },
                        },
                        spec: podSpec,
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data", labels: stableLabels(source) },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                storageClassName: args.storageClass ?? storageClassName,
                                resources: { requests: { storage: args.storageSize } },
                            },
                        },
                    ],
                },
            },
            // Left running when removed from the stack; claims retained (docs/data.md). The
            // claims grow in place (docs/data.md, "Growing a volume"). The users' file is
            // updated before a pod restarts to read it.
            {
                ...child,
                retainOnDelete: true,
                ignoreChanges: claimSizeIgnoreChanges,
                dependsOn: [credentials],
            },
        );
        growClaims(
            name,
            {
                claimTemplate: "data",
                statefulSet: "redis",
                namespace,
                replicas,
                size: args.storageSize,
            },
            { parent: this, dependsOn: [statefulSet] },
        );
        // A drain takes one pod at a time: the Sentinel majority and two copies of the data stay.
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: meta("redis-pdb"),
                spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
            },
            child,
        );
        serviceMonitor(
            `${name}-service-monitor`,
            {
                metadata: meta("redis"),
                matchLabels: { "mcp-platform.io/scrape": "redis" },
                port: "metrics",
            },
            { parent: this, dependsOn: args.serviceMonitorDependsOn ?? [] },
        );
        const clients = [...allPodsIn(clientNamespaces), podsIn(namespace, backupPodLabels)];
        declareRedisProxy(
            `${name}-proxy`,
            { image: args.proxyImage, namespace, redisReplicas: replicas, clients },
            child,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            {
                metadata: meta("redis"),
                spec: {
                    podSelector: allowSelector(selector),
                    policyTypes: ["Ingress"],
                    ingress: [
                        // Clients ask a Sentinel for the primary, then talk to it.
                        { from: clients, ports: tcp(redisNames.port, redisNames.sentinelPort) },
                        // Replication, Sentinel gossip and Sentinel's checks between the pods.
                        {
                            from: [podsIn(namespace, selector)],
                            ports: tcp(redisNames.port, redisNames.sentinelPort),
                        },
                        { from: [prometheusPods], ports: tcp(redisNames.exporterPort) },
                        // redis-proxy: its checks ask every Sentinel, and it forwards clients.
                        {
                            from: [podsIn(namespace, redisProxySelector)],
                            ports: tcp(redisNames.port, redisNames.sentinelPort),
                        },
                    ],
                },
            },
            child,
        );

        this.registerOutputs({
            primaryHost: this.primaryHost,
            sentinelHost: this.sentinelHost,
            credentialsSecretName: this.credentialsSecretName,
        });
    }
}
