import { beforeAll, describe, expect, it } from "vitest";
import type { ResourceRecord } from "../../../tools/lib/records";
import { synth, type SynthResult } from "../../support/synth";

/**
 * The data paths in the stack `npm run synth -- production` writes (docs/data.md, "Encryption
 * in transit" and "Redis users"): Postgres accepts TCP only over TLS and its clients verify
 * the server; the socket admits the pod's OS user by peer; each Redis client reads only its
 * own password from redis-credentials. test/ops/postgres-tls.test.ts and
 * test/ops/redis-acl.test.ts run the same texts on real servers.
 */

type Obj = Record<string, any>;

function named(records: ResourceRecord[], type: string, name: string): Obj {
    const found = records.filter(
        (r) => r.type === type && (r.inputs.metadata as Obj | undefined)?.name === name,
    );
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0].inputs as Obj;
}
const envOf = (container: Obj): Record<string, any> =>
    Object.fromEntries(
        ((container.env ?? []) as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]),
    );
const secretKey = (name: string, key: string) => ({ secretKeyRef: { name, key } });
const podSpecOf = (workload: Obj): Obj =>
    workload.spec.jobTemplate?.spec.template.spec ?? workload.spec.template.spec;
const containersOf = (workload: Obj): Obj[] => [
    ...(podSpecOf(workload).initContainers ?? []),
    ...podSpecOf(workload).containers,
];

