import { describe, expect, it } from "vitest";
import { Postgres, type PostgresArgs } from "../../../components/data/postgres";
import type { ResourceRecord } from "../../../tools/lib/records";
import { recordResources } from "../../support/pulumi";
import { restrictedViolations } from "../../support/pod-security-standard";

const args: PostgresArgs = {
    image: "postgres:15.13-bookworm",
    exporterImage: "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    resources: { requests: { cpu: "2", memory: "16Gi" }, limits: { cpu: "4", memory: "16Gi" } },
    storageSize: "200Gi",
    // Plain strings on purpose: the component must still keep them secret.
    passwords: {
        app: "test-only-app",
        superuser: "test-only-superuser",
        replication: "test-only-replication",
        exporter: "test-only-exporter",
    },
};

type Obj = Record<string, any>;
const statefulSet = "kubernetes:apps/v1:StatefulSet";
const byName = (records: ResourceRecord[], name: string) =>
    records.find((r) => (r.inputs.metadata as Obj)?.name === name)!;

describe("Postgres", () => {
    it("declares postgres-primary and postgres-replica with the manuals' names and labels", async () => {
        const recorded = await recordResources(() => new Postgres("postgres", args));
        const sets = recorded.ofType(statefulSet);
        expect(sets.map((s) => (s.inputs.metadata as Obj).name)).toEqual([
            "postgres-primary",
            "postgres-replica",
        ]);
        for (const [name, replicas] of [
            ["postgres-primary", 1],
            ["postgres-replica", 1],
        ] as const) {
            const spec = byName(sets, name).inputs.spec as Obj;
            expect((byName(sets, name).inputs.metadata as Obj).namespace).toBe("mcp-production");
            expect(spec.replicas).toBe(replicas);
            expect(spec.serviceName).toBe(`${name}-headless`);
            expect(spec.selector.matchLabels.app).toBe(name);
            expect(spec.template.metadata.labels.app).toBe(name);
            expect(spec.selector.matchLabels).not.toHaveProperty("app.kubernetes.io/version");
            expect(spec.volumeClaimTemplates[0].spec).toEqual({
                accessModes: ["ReadWriteOnce"],
                storageClassName: "gp3",
                resources: { requests: { storage: "200Gi" } },
            });
        }
        const services = recorded
            .ofType("kubernetes:core/v1:Service")
            .map((s) => (s.inputs.metadata as Obj).name);
        expect(services).toEqual(
            expect.arrayContaining([
                "postgres-primary",
                "postgres-replica",
                "postgres-primary-headless",
                "postgres-metrics",
            ]),
        );
    });

    it("runs both pods under the restricted Pod Security Standard with probes and resources", async () => {
        const recorded = await recordResources(() => new Postgres("postgres", args));
        for (const set of recorded.ofType(statefulSet)) {
            const pod = (set.inputs.spec as Obj).template.spec;
            expect(await restrictedViolations(pod)).toEqual([]);
            expect(pod.automountServiceAccountToken).toBe(false);
            for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
                expect(container.securityContext.readOnlyRootFilesystem, container.name).toBe(true);
                expect(container.resources.requests, container.name).toBeDefined();
                expect(container.resources.limits.memory, container.name).toMatch(/Mi|Gi/);
            }
            for (const container of pod.containers) {
                expect(container.readinessProbe, container.name).toBeDefined();
                expect(container.livenessProbe, container.name).toBeDefined();
            }
            expect(pod.containers.map((c: Obj) => c.image)).toEqual([
                args.image,
                args.exporterImage,
            ]);
            expect(pod.containers[1].ports).toEqual([
                { name: "metrics", containerPort: 9187, protocol: "TCP" },
            ]);
        }
    });

    it("passes the tuning for the memory limit as server arguments", async () => {
        const recorded = await recordResources(() => new Postgres("postgres", args));
        const container = (
            byName(recorded.ofType(statefulSet), "postgres-primary").inputs.spec as Obj
        ).template.spec.containers[0];
        expect(container.args).toEqual(
            expect.arrayContaining([
                "-c",
                "shared_buffers=4GB",
                "-c",
                "effective_cache_size=12GB",
                "-c",
                "maintenance_work_mem=1GB",
            ]),
        );
        const small = await recordResources(
            () =>
                new Postgres("postgres", {
                    ...args,
                    resources: {
                        requests: { cpu: "1", memory: "2Gi" },
                        limits: { cpu: "2", memory: "2Gi" },
                    },
                }),
        );
        const smallArgs = (byName(small.ofType(statefulSet), "postgres-primary").inputs.spec as Obj)
            .template.spec.containers[0].args;
        expect(smallArgs).toContain("shared_buffers=512MB");
        expect(smallArgs).not.toContain("shared_buffers=4GB");
    });

    it("keeps the passwords it is given secret in its Secrets and generates none", async () => {
        const recorded = await recordResources(() => new Postgres("postgres", args));
        // platform/secrets.ts generates them (test/platform/secrets.test.ts).
        expect(recorded.ofType("random:index/randomPassword:RandomPassword")).toEqual([]);
        const admin = byName(recorded.ofType("kubernetes:core/v1:Secret"), "postgres-admin")
            .inputs as Obj;
        expect(admin.stringData).toEqual({
            "superuser-password": "[secret]",
            "replication-password": "[secret]",
            "exporter-password": "[secret]",
        });
        const credentials = byName(
            recorded.ofType("kubernetes:core/v1:Secret"),
            "postgres-credentials",
        ).inputs as Obj;
        expect(Object.keys(credentials.stringData).sort()).toEqual(
            [
                "database",
                "host",
                "password",
                "port",
                "readonly-host",
                "readonly-url",
                "url",
                "username",
            ].sort(),
        );
        // The whole Secret payload is a Pulumi secret: redacted in state and in the synth output.
        expect(credentials.stringData.password).toBe("[secret]");
        expect(credentials.stringData.url).toBe("[secret]");
        for (const set of recorded.ofType(statefulSet)) {
            for (const container of (set.inputs.spec as Obj).template.spec.containers) {
                for (const env of container.env ?? []) {
                    if (/PASS/.test(env.name))
                        expect(env.valueFrom?.secretKeyRef, env.name).toBeDefined();
                }
            }
        }
    });

    it("bootstraps replicas with pg_basebackup from the primary and allows one disruption at a time", async () => {
        const recorded = await recordResources(
            () => new Postgres("postgres", { ...args, replicas: 2 }),
        );
        const replica = byName(recorded.ofType(statefulSet), "postgres-replica").inputs.spec as Obj;
        expect(replica.replicas).toBe(2);
        const init = replica.template.spec.initContainers[0];
        expect(init.command).toEqual(["/bin/bash", "/opt/mcp/ops/postgres-replica-bootstrap.sh"]);
        expect(init.env).toEqual(
            expect.arrayContaining([{ name: "PRIMARY_HOST", value: "postgres-primary" }]),
        );
        const pdb = recorded.one("kubernetes:policy/v1:PodDisruptionBudget", "postgres-pdb").inputs
            .spec as Obj;
        expect(pdb).toEqual({
            maxUnavailable: 1,
            selector: { matchLabels: { "app.kubernetes.io/name": "postgres" } },
        });

        const none = await recordResources(
            () => new Postgres("postgres", { ...args, replicas: 0 }),
        );
        expect(none.ofType(statefulSet).map((s) => (s.inputs.metadata as Obj).name)).toEqual([
            "postgres-primary",
        ]);
    });

    it("admits only the app namespaces, the backup jobs and Prometheus on the exporter port", async () => {
        const recorded = await recordResources(() => new Postgres("postgres", args));
        const policy = recorded.one(
            "kubernetes:networking.k8s.io/v1:NetworkPolicy",
            "postgres-network-policy",
        ).inputs.spec as Obj;
        expect(policy.podSelector.matchLabels).toEqual({ "app.kubernetes.io/name": "postgres" });
        const [clients, scrape] = policy.ingress;
        expect(clients.ports).toEqual([{ protocol: "TCP", port: 5432 }]);
        expect(clients.from).toEqual([
            {
                namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": "mcp-production" },
                },
            },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "mcp-system" } } },
            {
                namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": "mcp-platform" },
                },
            },
            {
                namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": "mcp-production" },
                },
                podSelector: { matchLabels: { "app.kubernetes.io/component": "backup" } },
            },
        ]);
        expect(scrape.ports).toEqual([{ protocol: "TCP", port: 9187 }]);
        expect(scrape.from[0].namespaceSelector.matchLabels).toEqual({
            "kubernetes.io/metadata.name": "monitoring",
        });
    });

    it("names children after the instance so two never collide", async () => {
        const recorded = await recordResources(() => {
            new Postgres("a", { ...args, namespace: "one" });
            new Postgres("b", { ...args, namespace: "two" });
        });
        const urns = recorded.records.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
    });
});
