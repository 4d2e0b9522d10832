import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PlatformConfig } from "../config";
import type { PostgresPasswords, RedisPasswords } from "../components/data";

/**
 * The passwords the in-cluster layer stores in its Secrets: Postgres' roles and the seed of
 * its TLS certificates, Redis' users and the shared `jwt-secret`. They are inputs of that layer (secret Outputs), so the
 * layer can be deployed with passwords generated elsewhere (the e2e tier generates its own at
 * run time: the random provider is not built there).
 */
export interface InClusterSecrets {
    readonly postgres: PostgresPasswords;
    readonly redis: RedisPasswords;
    /** The value of `jwt-secret` in `mcp-secrets`. */
    readonly jwtSecret: pulumi.Input<string>;
}

/**
 * Each password's logical name and the component that created it before the passwords moved
 * here. The alias to that former parent keeps the stack's existing passwords: the engine
 * finds the resource under its old URN and neither replaces nor regenerates it.
 */
export const passwordOwners = {
    postgresApp: { name: "postgres-app-password", formerParent: postgresComponent() },
    postgresSuperuser: { name: "postgres-superuser-password", formerParent: postgresComponent() },
    postgresReplication: {
        name: "postgres-replication-password",
        formerParent: postgresComponent(),
    },
    postgresExporter: { name: "postgres-exporter-password", formerParent: postgresComponent() },
    /** Created here: no former parent. */
    postgresTlsSeed: { name: "postgres-tls-seed" },
    redis: {
        name: "redis-password",
        formerParent: redisComponent(),
    },
    redisExporter: { name: "redis-exporter-password", formerParent: redisComponent() },
    // Created here (one ACL user per client, components/data/redis-acl.ts): no former parent.
    redisApp: { name: "redis-app-password" },
    redisBackup: { name: "redis-backup-password" },
    redisReplication: { name: "redis-replication-password" },
    redisSentinel: { name: "redis-sentinel-password" },
    redisProxy: { name: "redis-proxy-password" },
    jwtSecret: {
        name: "mcp-app-config-jwt-secret",
        formerParent: { name: "mcp-app-config", type: "mcp-platform:workloads:AppConfig" },
    },
} as const;

function redisComponent() {
    return { name: "redis", type: "mcp-platform:data:Redis" } as const;
}

function postgresComponent() {
    return { name: "postgres", type: "mcp-platform:data:Postgres" } as const;
}

/** Length of the generated `jwt-secret`. */
const jwtSecretLength = 48;

/**
 * Generates the in-cluster layer's passwords with @pulumi/random: created once, kept in state
 * as secrets, never in config. `jwt-secret` is regenerated whenever
 * `workloads.secrets.jwtSecretRotation` changes (its keeper).
 */
export function platformSecrets(cfg: PlatformConfig): InClusterSecrets {
    const password = (
        owner: { readonly name: string; readonly formerParent?: { name: string; type: string } },
        args: random.RandomPasswordArgs = { length: 32, special: false },
    ) =>
        new random.RandomPassword(owner.name, args, {
            aliases: owner.formerParent
                ? [{ parent: pulumi.createUrn(owner.formerParent.name, owner.formerParent.type) }]
                : [],
        }).result;
    return {
        postgres: {
            app: password(passwordOwners.postgresApp),
            superuser: password(passwordOwners.postgresSuperuser),
            replication: password(passwordOwners.postgresReplication),
            exporter: password(passwordOwners.postgresExporter),
            tlsSeed: password(passwordOwners.postgresTlsSeed),
        },
        redis: {
            default: password(passwordOwners.redis),
            exporter: password(passwordOwners.redisExporter),
            app: password(passwordOwners.redisApp),
            backup: password(passwordOwners.redisBackup),
            replication: password(passwordOwners.redisReplication),
            sentinel: password(passwordOwners.redisSentinel),
            proxy: password(passwordOwners.redisProxy),
        },
        jwtSecret: password(passwordOwners.jwtSecret, {
            length: jwtSecretLength,
            special: false,
            keepers: { rotation: cfg.workloads.secrets.jwtSecretRotation },
        }),
    };
}