describe("data in transit (production synth)", () => {
    let run: SynthResult;
    let records: ResourceRecord[];
    const statefulSet = (name: string) => named(records, "kubernetes:apps/v1:StatefulSet", name);
    const cronJob = (name: string) => named(records, "kubernetes:batch/v1:CronJob", name);

    beforeAll(() => {
        run = synth("production");
        expect(run.status, run.stderr).toBe(0);
        records = run.resources();
    }, 180_000);

    it("renders a pg_hba.conf with hostssl lines only for TCP, peer on the socket, no trust", () => {
        const data = named(records, "kubernetes:core/v1:ConfigMap", "postgres-config").data as Obj;
        const lines = (data["pg_hba.conf"] as string)
            .split("\n")
            .filter((l) => l.trim() !== "" && !l.startsWith("#"))
            .map((l) => l.split(/\s+/));
        expect(lines.map((l) => l[0])).toEqual([
            "local",
            "hostssl",
            "hostssl",
            "hostssl",
            "hostssl",
        ]);
        expect(lines.filter((l) => /^host(nossl)?$/.test(l[0]))).toEqual([]);
        expect(lines[0]).toEqual(["local", "all", "all", "peer", "map=pod"]);
        for (const line of lines.slice(1)) expect(line.at(-1)).toBe("scram-sha-256");
        expect(data["pg_hba.conf"]).not.toMatch(/\btrust\b/);
        // The map lets the image's OS user in as the superuser or the app role, no other.
        expect(
            (data["pg_ident.conf"] as string)
                .split("\n")
                .filter((l) => l.trim() !== "" && !l.startsWith("#"))
                .map((l) => l.split(/\s+/)),
        ).toEqual([
            ["pod", "postgres", "postgres"],
            ["pod", "postgres", "mcp_user"],
        ]);
    });

    it("turns TLS on in both StatefulSets with the postgres-tls certificate, the key unreadable to the exporter", () => {
        expect(named(records, "kubernetes:core/v1:Secret", "postgres-tls").type).toBe(
            "kubernetes.io/tls",
        );
        for (const name of ["postgres-primary", "postgres-replica"]) {
            const pod = podSpecOf(statefulSet(name));
            const [postgres, exporter] = pod.containers as Obj[];
            expect(postgres.args, name).toEqual(
                expect.arrayContaining([
                    "ssl=on",
                    "ssl_cert_file=/etc/postgresql/tls/tls.crt",
                    "ssl_key_file=/etc/postgresql/tls/tls.key",
                    "ssl_min_protocol_version=TLSv1.2",
                    "ident_file=/etc/postgresql/pg_ident.conf",
                ]),
            );
            const volumes = Object.fromEntries((pod.volumes as Obj[]).map((v) => [v.name, v]));
            expect(volumes.tls.secret).toEqual({ secretName: "postgres-tls", defaultMode: 0o440 });
            expect(volumes["tls-ca"].secret.items).toEqual([{ key: "ca.crt", path: "ca.crt" }]);
            expect(exporter.volumeMounts.map((m: Obj) => m.name)).toEqual(["tls-ca"]);
            expect(envOf(exporter).DATA_SOURCE_URI).toBe(
                "localhost:5432/mcp_db?sslmode=verify-full&sslrootcert=/etc/postgresql/tls/ca.crt",
            );
        }
    });

    it("verifies the server from every Postgres client: replicas, their clone and the backup job", () => {
        const verify = { PGSSLMODE: "verify-full", PGSSLROOTCERT: "/etc/postgresql/tls/ca.crt" };
        const replica = containersOf(statefulSet("postgres-replica"));
        for (const container of replica.filter((c) => c.name !== "postgres-exporter")) {
            expect(envOf(container), container.name).toMatchObject(verify);
        }
        const backup = cronJob("postgres-backup");
        const [step] = podSpecOf(backup).containers as Obj[];
        expect(envOf(step)).toMatchObject({ ...verify, PGHOST: "postgres-primary" });
        expect(step.volumeMounts).toEqual(
            expect.arrayContaining([
                { name: "postgres-ca", mountPath: "/etc/postgresql/tls", readOnly: true },
            ]),
        );
        // No client anywhere is told to skip TLS.
        expect(JSON.stringify(records)).not.toMatch(/sslmode=(disable|allow|prefer)/);
    });

    it("gives each Redis client its own user and password, the admin password to the redis pods only", () => {
        const redis = containersOf(statefulSet("redis"));
        const byName = Object.fromEntries(redis.map((c) => [c.name, envOf(c)]));
        expect(byName.redis.REDISCLI_AUTH).toEqual(
            secretKey("redis-credentials", "admin-password"),
        );
        expect(byName.sentinel.SENTINEL_USERS_FILE).toBe("/etc/redis/auth/sentinel-users.conf");
        // Both define their users on the other pods before they start (a rolling update).
        for (const container of ["redis", "sentinel"]) {
            expect(byName[container].REDIS_USERS_FILE).toBe("/etc/redis/auth/redis-auth.conf");
            expect(byName[container].REDIS_SERVERS.split(" ")).toEqual(
                [0, 1, 2].map(
                    (i) => `redis-${i}.redis-headless.mcp-production.svc.cluster.local:6379`,
                ),
            );
        }
        expect(byName["redis-exporter"]).toMatchObject({
            REDIS_USER: "exporter",
            REDIS_PASSWORD: secretKey("redis-credentials", "exporter-password"),
        });
        const backup = envOf(podSpecOf(cronJob("redis-backup")).containers[0]);
        expect(backup).toMatchObject({
            REDIS_USER: "backup",
            REDISCLI_AUTH: secretKey("redis-credentials", "backup-password"),
        });
        const proxy = named(records, "kubernetes:apps/v1:Deployment", "redis-proxy");
        expect(envOf(podSpecOf(proxy).containers[0])).toEqual({
            REDIS_PASSWORD: secretKey("redis-credentials", "proxy-password"),
        });
        const haproxy = named(records, "kubernetes:core/v1:ConfigMap", "redis-proxy-config").data[
            "haproxy.cfg"
        ] as string;
        expect(haproxy).toContain('tcp-check send "AUTH redis-proxy ${REDIS_PASSWORD}\\r\\n"');

        // Which workloads read which key of redis-credentials: admin-password only the redis
        // StatefulSet; the apps only username, password and url.
        const readers = new Map<string, Set<string>>();
        for (const record of records) {
            const inputs = record.inputs as Obj;
            if (!inputs.spec || !/Deployment|StatefulSet|CronJob|Job$/.test(record.type)) continue;
            for (const container of containersOf(inputs)) {
                for (const value of Object.values(envOf(container))) {
                    const ref = (value as Obj | undefined)?.secretKeyRef;
                    if (ref?.name !== "redis-credentials") continue;
                    const key = ref.key as string;
                    if (!readers.has(key)) readers.set(key, new Set());
                    readers.get(key)!.add(inputs.metadata.name);
                }
            }
        }
        expect([...readers.get("admin-password")!]).toEqual(["redis"]);
        const appKeys = ["url", "username", "password"];
        const appReaders = new Set(appKeys.flatMap((k) => [...(readers.get(k) ?? [])]));
        expect(appReaders.size).toBeGreaterThan(0);
        for (const [key, workloads] of readers) {
            if (appKeys.includes(key)) {
                expect([...workloads].filter((w) => w.startsWith("redis"))).toEqual([]);
            }
        }
    });

    it("lets previews read every Secret the stack declares, postgres-tls included (by name)", () => {
        const declared = records
            .filter((r) => r.type === "kubernetes:core/v1:Secret")
            .map((r) => (r.inputs.metadata as Obj).name as string);
        expect(declared).toContain("postgres-tls");
        const role = named(
            records,
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
            "mcp-platform-preview",
        );
        const names = (role.rules as Obj[]).find((r) => r.resources.includes("secrets"))!
            .resourceNames as string[];
        expect(declared.filter((name) => !names.includes(name))).toEqual([]);
    });
});
