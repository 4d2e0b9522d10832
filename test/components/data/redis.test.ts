import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { opsDir } from "../../../components/data/data-pods";
import {
    Redis,
    type RedisArgs,
    redisConfig,
    redisReplicaCount,
    redisSentinelDownAfter,
} from "../../../components/data/redis";
import { redisAuthConfig } from "../../../components/data/redis-acl";
import {
    redisPrimaryUrl,
    redisSentinelAddresses,
    redisSentinelUrl,
    sentinelQuorum,
} from "../../../components/data/redis-config";
import { recordResources } from "../../support/pulumi";
import { restrictedViolations } from "../../support/pod-security-standard";

type Obj = Record<string, any>;

const args: RedisArgs = {
    image: "redis:7.2.5-bookworm",
    exporterImage: "oliver006/redis_exporter:v1.62.0",
    proxyImage: "haproxy:2.6.12",
    resources: { requests: { cpu: "500m", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    storageSize: "20Gi",
    // Plain strings on purpose: the component must still keep them secret.
    passwords: {
        default: "test-only-redis",
        exporter: "test-only-exporter",
        app: "test-only-app",
        backup: "test-only-backup",
        replication: "test-only-replication",
        sentinel: "test-only-sentinel",
        proxy: "test-only-proxy",
    },
};

const envOf = (container: Obj) =>
    Object.fromEntries(
        (container.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]),
    ) as Record<string, any>;

describe("Redis", () => {
    it("declares StatefulSet redis: three pods (redis-0 first), each a server, a Sentinel and an exporter", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const set = recorded.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset")
            .inputs as Obj;
        expect(set.metadata).toMatchObject({ name: "redis", namespace: "mcp-production" });
        expect(set.spec.replicas).toBe(3);
        expect(set.spec.podManagementPolicy).toBe("OrderedReady");
        expect(set.spec.serviceName).toBe("redis-headless");
        expect(set.spec.template.metadata.labels.app).toBe("redis");
        expect(set.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("gp3");
        const pod = set.spec.template.spec;
        expect(await restrictedViolations(pod)).toEqual([]);
        expect(pod.automountServiceAccountToken).toBe(false);
        const [server, sentinel, exporter] = pod.containers;
        expect([server.name, sentinel.name, exporter.name]).toEqual([
            "redis",
            "sentinel",
            "redis-exporter",
        ]);
        expect(server.command).toEqual(["bash", "/opt/mcp/ops/redis-start.sh", "server"]);
        expect(sentinel.command).toEqual(["bash", "/opt/mcp/ops/redis-start.sh", "sentinel"]);
        expect(sentinel.image).toBe(args.image);
        expect(sentinel.ports).toEqual([
            { name: "sentinel", containerPort: 26379, protocol: "TCP" },
        ]);
        const env = envOf(server);
        // `kubectl exec redis-0 -- redis-cli ping` authenticates through REDISCLI_AUTH, as the
        // `default` (administrator's) user: only the redis pods hold its password.
        expect(env.REDISCLI_AUTH).toEqual({
            secretKeyRef: { name: "redis-credentials", key: "admin-password" },
        });
        expect(env.POD_NAME).toEqual({ fieldRef: { fieldPath: "metadata.name" } });
        expect(env.REDIS_SELF).toBe(
            "$(POD_NAME).redis-headless.mcp-production.svc.cluster.local:6379",
        );
        expect(env.REDIS_INITIAL_PRIMARY).toBe(
            "redis-0.redis-headless.mcp-production.svc.cluster.local:6379",
        );
        expect(env.REDIS_SENTINELS).toBe(redisSentinelAddresses(3, "mcp-production"));
        expect(env.REDIS_SENTINELS.split(" ")).toHaveLength(3);
        const sentinelEnv = envOf(sentinel);
        expect(sentinelEnv).toMatchObject({
            SENTINEL_QUORUM: "2",
            SENTINEL_DOWN_AFTER_MS: "5000",
            REDIS_SENTINEL_MASTER: "mcp-cache",
        });
        expect(server.readinessProbe.exec.command.join(" ")).toContain("redis-cli -p 6379 ping");
        expect(sentinel.readinessProbe.exec.command.join(" ")).toContain("redis-cli -p 26379 ping");
        expect(exporter.image).toBe(args.exporterImage);
        expect(exporter.ports[0].containerPort).toBe(9121);
        // The exporter connects as its own ACL user, never with the servers' password.
        expect(envOf(exporter)).toEqual({
            REDIS_ADDR: "redis://127.0.0.1:6379",
            REDIS_USER: "exporter",
            REDIS_PASSWORD: {
                secretKeyRef: { name: "redis-credentials", key: "exporter-password" },
            },
        });
        for (const container of pod.containers) {
            expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
            expect(container.livenessProbe, container.name).toBeDefined();
            expect(container.resources.limits.memory, container.name).toBeDefined();
        }
        // Sentinel's rewritten file holds the password: memory only, never the PVC.
        const sentinelVolume = pod.volumes.find((v: Obj) => v.name === "sentinel");
        expect(sentinelVolume.emptyDir.medium).toBe("Memory");
        expect(pod.volumes.find((v: Obj) => v.name === "ops").configMap.name).toBe("redis-scripts");
        const scripts = recorded.one("kubernetes:core/v1:ConfigMap", "redis-scripts").inputs as Obj;
        expect(Object.keys(scripts.data).sort()).toEqual(["backup-lib.sh", "redis-start.sh"]);
        // The password it is given (platform/secrets.ts generates it), secret in every key.
        expect(recorded.ofType("random:index/randomPassword:RandomPassword")).toEqual([]);
        const credentials = recorded.one("kubernetes:core/v1:Secret", "redis-credentials")
            .inputs as Obj;
        for (const key of [
            "password",
            "url",
            "sentinel-url",
            "admin-password",
            "exporter-password",
            "redis-auth.conf",
            "sentinel-users.conf",
        ]) {
            expect(credentials.stringData[key], key).toBe("[secret]");
        }
    });

    it("gives each container every variable ops/redis-start.sh requires in its mode", async () => {
        const script = fs.readFileSync(path.join(opsDir, "redis-start.sh"), "utf8");
        const required = (mode: string) => {
            const line = script.match(new RegExp(`^\\s*${mode}\\) require_env ([^;]+);;`, "m"));
            expect(line, mode).not.toBeNull();
            return line![1].trim().split(/\s+/);
        };
        const recorded = await recordResources(() => new Redis("redis", args));
        const [server, sentinel] = (
            recorded.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset").inputs as Obj
        ).spec.template.spec.containers;
        expect(required("server").length).toBeGreaterThan(3);
        for (const name of required("server")) expect(envOf(server), name).toHaveProperty(name);
        for (const name of required("sentinel")) {
            expect(envOf(sentinel), name).toHaveProperty(name);
        }
    });

    it("spreads the pods over nodes and zones and lets a drain take one at a time", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const pod = (
            recorded.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset").inputs as Obj
        ).spec.template.spec;
        const anti = pod.affinity.podAntiAffinity;
        expect(anti.requiredDuringSchedulingIgnoredDuringExecution[0]).toMatchObject({
            topologyKey: "kubernetes.io/hostname",
            labelSelector: { matchLabels: { app: "redis" } },
        });
        expect(
            anti.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey,
        ).toBe("topology.kubernetes.io/zone");
        const pdb = recorded.one("kubernetes:policy/v1:PodDisruptionBudget", "redis-pdb")
            .inputs as Obj;
        expect(pdb.spec).toMatchObject({
            maxUnavailable: 1,
            selector: { matchLabels: { app: "redis" } },
        });
    });

    it("publishes the primary (redis), the Sentinels for clients, a headless one for the pods and scraping", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const services = recorded.ofType("kubernetes:core/v1:Service").map((r) => r.inputs as Obj);
        expect(services.map((s) => s.metadata.name).sort()).toEqual([
            "redis",
            "redis-headless",
            "redis-sentinel",
        ]);
        const sentinel = services.find((s) => s.metadata.name === "redis-sentinel")!;
        expect(sentinel.spec.ports).toEqual([
            { name: "sentinel", port: 26379, targetPort: "sentinel" },
        ]);
        const headless = services.find((s) => s.metadata.name === "redis-headless")!;
        expect(headless.spec).toMatchObject({ clusterIP: "None", publishNotReadyAddresses: true });
        expect(headless.metadata.labels["mcp-platform.io/scrape"]).toBe("redis");
        expect(headless.spec.ports.map((p: Obj) => p.port)).toEqual([6379, 26379, 9121]);
        const monitor = recorded.one(
            "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
            "redis-service-monitor",
        ).inputs as Obj;
        expect(monitor.spec.selector.matchLabels).toEqual({ "mcp-platform.io/scrape": "redis" });
    });

    it("writes AOF and RDB, caps memory at a share of the limit with the eviction policy", async () => {
        const recorded = await recordResources(
            () =>
                new Redis("redis", {
                    ...args,
                    maxmemoryPercent: 50,
                    maxmemoryPolicy: "volatile-lru",
                }),
        );
        const config = (recorded.one("kubernetes:core/v1:ConfigMap", "redis-config").inputs as Obj)
            .data["redis.conf"];
        expect(config).toBe(redisConfig(2 * 2 ** 30, "volatile-lru"));
        expect(config).toContain("appendonly yes");
        expect(config).toContain("save 3600 1 300 100 60 10000");
        expect(config).toContain(`maxmemory ${2 * 2 ** 30}`);
        expect(config).toContain("maxmemory-policy volatile-lru");
        expect(config).toContain("replica-read-only yes");
        expect(config).toContain("include /etc/redis/auth/redis-auth.conf");
        expect(config).not.toMatch(/requirepass|replicaof/);
        const users = {
            admin: "pw",
            app: "ap",
            backup: "bk",
            replication: "rp",
            sentinel: "se",
            proxy: "px",
            exporter: "ex",
        };
        expect(redisAuthConfig(users).split("\n").slice(0, 3)).toEqual([
            "requirepass pw",
            "masteruser replica",
            "masterauth rp",
        ]);
        expect(redisAuthConfig(users)).toContain("user exporter on >ex -@all +@connection");
        expect(() => redisAuthConfig({ ...users, exporter: "a b" })).toThrow(
            "redis ACL: the exporter password must be printable, without spaces, quotes or backslashes",
        );
    });

    it("gives clients the primary's URL, the Sentinel address, the master name and a redis+sentinel URL", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const secret = recorded.one("kubernetes:core/v1:Secret", "redis-credentials").inputs as Obj;
        // The whole stringData is a Pulumi secret (it holds the password): check its keys.
        expect(Object.keys(secret.stringData).sort()).toEqual([
            "admin-password",
            "backup-password",
            "exporter-password",
            "host",
            "password",
            "port",
            "proxy-password",
            "redis-auth.conf",
            "replication-password",
            "sentinel-host",
            "sentinel-master",
            "sentinel-password",
            "sentinel-port",
            "sentinel-url",
            "sentinel-users.conf",
            "sentinels",
            "url",
            "username",
        ]);
        expect(redisPrimaryUrl("app", "pw", "mcp-production")).toBe(
            "redis://app:pw@redis.mcp-production.svc.cluster.local:6379/0",
        );
        expect(redisSentinelUrl("app", "pw", "mcp-production")).toBe(
            "redis+sentinel://app:pw@redis-sentinel.mcp-production.svc.cluster.local:26379/mcp-cache/0",
        );
    });

    it("admits the app namespaces and backup jobs to both ports, the pods to each other, Prometheus to the exporter", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const spec = recorded.one(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "redis-network-policy",
        ).inputs.spec as Obj;
        expect(spec.podSelector.matchLabels.app).toBe("redis");
        const both = [
            { protocol: "TCP", port: 6379 },
            { protocol: "TCP", port: 26379 },
        ];
        expect(spec.ingress[0].ports).toEqual(both);
        expect(spec.ingress[0].from).toHaveLength(4);
        expect(spec.ingress[0].from[3].podSelector.matchLabels).toEqual({
            "app.kubernetes.io/component": "backup",
        });
        expect(spec.ingress[1].ports).toEqual(both);
        expect(spec.ingress[1].from[0].podSelector.matchLabels.app).toBe("redis");
        expect(spec.ingress[2].ports).toEqual([{ protocol: "TCP", port: 9121 }]);
        expect(spec.ingress[3].ports).toEqual(both);
        expect(spec.ingress[3].from[0].podSelector.matchLabels.app).toBe("redis-proxy");
    });

    it("takes a majority of Sentinels as the quorum and refuses fewer than three pods", async () => {
        expect([3, 4, 5, 7].map(sentinelQuorum)).toEqual([2, 3, 3, 4]);
        expect(() => redisReplicaCount(2)).toThrow(
            /Redis replicas must be an integer of at least 3 .*got 2/,
        );
        const five = await recordResources(() => new Redis("redis", { ...args, replicas: 5 }));
        const pod = (five.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset").inputs as Obj)
            .spec.template.spec;
        expect(envOf(pod.containers[1]).SENTINEL_QUORUM).toBe("3");
        expect(envOf(pod.containers[0]).REDIS_SENTINELS.split(" ")).toHaveLength(5);
    });

    it("refuses a Sentinel down-after under five seconds", async () => {
        expect(redisSentinelDownAfter(5000)).toBe(5000);
        expect(() => redisSentinelDownAfter(1000)).toThrow(
            /sentinelDownAfterMilliseconds must be an integer of at least 5000 .*got 1000/,
        );
        let refused: unknown;
        await recordResources(() => {
            try {
                new Redis("redis", { ...args, sentinelDownAfterMilliseconds: 4999 });
            } catch (error) {
                refused = error;
            }
        });
        expect(String(refused)).toMatch(/at least 5000 .*got 4999/);
    });
});
