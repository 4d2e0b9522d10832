import { describe, expect, it } from "vitest";
import { upstreamImage } from "../../../contracts/image-cache";
import type { ResourceRecord } from "../../../tools/lib/records";
import { stackFileVariant, synth } from "../../support/synth";

/**
 * The README's first deploy of production, on the offline synth of the real program: deploy 1
 * without `backups.replication` (no archive yet), deploy 3 with it (the committed stack file).
 * The Postgres pods must run the same image as the same user with the same command in both —
 * a different UID would find a data directory it does not own and PostgreSQL would refuse to
 * start — and only the archive settings may differ. The servers' side of the same sequence
 * runs for real in test/ops/wal-first-deploy.test.ts.
 */

type Obj = Record<string, any>;
const statefulSet = "kubernetes:apps/v1:StatefulSet";

const firstDeploy = synth("production", {
    stackFile: stackFileVariant("production", (d) => {
        delete (d.config["mcp-platform:backups"] as Obj).replication;
    }),
});
const withArchive = synth("production");

const podOf = (records: ResourceRecord[], name: string): Obj =>
    (
        records.find(
            (r) => r.type === statefulSet && (r.inputs.metadata as Obj | undefined)?.name === name,
        )!.inputs.spec as Obj
    ).template.spec;

/** What decides who owns and opens the data directory. */
function identity(pod: Obj) {
    const containers = [...(pod.initContainers ?? []), ...pod.containers].filter(
        (c: Obj) => c.name !== "postgres-exporter",
    );
    return {
        securityContext: pod.securityContext,
        postgres: containers
            .filter((c: Obj) => c.name === "postgres" || c.name === "bootstrap")
            .map((c: Obj) => ({
                name: c.name,
                image: c.image,
                command: c.command,
                runAsUser: c.securityContext?.runAsUser,
                pgdata: c.env.find((e: Obj) => e.name === "PGDATA")?.value,
            })),
    };
}

describe("production's first deploy, then archiving on (offline synth)", () => {
    it("synthesizes both deploys", () => {
        expect(firstDeploy.status, firstDeploy.stderr).toBe(0);
        expect(withArchive.status, withArchive.stderr).toBe(0);
    });

    it.each(["postgres-primary", "postgres-replica"])(
        "%s keeps its image, UID, fsGroup, command and PGDATA when archiving is turned on",
        (name) => {
            const before = podOf(firstDeploy.resources(), name);
            const after = podOf(withArchive.resources(), name);
            expect(identity(before)).toEqual(identity(after));
            expect(before.securityContext).toMatchObject({ runAsUser: 26, fsGroup: 26 });
            const [postgres] = before.containers;
            expect(upstreamImage(postgres.image)).toMatch(
                /^ghcr\.io\/cloudnative-pg\/postgresql:15\..*-system-/,
            );
            expect(postgres.command).toEqual(["/bin/bash", "/opt/mcp/ops/postgres-start.sh"]);
            // Only the archive settings differ.
            const archiving = (pod: Obj) =>
                (pod.containers[0].args as string[]).some((a) => a.startsWith("archive_mode="));
            expect(archiving(before)).toBe(false);
            expect(archiving(after)).toBe(true);
        },
    );

    it("keeps the official image's Jobs away from the servers' volumes", () => {
        for (const records of [firstDeploy.resources(), withArchive.resources()]) {
            const jobs = records.filter((r) =>
                ["kubernetes:batch/v1:CronJob", "kubernetes:batch/v1:Job"].includes(r.type),
            );
            const official = jobs.filter((r) =>
                JSON.stringify(r.inputs).includes("/docker-hub/library/postgres:15"),
            );
            expect(official.length).toBeGreaterThan(0);
            for (const job of official) {
                const volumes = JSON.stringify(
                    (job.inputs.spec as Obj).jobTemplate?.spec.template.spec.volumes ??
                        (job.inputs.spec as Obj).template?.spec.volumes,
                );
                expect(volumes, job.name).not.toContain("persistentVolumeClaim");
            }
        }
    });
});
