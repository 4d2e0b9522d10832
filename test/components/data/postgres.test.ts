import { describe, expect, it } from "vitest";
import { Postgres, type PostgresArgs } from "../../../components/data/postgres";
import { awaitReadiness, walBacklogMb } from "../../../components/data/postgres-wal";
import type { ResourceRecord } from "../../../tools/lib/records";
import { recordResources } from "../../support/pulumi";
import { restrictedViolations } from "../../support/pod-security-standard";

const args: PostgresArgs = {
    image: "ghcr.io/cloudnative-pg/postgresql:15.14-202511100817-system-bookworm@sha256:cf13adf3e270ff1a924c03c34954ff6cc17e5c3b1a4c555255612ea612a08466",
    exporterImage: "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
    resources: { requests: { cpu: "2", memory: "16Gi" }, limits: { cpu: "4", memory: "16Gi" } },
    storageSize: "200Gi",
    // Plain strings on purpose: the component must still keep them secret.
    passwords: {
        app: "test-only-app",
        superuser: "test-only-superuser",
        replication: "test-only-replication",
        exporter: "test-only-exporter",
        tlsSeed: "test-only-tls-seed-0123456789",
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
                "ca.crt",
                "database",
                "host",
                "password",
                "port",
                "readonly-host",
                "readonly-url",
                "sslmode",
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

    it("runs one image as UID 26 with postgres-start.sh, archiving or not", async () => {
        const archive: PostgresArgs["walArchive"] = {
            archiveUrl: "s3://dr-bucket/wal",
            sourceUrl: "s3://dr-bucket/dr/wal",
            region: "us-west-2",
            timeoutSeconds: 30,
            standby: false,
            baseBackupIntervalHours: 24,
            roleArn: "arn:aws:iam::111111111111:role/wal",
        };
        const plain = await recordResources(() => new Postgres("postgres", args));
        const archiving = await recordResources(
            () => new Postgres("postgres", { ...args, walArchive: archive }),
        );
        for (const name of ["postgres-primary", "postgres-replica"]) {
            const [before, after] = [plain, archiving].map(
                (r) => (byName(r.ofType(statefulSet), name).inputs.spec as Obj).template.spec,
            );
            for (const pod of [before, after]) {
                expect(pod.securityContext).toMatchObject({
                    runAsUser: 26,
                    runAsGroup: 26,
                    fsGroup: 26,
                });
                expect(pod.containers[0].image).toBe(args.image);
                expect(pod.containers[0].command).toEqual([
                    "/bin/bash",
                    "/opt/mcp/ops/postgres-start.sh",
                ]);
                expect(pod.volumes.map((v: Obj) => v.name)).not.toContain("initdb");
            }
        }
        expect(plain.ofType("kubernetes:core/v1:ConfigMap").map((c) => c.name)).not.toContain(
            "postgres-initdb",
        );
        const env = (byName(archiving.ofType(statefulSet), "postgres-primary").inputs.spec as Obj)
            .template.spec.containers[0].env;
        expect(env).toEqual(
            expect.arrayContaining([{ name: "WAL_ARCHIVE_MAX_BACKLOG_MB", value: "20480" }]),
        );
    });

    it("keeps a preparing server alive but not ready, and skips Pulumi's await on a standby", async () => {
        const recorded = await recordResources(() => new Postgres("postgres", args));
        const primary = byName(recorded.ofType(statefulSet), "postgres-primary").inputs as Obj;
        const postgres = primary.spec.template.spec.containers[0];
        const alive = ["/bin/bash", "/opt/mcp/ops/postgres-probe.sh"];
        expect(postgres.startupProbe.exec.command).toEqual(alive);
        expect(postgres.livenessProbe.exec.command).toEqual(alive);
        expect(postgres.readinessProbe.exec.command).toEqual([
            "pg_isready",
            "-h",
            "/var/run/postgresql",
            "-p",
            "5432",
            "-U",
            "mcp_user",
            "-d",
            "mcp_db",
        ]);
        expect(primary.metadata.annotations).toBeUndefined();

        const standby = await recordResources(
            () =>
                new Postgres("postgres", {
                    ...args,
                    walArchive: {
                        archiveUrl: "s3://dr-bucket/dr/wal",
                        sourceUrl: "s3://dr-bucket/wal",
                        region: "us-west-2",
                        timeoutSeconds: 30,
                        standby: true,
                        baseBackupIntervalHours: 24,
                        roleArn: "arn:aws:iam::111111111111:role/wal",
                        maxBacklogPercent: 5,
                    },
                }),
        );
        for (const set of standby.ofType(statefulSet)) {
            expect((set.inputs.metadata as Obj).annotations).toEqual({
                "pulumi.com/skipAwait": "true",
            });
        }
        const replica = byName(standby.ofType(statefulSet), "postgres-replica").inputs.spec as Obj;
        expect(replica.template.spec.initContainers[0].env).toEqual(
            expect.arrayContaining([{ name: "PG_WAIT_SECONDS", value: "0" }]),
        );
        expect(awaitReadiness(undefined)).toBe(true);
        expect(awaitReadiness({ standby: false })).toBe(true);
        expect(awaitReadiness({ standby: true })).toBe(false);
    });

    it("bounds the WAL backlog to a share of the volume in whole segments", () => {
        expect(walBacklogMb("200Gi", 10)).toBe(20480);
        expect(walBacklogMb("10Gi", 1)).toBe(96);
        expect(walBacklogMb("1Gi", 1)).toBe(16);
        expect(() => walBacklogMb("200Gi", 0)).toThrow("maxBacklogPercent must be in (0, 50]");
        expect(() => walBacklogMb("200Gi", 60)).toThrow("maxBacklogPercent must be in (0, 50]");
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
