import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { contentHash, dataStorePlacement, dataStoreUid, plainEnv, secretEnv } from "./data-pods";
import { selectorLabels, stableLabels, standardLabels } from "../kit/labels";
import { allowSelector, allPodsIn, podsIn, prometheusPods, tcp } from "../kit/network-policy";
import type { ContainerResources } from "../kit/pod-spec";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";
import { memoryBytes } from "../../config/lib/quantity";
import { backupPodLabels } from "./postgres";
import { appNamespaces, dataNamespace, storageClassName } from "../../config/names";
import { serviceMonitor } from "../kit/service-monitor";

export interface RedisArgs {
    /** Redis 7 image. */
    readonly image: string;
    /** redis_exporter image. */
    readonly exporterImage: string;
    readonly resources: ContainerResources;
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
}

export const redisNames = {
    port: 6379,
    exporterPort: 9121,
    /** password, host, port, url (apps) and redis-auth.conf (the server). */
    credentialsSecret: "redis-credentials",
} as const;

/** redis.conf: persistence (AOF every second plus RDB snapshots), memory cap, no replicas. */
export function redisConfig(maxmemoryBytes: number, policy: string): string {
    return [
        "bind 0.0.0.0 -::*",
        `port ${redisNames.port}`,
        "dir /data",
        // AOF: at most a second of writes lost on a crash; RDB: compact snapshots.
        "appendonly yes",
        "appendfsync everysec",
        "save 3600 1 300 100 60 10000",
        `maxmemory ${maxmemoryBytes}`,
        `maxmemory-policy ${policy}`,
        // No replicas wait for a snapshot, so the backup's redis-cli --rdb need not wait 5 s.
        "repl-diskless-sync-delay 0",
        // The password, from the credentials Secret.
        "include /etc/redis/auth/redis-auth.conf",
        "",
    ].join("\n");
}

/**
 * Redis for the MCP cache (`mcp-cache`; docs/data.md): StatefulSet `redis` (pod
 * redis-0) with a password from @pulumi/random, AOF and RDB persistence on an encrypted gp3
 * PVC, maxmemory at a share of the memory limit with an eviction policy, a redis_exporter
 * sidecar, Service `redis` and a NetworkPolicy admitting only the app namespaces, the backup
 * jobs and Prometheus. `kubectl exec redis-0 -- redis-cli ping` answers PONG (REDISCLI_AUTH
 * is set in the container).
 */
export class Redis extends pulumi.ComponentResource {
    public readonly host: string;
    public readonly credentialsSecretName: string;

