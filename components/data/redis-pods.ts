import type * as k8s from "@pulumi/kubernetes";
import {
    dataStorePlacement,
    dataStoreUid,
    opsMount,
    opsMountPath,
    opsVolume,
    plainEnv,
    secretEnv,
} from "./data-pods";
import {
    redisNames,
    redisPodHost,
    redisSentinelAddresses,
    redisServerAddresses,
    sentinelQuorum,
} from "./redis-config";
import { redisExporterUser } from "./redis-acl";
import type { ContainerResources } from "../kit/pod-spec";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Probe = k8s.types.input.core.v1.Probe;

/** What the redis pods are built from (components/data/redis.ts). */
export interface RedisPodArgs {
    readonly image: string;
    readonly exporterImage: string;
    readonly resources: ContainerResources;
    readonly namespace: string;
    readonly replicas: number;
    readonly sentinelDownAfterMilliseconds: number;
    /** Labels shared by every redis pod (anti-affinity, PDB). */
    readonly selector: Record<string, string>;
}

function cliProbe(port: number, periodSeconds: number, failureThreshold: number): Probe {
    return {
        exec: { command: ["/bin/sh", "-c", `test "$(redis-cli -p ${port} ping)" = PONG`] },
        periodSeconds,
        timeoutSeconds: 5,
        failureThreshold,
    };
}

/**
 * The redis pod: `redis` (redis-server, primary or replica), `sentinel` (redis-sentinel) and
 * `redis-exporter`. Both servers start through ops/redis-start.sh, which asks the Sentinels for
 * the current primary first, so a restarted pod rejoins as a replica after a failover.
 */
