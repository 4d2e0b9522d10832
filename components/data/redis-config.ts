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
    /** password, the URLs, the Sentinel address and master name (apps), redis-auth.conf (servers). */
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

/** The Service `redis`'s DNS name: the primary, for clients that only know a URL. */
export function redisPrimaryHost(namespace: string): string {
    return `${redisNames.primaryService}.${namespace}.svc.cluster.local`;
}

/** `redis://:<password>@redis.<namespace>.svc.cluster.local:6379/0`: the primary, whatever it is. */
export function redisPrimaryUrl(password: string, namespace: string): string {
    return `redis://:${password}@${redisPrimaryHost(namespace)}:${redisNames.port}/0`;
}

/** The Sentinel Service's DNS name: what a Sentinel-aware client is given. */
export function redisSentinelHost(namespace: string): string {
    return `${redisNames.sentinelService}.${namespace}.svc.cluster.local`;
}

/**
 * The `redis+sentinel://` URL of the primary (the scheme redis-rs, Celery/kombu and others
 * read): password, the Sentinel Service, the master name and database 0.
 */
export function redisSentinelUrl(password: string, namespace: string): string {
    const host = redisSentinelHost(namespace);
    return `redis+sentinel://:${password}@${host}:${redisNames.sentinelPort}/${redisNames.sentinelMaster}/0`;
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
        // The password (requirepass and masterauth), from the credentials Secret.
        "include /etc/redis/auth/redis-auth.conf",
        "",
    ].join("\n");
}

/**
 * The ACL user redis_exporter connects as: the connection commands, INFO, CONFIG GET and the
 * slowlog, latency and memory read-outs it turns into metrics; no key, no write, no admin
 * command. Checked against the real exporter (test/ops/redis-acl.test.ts).
 */
export const redisExporterAcl =
    "-@all +@connection +info +ping +config|get +client|list +slowlog|get +slowlog|len " +
    "+latency|latest +latency|history +dbsize +select +memory|usage +cluster|info";

/** The redis_exporter sidecar's ACL user name. */
export const redisExporterUser = "exporter";

/**
 * redis-auth.conf: servers require the password (the `default` user: operators in the pod,
 * probes, replication, Sentinel, the backup jobs) and replicas present it to the primary; the
 * exporter has a user of its own, limited to what it reads.
 */
export function redisAuthConfig(password: string, exporterPassword: string): string {
    for (const [what, value] of [
        ["password", password],
        ["exporter password", exporterPassword],
    ]) {
        // One word on a config line: a space or a line break would change its meaning.
        if (!/^[\x21-\x7e]+$/.test(value)) {
            throw new Error(`redis-auth.conf: the ${what} must be printable and without spaces`);
        }
    }
    return [
        `requirepass ${password}`,
        `masterauth ${password}`,
        `user ${redisExporterUser} on >${exporterPassword} ${redisExporterAcl}`,
        "",
    ].join("\n");
}
