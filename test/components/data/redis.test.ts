import { describe, expect, it } from "vitest";
import { Redis, type RedisArgs, redisConfig } from "../../../components/data/redis";
import { recordResources } from "../../harness/pulumi";
import { restrictedViolations } from "../../lib/pod-security-standard";

type Obj = Record<string, any>;

const args: RedisArgs = {
    image: "redis:7.2.5-bookworm",
    exporterImage: "oliver006/redis_exporter:v1.62.0",
    resources: { requests: { cpu: "500m", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    storageSize: "20Gi",
};

describe("Redis", () => {
    it("declares StatefulSet redis (pod redis-0) with persistence, a password and an exporter", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const set = recorded.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset")
            .inputs as Obj;
        expect(set.metadata).toMatchObject({ name: "redis", namespace: "mcp-production" });
        expect(set.spec.replicas).toBe(1);
        expect(set.spec.template.metadata.labels.app).toBe("redis");
        expect(set.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("gp3");
        const pod = set.spec.template.spec;
        expect(await restrictedViolations(pod)).toEqual([]);
        const [server, exporter] = pod.containers;
        expect(server.command).toEqual(["redis-server", "/etc/redis/conf/redis.conf"]);
        // `kubectl exec redis-0 -- redis-cli ping` authenticates through REDISCLI_AUTH.
        expect(server.env).toEqual([
            {
                name: "REDISCLI_AUTH",
                valueFrom: { secretKeyRef: { name: "redis-credentials", key: "password" } },
            },
        ]);
        expect(server.readinessProbe.exec.command.join(" ")).toContain("redis-cli -p 6379 ping");
        expect(exporter.image).toBe(args.exporterImage);
        expect(exporter.ports[0].containerPort).toBe(9121);
        for (const container of pod.containers) {
            expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
            expect(container.livenessProbe, container.name).toBeDefined();
        }
        expect(recorded.ofType("random:index/randomPassword:RandomPassword")).toHaveLength(1);
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
        expect(config).toContain("include /etc/redis/auth/redis-auth.conf");
        expect(config).not.toMatch(/requirepass/);
    });

    it("admits only the app namespaces, the backup jobs and Prometheus on the exporter port", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const spec = recorded.one(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "redis-network-policy",
        ).inputs.spec as Obj;
        expect(spec.podSelector.matchLabels.app).toBe("redis");
        expect(spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 6379 }]);
        expect(spec.ingress[0].from).toHaveLength(4);
        expect(spec.ingress[0].from[3].podSelector.matchLabels).toEqual({
            "app.kubernetes.io/component": "backup",
        });
        expect(spec.ingress[1].ports).toEqual([{ protocol: "TCP", port: 9121 }]);
    });
});