export function redisPodSpec(args: RedisPodArgs): PodSpec {
    // The `default` user (the administrator's): operators in the pod, the probes, the start
    // script's questions to the Sentinels and its own server.
    const auth = secretEnv("REDISCLI_AUTH", redisNames.credentialsSecret, "admin-password");
    const start = `${opsMountPath}/redis-start.sh`;
    const discovery = [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ...plainEnv({
            // $(POD_NAME) is expanded by the kubelet from the variable above.
            REDIS_SELF: `${redisPodHost("$(POD_NAME)", args.namespace)}:${redisNames.port}`,
            REDIS_INITIAL_PRIMARY: `${redisPodHost("redis-0", args.namespace)}:${redisNames.port}`,
            REDIS_SENTINELS: redisSentinelAddresses(args.replicas, args.namespace),
            REDIS_SERVERS: redisServerAddresses(args.replicas, args.namespace),
            // Defined on the other pods before this one starts (redis-start.sh share_users).
            REDIS_USERS_FILE: "/etc/redis/auth/redis-auth.conf",
            REDIS_SENTINEL_MASTER: redisNames.sentinelMaster,
            BACKUP_JOB: "redis-start",
        }),
        auth,
    ];
    const server: Container = {
        name: "redis",
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        command: ["bash", start, "server"],
        ports: [{ name: "redis", containerPort: redisNames.port, protocol: "TCP" }],
        env: [
            ...discovery,
            ...plainEnv({
                REDIS_BASE_CONFIG: "/etc/redis/conf/redis.conf",
                REDIS_RUN_CONFIG: "/etc/redis/run/redis.conf",
            }),
        ],
        resources: {
            requests: { ...args.resources.requests },
            limits: { ...args.resources.limits },
        },
        securityContext: restrictedContainerSecurityContext(),
        // Loading a large AOF (or a first full sync) takes a while after a restart.
        startupProbe: cliProbe(redisNames.port, 5, 60),
        livenessProbe: cliProbe(redisNames.port, 15, 4),
        readinessProbe: cliProbe(redisNames.port, 5, 3),
        volumeMounts: [
            { name: "data", mountPath: "/data" },
            { name: "config", mountPath: "/etc/redis/conf", readOnly: true },
            { name: "auth", mountPath: "/etc/redis/auth", readOnly: true },
            { name: "run", mountPath: "/etc/redis/run" },
            { name: "tmp", mountPath: "/tmp" },
            opsMount,
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
    const sentinel: Container = {
        name: "sentinel",
        image: args.image,
        imagePullPolicy: "IfNotPresent",
        command: ["bash", start, "sentinel"],
        ports: [{ name: "sentinel", containerPort: redisNames.sentinelPort, protocol: "TCP" }],
        env: [
            ...discovery,
            ...plainEnv({
                SENTINEL_PORT: String(redisNames.sentinelPort),
                SENTINEL_CONFIG: "/etc/redis/sentinel/sentinel.conf",
                SENTINEL_QUORUM: String(sentinelQuorum(args.replicas)),
                SENTINEL_DOWN_AFTER_MS: String(args.sentinelDownAfterMilliseconds),
                SENTINEL_FAILOVER_TIMEOUT_MS: "60000",
                SENTINEL_USERS_FILE: "/etc/redis/auth/sentinel-users.conf",
            }),
        ],
        resources: {
            requests: { cpu: "50m", memory: "64Mi" },
            limits: { cpu: "250m", memory: "128Mi" },
        },
        securityContext: restrictedContainerSecurityContext(),
        startupProbe: cliProbe(redisNames.sentinelPort, 5, 24),
        livenessProbe: cliProbe(redisNames.sentinelPort, 15, 4),
        readinessProbe: cliProbe(redisNames.sentinelPort, 10, 3),
        volumeMounts: [
            { name: "sentinel", mountPath: "/etc/redis/sentinel" },
            { name: "auth", mountPath: "/etc/redis/auth", readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
            opsMount,
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
    const exporter: Container = {
        name: "redis-exporter",
        image: args.exporterImage,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: "metrics", containerPort: redisNames.exporterPort, protocol: "TCP" }],
        env: [
            // Its own ACL user: read-outs only, never the servers' password.
            ...plainEnv({
                REDIS_ADDR: `redis://127.0.0.1:${redisNames.port}`,
                REDIS_USER: redisExporterUser,
            }),
            secretEnv("REDIS_PASSWORD", redisNames.credentialsSecret, "exporter-password"),
        ],
        resources: {
            requests: { cpu: "50m", memory: "32Mi" },
            limits: { cpu: "250m", memory: "128Mi" },
        },
        securityContext: { ...restrictedContainerSecurityContext(), runAsUser: 59000 },
        livenessProbe: { tcpSocket: { port: "metrics" }, periodSeconds: 20, failureThreshold: 3 },
        readinessProbe: { tcpSocket: { port: "metrics" }, periodSeconds: 10, failureThreshold: 3 },
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
    return {
        serviceAccountName: "redis",
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        ...dataStorePlacement,
        securityContext: restrictedPodSecurityContext(dataStoreUid),
        terminationGracePeriodSeconds: 60,
        // One pod per node, spread over zones when possible: losing a node or a zone leaves a
        // majority of Sentinels and at least one copy of the data.
        affinity: {
            podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                    {
                        topologyKey: "kubernetes.io/hostname",
                        labelSelector: { matchLabels: args.selector },
                    },
                ],
                preferredDuringSchedulingIgnoredDuringExecution: [
                    {
                        weight: 100,
                        podAffinityTerm: {
                            topologyKey: "topology.kubernetes.io/zone",
                            labelSelector: { matchLabels: args.selector },
                        },
                    },
                ],
            },
        },
        containers: [server, sentinel, exporter],
        volumes: [
            { name: "config", configMap: { name: "redis-config" } },
            {
                name: "auth",
                secret: {
                    secretName: redisNames.credentialsSecret,
                    // Both containers: each defines both files' users on the other pods.
                    items: [
                        { key: "redis-auth.conf", path: "redis-auth.conf" },
                        { key: "sentinel-users.conf", path: "sentinel-users.conf" },
                    ],
                    defaultMode: 0o440,
                },
            },
            opsVolume(redisNames.scriptsConfigMap),
            { name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            // Sentinel rewrites its file (with the password) on every failover: memory only.
            { name: "sentinel", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
            { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
        ],
    };
}
