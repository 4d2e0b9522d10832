/**
 * Names, addresses and configuration text of the redis StatefulSet (docs/data.md, "Redis:
 * replicas and Sentinel"): which the component, its pods, the backup jobs and the apps share.
 */

import { redisDiscovery } from "../../contracts/names";

export const redisNames = {
    port: redisDiscovery.port,
    /** ClusterIP Service in front of redis-proxy: always the current primary (URL clients). */
    primaryService: redisDiscovery.primaryService,
    /** ConfigMap holding redis-proxy's haproxy.cfg. */
    proxyConfigMap: "redis-proxy-config",
    sentinelPort: redisDiscovery.sentinelPort,
    exporterPort: 9121,
    /** The name the Sentinels monitor the primary under (the manuals' mcp-cache). */
    sentinelMaster: redisDiscovery.sentinelMaster,
    /** Headless Service: one stable DNS name per pod (replication, Sentinel, scraping). */
    headlessService: "redis-headless",
    /** ClusterIP Service in front of every pod's Sentinel: where clients discover the primary. */
    sentinelService: redisDiscovery.sentinelService,
    /**
     * One key per client (redis-acl.ts): the apps' username, password and URLs, the Sentinel
     * address and master name; `admin-password` (the pods), `backup-password`,
     * `replication-password`, `sentinel-password`, `proxy-password`, `exporter-password`;
     * redis-auth.conf (servers) and sentinel-users.conf (Sentinels).
     */
    credentialsSecret: redisDiscovery.credentialsSecret,
    /** ConfigMap holding ops/redis-start.sh and the backup-lib.sh it sources. */
    scriptsConfigMap: "redis-scripts",
} as const;

/** The StatefulSet's pods: redis-0 (the initial primary, the name operators use), redis-1, .... */
export function redisPodNames(replicas: number): string[] {
    return Array.from({ length: replicas }, (_, i) => `redis-${i}`);
}

/** A pod's stable DNS name through the headless Service. */
export function redisPodHost(pod: string, namespace: string): string {
    return `${pod}.${redisNames.headlessService}.${namespace}.svc.cluster.local`;
}

/** Every Sentinel as `host:port`, space-separated (REDIS_SENTINELS of ops/redis-start.sh). */
export function redisSentinelAddresses(replicas: number, namespace: string): string {
    return redisPodNames(replicas)
        .map((pod) => `${redisPodHost(pod, namespace)}:${redisNames.sentinelPort}`)
        .join(" ");
}

/** Every server as `host:port`, space-separated (REDIS_SERVERS of ops/redis-start.sh). */
export function redisServerAddresses(replicas: number, namespace: string): string {
    return redisPodNames(replicas)
        .map((pod) => `${redisPodHost(pod, namespace)}:${redisNames.port}`)
        .join(" ");
}

/** The Service `redis`'s DNS name: the primary, for clients that only know a URL. */
export function redisPrimaryHost(namespace: string): string {
    return `${redisNames.primaryService}.${namespace}.svc.cluster.local`;
}

/**
 * `redis://<user>:<password>@redis.<namespace>.svc.cluster.local:6379/0`: the primary, whatever
 * it is, as an ACL user.
 */
export function redisPrimaryUrl(user: string, password: string, namespace: string): string {
    return `redis://${user}:${password}@${redisPrimaryHost(namespace)}:${redisNames.port}/0`;
}

/** The Sentinel Service's DNS name: what a Sentinel-aware client is given. */
export function redisSentinelHost(namespace: string): string {
    return `${redisNames.sentinelService}.${namespace}.svc.cluster.local`;
}

/**
 * The `redis+sentinel://` URL of the primary (the scheme redis-rs, Celery/kombu and others
 * read): the ACL user and password (the same on the Sentinels and the servers), the Sentinel
 * Service, the master name and database 0.
 */
export function redisSentinelUrl(user: string, password: string, namespace: string): string {
    const host = redisSentinelHost(namespace);
    return `redis+sentinel://${user}:${password}@${host}:${redisNames.sentinelPort}/${redisNames.sentinelMaster}/0`;
}

/** Sentinels that must agree the primary is down: a majority of them. */
export function sentinelQuorum(replicas: number): number {
    return Math.floor(replicas / 2) + 1;
}

/**
 * redis.conf of every server: persistence (AOF every second plus RDB snapshots), the memory
 * cap, replication settings. ops/redis-start.sh includes it and adds the role (`replicaof`)
 * and the announced name.
 */
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
        // Replicas and the backup's redis-cli --rdb get their snapshot over the socket at once.
        "repl-diskless-sync yes",
        "repl-diskless-sync-delay 0",
        // A replica serves reads while it resyncs, and never takes writes.
        "replica-serve-stale-data yes",
        "replica-read-only yes",
        // Sentinel promotes replicas of equal priority by replication offset.
        "replica-priority 100",
        // The ACL users and their passwords (redis-acl.ts), from the credentials Secret.
        "include /etc/redis/auth/redis-auth.conf",
        "",
    ].join("\n");
}
