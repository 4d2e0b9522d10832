import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { contentHash, dataStorePlacement, secretEnv } from "./data-pods";
import { redisUsers } from "./redis-acl";
import { redisNames, redisPodHost, redisPodNames, sentinelQuorum } from "./redis-config";
import { redisProxyConfig } from "./redis-proxy-config";
import { selectorLabels, standardLabels } from "../kit/labels";
import { allowSelector, tcp } from "../kit/network-policy";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";
import { maxSurgePercent } from "../../contracts/names";

/** What the primary-following proxy is built from (components/data/redis.ts). */
export interface RedisProxyArgs {
    /** HAProxy image. */
    readonly image: string;
    readonly namespace: string;
    /** Pods of the redis StatefulSet. */
    readonly redisReplicas: number;
    /** Who may connect to the Service `redis`. */
    readonly clients: k8s.types.input.networking.v1.NetworkPolicyPeer[];
    /** Proxy pods, scaled on CPU between these by an HPA. @default { min: 2, max: 4 } */
    readonly replicas?: { readonly min: number; readonly max: number };
}

/** The labels of the proxy's pods: what the Service `redis` selects. */
export const redisProxySelector = selectorLabels({ name: "redis-proxy", component: "cache-proxy" });

/**
 * The Service `redis` on 6379, in front of the Deployment `redis-proxy` (HAProxy): the address
 * of whichever server the Sentinels name as the primary, for clients that only know a URL
 * (docs/data.md, "How clients reach the primary"). The HAProxy configuration comes from
 * {@link redisProxyConfig}; the proxy reads the password from `redis-credentials` and needs no
 * Kubernetes API access.
 */
export function declareRedisProxy(
    name: string,
    args: RedisProxyArgs,
    opts: pulumi.CustomResourceOptions,
): void {
    const namespace = args.namespace;
    const version = args.image.split(":").pop()?.split("@")[0];
    const labels = standardLabels({ name: "redis-proxy", component: "cache-proxy", version });
    const meta = (objectName: string) => ({ name: objectName, namespace, labels });
    const config = redisProxyConfig({
        servers: redisPodNames(args.redisReplicas).map((pod) => ({
            name: pod,
            host: redisPodHost(pod, namespace),
            port: redisNames.port,
            sentinelPort: redisNames.sentinelPort,
        })),
        master: redisNames.sentinelMaster,
        quorum: sentinelQuorum(args.redisReplicas),
        bind: `:${redisNames.port}`,
        authUser: redisUsers.proxy,
    });
    new k8s.core.v1.ConfigMap(
        `${name}-config`,
        { metadata: meta(redisNames.proxyConfigMap), data: { "haproxy.cfg": config } },
        opts,
    );
    new k8s.core.v1.ServiceAccount(
        `${name}-service-account`,
        { metadata: meta("redis-proxy"), automountServiceAccountToken: false },
        opts,
    );
    const port = { name: "redis", containerPort: redisNames.port, protocol: "TCP" };
    // One meaningful check, HAProxy accepting; liveness waits longer than readiness.
    const probe = (periodSeconds: number, failureThreshold: number) => ({
        tcpSocket: { port: "redis" },
        periodSeconds,
        timeoutSeconds: 3,
        failureThreshold,
    });
    new k8s.apps.v1.Deployment(
        `${name}-deployment`,
        {
            metadata: meta("redis-proxy"),
            spec: {
                // Left to the HorizontalPodAutoscaler below.
                selector: { matchLabels: redisProxySelector },
                strategy: {
                    type: "RollingUpdate",
                    rollingUpdate: { maxUnavailable: 0, maxSurge: `${maxSurgePercent}%` },
                },
                template: {
                    metadata: {
                        labels,
                        annotations: { "mcp-platform.io/config-hash": contentHash(config) },
                    },
                    spec: {
                        serviceAccountName: "redis-proxy",
                        automountServiceAccountToken: false,
                        enableServiceLinks: false,
                        ...dataStorePlacement,
                        securityContext: restrictedPodSecurityContext(),
                        affinity: {
                            podAntiAffinity: {
                                preferredDuringSchedulingIgnoredDuringExecution: [
                                    {
                                        weight: 100,
                                        podAffinityTerm: {
                                            topologyKey: "kubernetes.io/hostname",
                                            labelSelector: { matchLabels: redisProxySelector },
                                        },
                                    },
                                ],
                            },
                        },
                        containers: [
                            {
                                name: "haproxy",
                                image: args.image,
                                imagePullPolicy: "IfNotPresent",
                                command: ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"],
                                ports: [port],
                                env: [
                                    // Its own ACL user, which may only ask where the primary is.
                                    secretEnv(
                                        "REDIS_PASSWORD",
                                        redisNames.credentialsSecret,
                                        "proxy-password",
                                    ),
                                ],
                                resources: {
                                    requests: {
                                        cpu: "50m",
                                        memory: "64Mi",
                                        "ephemeral-storage": "16Mi",
                                    },
                                    limits: {
                                        cpu: "500m",
                                        memory: "256Mi",
                                        "ephemeral-storage": "64Mi",
                                    },
                                },
                                securityContext: restrictedContainerSecurityContext(),
                                readinessProbe: probe(5, 3),
                                livenessProbe: probe(15, 4),
                                volumeMounts: [
                                    { name: "config", mountPath: "/etc/haproxy", readOnly: true },
                                ],
                                terminationMessagePolicy: "FallbackToLogsOnError",
                            },
                        ],
                        volumes: [
                            {
                                name: "config",
                                configMap: { name: redisNames.proxyConfigMap },
                            },
                        ],
                    },
                },
            },
        },
        opts,
    );
    const replicas = args.replicas ?? { min: 2, max: 4 };
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
            metadata: meta("redis-proxy-hpa"),
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "redis-proxy" },
                minReplicas: replicas.min,
                maxReplicas: replicas.max,
                metrics: [
                    {
                        type: "Resource",
                        resource: {
                            name: "cpu",
                            target: { type: "Utilization", averageUtilization: 70 },
                        },
                    },
                ],
            },
        },
        opts,
    );
    new k8s.core.v1.Service(
        `${name}-service`,
        {
            metadata: meta(redisNames.primaryService),
            spec: {
                type: "ClusterIP",
                selector: redisProxySelector,
                ports: [{ name: "redis", port: redisNames.port, targetPort: "redis" }],
            },
        },
        opts,
    );
    new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
            metadata: meta("redis-proxy-pdb"),
            spec: {
                maxUnavailable: 1,
                selector: { matchLabels: redisProxySelector },
                // Stateless: a pod that is not ready may always be evicted.
                unhealthyPodEvictionPolicy: "AlwaysAllow",
            },
        },
        opts,
    );
    new k8s.networking.v1.NetworkPolicy(
        `${name}-network-policy`,
        {
            metadata: meta("redis-proxy"),
            spec: {
                podSelector: allowSelector(redisProxySelector),
                policyTypes: ["Ingress"],
                ingress: [{ from: args.clients, ports: tcp(redisNames.port) }],
            },
        },
        opts,
    );
}