    constructor(name: string, args: RedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:Redis", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const clientNamespaces = args.clientNamespaces ?? appNamespaces;
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
        this.host = `redis.${namespace}.svc.cluster.local`;
        this.credentialsSecretName = redisNames.credentialsSecret;

        const password = new random.RandomPassword(
            `${name}-password`,
            { length: 32, special: false },
            child,
        ).result;
        new k8s.core.v1.Secret(
            `${name}-credentials`,
            {
                metadata: meta(redisNames.credentialsSecret),
                type: "Opaque",
                stringData: {
                    password,
                    host: this.host,
                    port: String(redisNames.port),
                    url: pulumi.interpolate`redis://:${password}@${this.host}:${redisNames.port}/0`,
                    "redis-auth.conf": pulumi.interpolate`requirepass ${password}\n`,
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
        new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            { metadata: meta("redis"), automountServiceAccountToken: false },
            child,
        );

        const ping = ["/bin/sh", "-c", 'test "$(redis-cli -p 6379 ping)" = PONG'];
        const auth = secretEnv("REDISCLI_AUTH", redisNames.credentialsSecret, "password");
        const server: k8s.types.input.core.v1.Container = {
            name: "redis",
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: ["redis-server", "/etc/redis/conf/redis.conf"],
            ports: [{ name: "redis", containerPort: redisNames.port, protocol: "TCP" }],
            env: [auth],
            resources: {
                requests: { ...args.resources.requests },
                limits: { ...args.resources.limits },
            },
            securityContext: restrictedContainerSecurityContext(),
            // Loading a large AOF takes a while after a restart.
            startupProbe: { exec: { command: ping }, periodSeconds: 5, failureThreshold: 60 },
            livenessProbe: {
                exec: { command: ping },
                periodSeconds: 15,
                timeoutSeconds: 5,
                failureThreshold: 4,
            },
            readinessProbe: {
                exec: { command: ping },
                periodSeconds: 5,
                timeoutSeconds: 3,
                failureThreshold: 3,
            },
            volumeMounts: [
                { name: "data", mountPath: "/data" },
                { name: "config", mountPath: "/etc/redis/conf", readOnly: true },
                { name: "auth", mountPath: "/etc/redis/auth", readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
            ],
            terminationMessagePolicy: "FallbackToLogsOnError",
        };
        const exporter: k8s.types.input.core.v1.Container = {
            name: "redis-exporter",
            image: args.exporterImage,
            imagePullPolicy: "IfNotPresent",
            ports: [{ name: "metrics", containerPort: redisNames.exporterPort, protocol: "TCP" }],
            env: [
                ...plainEnv({ REDIS_ADDR: `redis://127.0.0.1:${redisNames.port}` }),
                secretEnv("REDIS_PASSWORD", redisNames.credentialsSecret, "password"),
            ],
            resources: {
                requests: { cpu: "50m", memory: "32Mi" },
                limits: { cpu: "250m", memory: "128Mi" },
            },
            securityContext: { ...restrictedContainerSecurityContext(), runAsUser: 59000 },
            livenessProbe: {
                tcpSocket: { port: "metrics" },
                periodSeconds: 20,
                failureThreshold: 3,
            },
            readinessProbe: {
                tcpSocket: { port: "metrics" },
                periodSeconds: 10,
                failureThreshold: 3,
            },
            terminationMessagePolicy: "FallbackToLogsOnError",
        };

        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: meta("redis"),
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [{ name: "redis", port: redisNames.port, targetPort: "redis" }],
                },
            },
            child,
        );
        new k8s.core.v1.Service(
            `${name}-headless`,
            {
                metadata: meta("redis-headless", { "mcp-platform.io/scrape": "redis" }),
                spec: {
                    clusterIP: "None",
                    publishNotReadyAddresses: true,
                    selector,
                    ports: [
                        { name: "redis", port: redisNames.port, targetPort: "redis" },
                        { name: "metrics", port: redisNames.exporterPort, targetPort: "metrics" },
                    ],
                },
            },
            child,
        );
        new k8s.apps.v1.StatefulSet(
            `${name}-statefulset`,
            {
                metadata: meta("redis"),
                spec: {
                    serviceName: "redis-headless",
                    replicas: 1,
                    selector: { matchLabels: selector },
                    updateStrategy: { type: "RollingUpdate" },
                    persistentVolumeClaimRetentionPolicy: {
                        whenDeleted: "Retain",
                        whenScaled: "Retain",
                    },
                    template: {
                        metadata: {
                            labels,
                            annotations: { "mcp-platform.io/config-hash": contentHash(config) },
                        },
                        spec: {
                            serviceAccountName: "redis",
                            automountServiceAccountToken: false,
                            enableServiceLinks: false,
                            ...dataStorePlacement,
                            securityContext: restrictedPodSecurityContext(dataStoreUid),
                            terminationGracePeriodSeconds: 60,
                            containers: [server, exporter],
                            volumes: [
                                { name: "config", configMap: { name: "redis-config" } },
                                {
                                    name: "auth",
                                    secret: {
                                        secretName: redisNames.credentialsSecret,
                                        items: [
                                            { key: "redis-auth.conf", path: "redis-auth.conf" },
                                        ],
                                        defaultMode: 0o440,
                                    },
                                },
                                { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
                            ],
                        },
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
            // Left running when removed from the stack; claims retained (docs/data.md).
            { ...child, retainOnDelete: true },
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
        new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            {
                metadata: meta("redis"),
                spec: {
                    podSelector: allowSelector(selector),
                    policyTypes: ["Ingress"],
                    ingress: [
                        {
                            from: [
                                ...allPodsIn(clientNamespaces),
                                podsIn(namespace, backupPodLabels),
                            ],
                            ports: tcp(redisNames.port),
                        },
                        { from: [prometheusPods], ports: tcp(redisNames.exporterPort) },
                    ],
                },
            },
            child,
        );

        this.registerOutputs({
            host: this.host,
            credentialsSecretName: this.credentialsSecretName,
        });
    }
}
