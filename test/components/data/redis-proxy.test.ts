import { describe, expect, it } from "vitest";
import { Redis, type RedisArgs } from "../../../components/data/redis";
import { redisProxyConfig, sentinelAnswerHex } from "../../../components/data/redis-proxy-config";
import { recordResources } from "../../support/pulumi";
import { restrictedViolations } from "../../support/pod-security-standard";

/**
 * The Service `redis` and the Deployment `redis-proxy` behind it, as declared. Its behaviour
 * (the same configuration text in front of real servers) is test/ops/redis-proxy.test.ts.
 */

type Obj = Record<string, any>;

const args: RedisArgs = {
    image: "redis:7.2.5-bookworm",
    exporterImage: "oliver006/redis_exporter:v1.62.0",
    proxyImage: "haproxy:2.6.12",
    resources: { requests: { cpu: "500m", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } },
    storageSize: "20Gi",
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

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("redis-proxy: the Service redis follows the primary", () => {
    it("selects only the proxy pods, never the redis servers (which include replicas)", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const service = recorded
            .ofType("kubernetes:core/v1:Service")
            .map((r) => r.inputs as Obj)
            .find((s) => s.metadata.name === "redis")!;
        expect(service.metadata.namespace).toBe("mcp-production");
        expect(service.spec.ports).toEqual([{ name: "redis", port: 6379, targetPort: "redis" }]);
        const proxy = recorded.one("kubernetes:apps/v1:Deployment", "redis-proxy-deployment")
            .inputs as Obj;
        const servers = recorded.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset")
            .inputs as Obj;
        expect(matches(service.spec.selector, proxy.spec.template.metadata.labels)).toBe(true);
        expect(matches(service.spec.selector, servers.spec.template.metadata.labels)).toBe(false);
    });

    it("runs two or more hardened HAProxy pods with the password from the Secret and no API token", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const proxy = recorded.one("kubernetes:apps/v1:Deployment", "redis-proxy-deployment")
            .inputs as Obj;
        expect(proxy.metadata).toMatchObject({ name: "redis-proxy", namespace: "mcp-production" });
        // Two to four pods, scaled by its HPA on CPU.
        expect(proxy.spec.replicas).toBeUndefined();
        const hpa = recorded.one(
            "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
            "redis-proxy-hpa",
        ).inputs as Obj;
        expect(hpa.spec).toMatchObject({
            scaleTargetRef: { kind: "Deployment", name: "redis-proxy" },
            minReplicas: 2,
            maxReplicas: 4,
        });
        const pod = proxy.spec.template.spec;
        expect(await restrictedViolations(pod)).toEqual([]);
        expect(pod.automountServiceAccountToken).toBe(false);
        const [haproxy] = pod.containers;
        expect(haproxy.image).toBe("haproxy:2.6.12");
        expect(haproxy.env).toEqual([
            {
                name: "REDIS_PASSWORD",
                // Its own ACL user's password: it may only ask where the primary is.
                valueFrom: { secretKeyRef: { name: "redis-credentials", key: "proxy-password" } },
            },
        ]);
        expect(pod.volumes).toEqual([
            { name: "config", configMap: { name: "redis-proxy-config" } },
        ]);
        // The proxy reads nothing from the Kubernetes API: no Role, no binding.
        const rbac = recorded.records.filter((r) => r.type.includes("rbac.authorization.k8s.io"));
        expect(rbac).toEqual([]);
        const pdb = recorded.one("kubernetes:policy/v1:PodDisruptionBudget", "redis-proxy-pdb")
            .inputs as Obj;
        expect(pdb.spec).toMatchObject({ maxUnavailable: 1 });
    });

    it("checks every pod by its headless name and asks every Sentinel, with a quorum of two", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const config = (
            recorded.one("kubernetes:core/v1:ConfigMap", "redis-proxy-config").inputs as Obj
        ).data["haproxy.cfg"] as string;
        const host = (pod: string) => `${pod}.redis-headless.mcp-production.svc.cluster.local`;
        expect(config).toBe(
            redisProxyConfig({
                servers: ["redis-0", "redis-1", "redis-2"].map((pod) => ({
                    name: pod,
                    host: host(pod),
                    port: 6379,
                    sentinelPort: 26379,
                })),
                master: "mcp-cache",
                quorum: 2,
                bind: ":6379",
                authUser: "redis-proxy",
            }),
        );
        for (const pod of ["redis-0", "redis-1", "redis-2"]) {
            expect(config).toContain(
                `use_backend primary-${pod} if { srv_is_up(primary-${pod}/${pod}) } { nbsrv(sentinels-name-${pod}) ge 2 }`,
            );
            expect(config).toContain(`binary ${sentinelAnswerHex(host(pod), 6379)}`);
        }
        expect(config).toContain("resolvers cluster-dns");
        // As its ACL user; the password comes from HAProxy's environment, never the ConfigMap.
        expect(config).toContain('tcp-check send "AUTH redis-proxy ${REDIS_PASSWORD}\\r\\n"');
        expect(config).not.toMatch(/AUTH \$\{REDIS_PASSWORD\}/);
        expect(Buffer.from(sentinelAnswerHex("redis-1", 6379), "hex").toString()).toBe(
            "*2\r\n$7\r\nredis-1\r\n$4\r\n6379\r\n",
        );
    });

    it("admits the app namespaces and backup jobs to the proxy on 6379 only", async () => {
        const recorded = await recordResources(() => new Redis("redis", args));
        const spec = recorded.one(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "redis-proxy-network-policy",
        ).inputs.spec as Obj;
        expect(spec.podSelector.matchLabels.app).toBe("redis-proxy");
        expect(spec.ingress).toHaveLength(1);
        expect(spec.ingress[0].ports).toEqual([{ protocol: "TCP", port: 6379 }]);
        expect(spec.ingress[0].from).toHaveLength(4);
    });

    it("refuses a quorum the servers cannot reach", () => {
        const servers = [{ name: "redis-0", host: "h", port: 1, sentinelPort: 2 }];
        expect(() => redisProxyConfig({ servers, master: "m", quorum: 2, bind: ":1" })).toThrow(
            "redis-proxy quorum must be between 1 and 1; got 2",
        );
    });
});
