import { describe, expect, it } from "vitest";
import { Postgres } from "../../../components/data/postgres";
import { Redis } from "../../../components/data/redis";
import { claimSizeIgnoreChanges } from "../../../components/kit/claim-growth";
import { recordResources } from "../../support/pulumi";

/**
 * Volumes grow without replacing the StatefulSet: the set ignores its claim template's size,
 * and each claim it made is patched to the declared size. The real engine and apiserver run
 * the growth in `npm run e2e` (test/support/real-engine.ts, "volumes").
 */

type Obj = Record<string, any>;
const resources = { requests: { cpu: "1", memory: "4Gi" }, limits: { cpu: "2", memory: "4Gi" } };

const claimPatches = (records: { type: string; inputs: Obj }[]) =>
    records
        .filter((r) => r.type === "kubernetes:core/v1:PersistentVolumeClaimPatch")
        .map((r) => `${r.inputs.metadata.name} ${r.inputs.spec.resources.requests.storage}`);

describe("growing the data stores' volumes", () => {
    it("patches each Redis claim to the declared size; the set ignores its template's", async () => {
        const recorded = await recordResources(
            () =>
                new Redis("redis", {
                    image: "redis:7.2.5-bookworm",
                    exporterImage: "oliver006/redis_exporter:v1.62.0",
                    proxyImage: "haproxy:2.6.12",
                    resources,
                    storageSize: "25Gi",
                    passwords: {
                        default: "test-only-redis",
                        exporter: "test-only-exporter",
                        app: "test-only-app",
                        backup: "test-only-backup",
                        replication: "test-only-replication",
                        sentinel: "test-only-sentinel",
                        proxy: "test-only-proxy",
                    },
                }),
        );
        expect(claimPatches(recorded.records)).toEqual([
            "data-redis-0 25Gi",
            "data-redis-1 25Gi",
            "data-redis-2 25Gi",
        ]);
        const set = recorded.one("kubernetes:apps/v1:StatefulSet", "redis-statefulset");
        expect(set.options?.ignoreChanges).toEqual(claimSizeIgnoreChanges);
        expect(set.options?.retainOnDelete).toBe(true);
        // A patch holds the claim's size, a required field: never deleted with the patch.
        for (const patch of recorded.ofType("kubernetes:core/v1:PersistentVolumeClaimPatch")) {
            expect(patch.options?.retainOnDelete, patch.name).toBe(true);
        }
        // The ignored path is the template's size (a wrong path would ignore nothing).
        expect((set.inputs.spec as Obj).volumeClaimTemplates[0].spec.resources.requests).toEqual({
            storage: "25Gi",
        });
    });

    it("patches every claim of postgres-primary and postgres-replica", async () => {
        const recorded = await recordResources(
            () =>
                new Postgres("postgres", {
                    image: "postgres:15.13-bookworm",
                    exporterImage: "quay.io/prometheuscommunity/postgres-exporter:v0.16.0",
                    resources,
                    storageSize: "250Gi",
                    replicas: 2,
                    passwords: {
                        app: "a",
                        superuser: "s",
                        replication: "r",
                        exporter: "e",
                        tlsSeed: "test-only-tls-seed",
                    },
                }),
        );
        expect(claimPatches(recorded.records)).toEqual([
            "data-postgres-primary-0 250Gi",
            "data-postgres-replica-0 250Gi",
            "data-postgres-replica-1 250Gi",
        ]);
        for (const set of recorded.ofType("kubernetes:apps/v1:StatefulSet")) {
            expect(set.options?.ignoreChanges, set.name).toEqual(claimSizeIgnoreChanges);
        }
    });
});
