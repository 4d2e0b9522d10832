import { redisNames } from "./redis-config";

/**
 * The Redis ACL (docs/data.md, "Redis users"): one user per client, each limited to the
 * commands (and keys and channels) it uses, on the servers and on the Sentinels. The `default`
 * user is the administrator's: only the redis pods hold its password (`kubectl exec redis-0
 * -- redis-cli`, the probes). Every rule is checked against real servers in
 * test/ops/redis-acl.test.ts (and the Sentinel and replication users by the failover tests).
 */

/** Each client's ACL user name. */
export const redisUsers = {
    /** The MCP services (`username`/`password`/`url` of redis-credentials). */
    app: "app",
    /** The `redis-backup` job: finds the primary and streams its snapshot. */
    backup: "backup",
    /** Replicas authenticate to their primary as this user (masteruser). */
    replication: "replica",
    /** The Sentinels, to the servers and to each other. */
    sentinel: "sentinel",
    /** redis-proxy's health checks ask the Sentinels for the primary. */
    proxy: "redis-proxy",
    /** The redis_exporter sidecar. */
    exporter: "exporter",
} as const;

/** The redis_exporter sidecar's ACL user name. */
export const redisExporterUser = redisUsers.exporter;

/**
 * The apps' commands on the servers: data of every type, transactions, Pub/Sub, Lua, the
 * connection commands, INFO and ROLE (client libraries' ready and failover checks); never
 * an admin or "dangerous" command (FLUSHALL, FLUSHDB, KEYS, CONFIG, DEBUG, SHUTDOWN, REPLICAOF,
 * MONITOR, MIGRATE, RESTORE, CLIENT KILL, ACL, ...) nor a script or function admin command.
 * Every key and channel: the cache has no per-service prefix to narrow them to.
 */
export const redisAppAcl =
    "~* &* -@all +@read +@write +@keyspace +@string +@hash +@list +@set +@sortedset " +
    "+@bitmap +@hyperloglog +@geo +@stream +@pubsub +@transaction +@connection -@dangerous " +
    "-@admin -@scripting +eval +evalsha +eval_ro +evalsha_ro +fcall +fcall_ro +script|load " +
    "+script|exists +info +role";

/**
 * The exporter: the connection commands, INFO, CONFIG GET and the slowlog, latency and memory
 * read-outs it turns into metrics; no key, no write, no admin command.
 */
export const redisExporterAcl =
    "-@all +@connection +info +ping +config|get +client|list +slowlog|get +slowlog|len " +
    "+latency|latest +latency|history +dbsize +select +memory|usage +cluster|info";

/** What each user may do on the servers (redis-server). */
export const redisServerAcls = {
    app: redisAppAcl,
    // Finds the primary (PING, ROLE, INFO) and takes a snapshot (`redis-cli --rdb`: REPLCONF
    // rdb-only, then SYNC); no key, no write.
    backup: "-@all +ping +info +role +replconf +sync +psync",
    replication: "-@all +psync +replconf +ping",
    // What Sentinel sends a monitored server (Redis' Sentinel guide), on its hello channel only.
    sentinel:
        "&__sentinel__:hello -@all +multi +exec +slaveof +replicaof +ping +subscribe " +
        "+config|rewrite +role +publish +info +client|setname +client|kill +script|kill",
    exporter: redisExporterAcl,
    // redis-proxy's check that a server is the primary: INFO replication's role.
    proxy: "-@all +ping +info",
} as const;

/** Asking a Sentinel where the primary is, and nothing else. */
const askPrimary = "-@all +ping +sentinel|get-master-addr-by-name";

/** What each user may do on the Sentinels (redis-sentinel). */
export const redisSentinelAcls = {
    // Sentinel-aware client libraries: the primary, the replicas and the Sentinels, and the
    // failover notices on Pub/Sub (+switch-master). No SENTINEL FAILOVER, SET, RESET, REMOVE.
    app:
        "&* -@all +ping +hello +client|setname +client|getname +sentinel|get-master-addr-by-name " +
        "+sentinel|masters +sentinel|master +sentinel|replicas +sentinel|slaves " +
        "+sentinel|sentinels +subscribe +psubscribe +unsubscribe +punsubscribe",
    backup: askPrimary,
    proxy: askPrimary,
    // A Sentinel to its peers: pings, hello messages and the votes of a failover.
    sentinel:
        "&__sentinel__:hello -@all +ping +publish +client|setname +sentinel|is-master-down-by-addr",
} as const;

/** Every user's password: `admin` is the `default` user's (the pods only). */
export interface RedisUserPasswords {
    readonly admin: string;
    readonly app: string;
    readonly backup: string;
    readonly replication: string;
    readonly sentinel: string;
    readonly proxy: string;
    readonly exporter: string;
}

function checked(passwords: RedisUserPasswords): RedisUserPasswords {
    const owners = new Map<string, string>();
    for (const [what, value] of Object.entries(passwords)) {
        // One word on a config line (and a redis-cli command line, share_users of
        // ops/redis-start.sh): a space, a line break, a quote or a backslash would change it.
        if (!/^[\x21-\x7e]+$/.test(value) || /["'\\]/.test(value)) {
            throw new Error(
                `redis ACL: the ${what} password must be printable, without spaces, quotes or backslashes`,
            );
        }
        // A password two clients share would let either act as the other.
        const other = owners.get(value);
        if (other !== undefined) {
            throw new Error(`redis ACL: the ${what} and ${other} passwords must differ`);
        }
        owners.set(value, what);
    }
    return passwords;
}

const userLine = (user: string, password: string, acl: string) =>
    `user ${user} on >${password} ${acl}`;

/**
 * redis-auth.conf of every server: the `default` user's password (requirepass), how a replica
 * authenticates to its primary (masteruser, masterauth) and one user per client.
 */
export function redisAuthConfig(passwords: RedisUserPasswords): string {
    const p = checked(passwords);
    return [
        `requirepass ${p.admin}`,
        `masteruser ${redisUsers.replication}`,
        `masterauth ${p.replication}`,
        ...(Object.keys(redisServerAcls) as (keyof typeof redisServerAcls)[]).map((client) =>
            userLine(redisUsers[client], p[client], redisServerAcls[client]),
        ),
        "",
    ].join("\n");
}

/**
 * sentinel-users.conf, which ops/redis-start.sh appends to each Sentinel's configuration: one
 * user per client, the user Sentinels present to each other (sentinel-user), and the one they
 * present to the servers (auth-user of the monitored master). The `default` user's password
 * (requirepass) is the administrator's, as on the servers.
 */
export function sentinelUsersConfig(passwords: RedisUserPasswords): string {
    const p = checked(passwords);
    const master = redisNames.sentinelMaster;
    return [
        ...(Object.keys(redisSentinelAcls) as (keyof typeof redisSentinelAcls)[]).map((client) =>
            userLine(redisUsers[client], p[client], redisSentinelAcls[client]),
        ),
        `sentinel sentinel-user ${redisUsers.sentinel}`,
        `sentinel sentinel-pass ${p.sentinel}`,
        `sentinel auth-user ${master} ${redisUsers.sentinel}`,
        `sentinel auth-pass ${master} ${p.sentinel}`,
        "",
    ].join("\n");
}

/**
 * The rules without the passwords: a pod annotation that restarts the servers when a rule
 * changes (they read their users at start).
 */
export function redisAclDigestInput(): unknown {
    return { redisUsers, redisServerAcls, redisSentinelAcls };
}
