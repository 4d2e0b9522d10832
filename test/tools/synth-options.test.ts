import { describe, expect, it } from "vitest";
import { stackFileVariant, synth } from "../support/synth";

/** resources.json records the options that decide what an update or delete does. */
describe("resource options in resources.json", () => {
    // Activated with the dump fallback, so the restore Job and its options are declared.
    const records = synth("dr", {
        stackFile: stackFileVariant("dr", (d) => {
            d.config["mcp-platform:drActive"] = true;
            (
                d.config["mcp-platform:backups"] as { restore: Record<string, unknown> }
            ).restore.from = "dump";
        }),
    }).resources();
    const byName = (name: string, type?: string) =>
        records.find((r) => r.name === name && (type === undefined || r.type === type))!;
    const statefulSet = "kubernetes:apps/v1:StatefulSet";

    it("records protect, retainOnDelete, ignoreChanges, customTimeouts, aliases and dependencies", () => {
        expect(byName("backups-bucket").options?.protect).toBe(true);
        expect(byName("backups-key", "aws:kms/key:Key").options?.protect).toBe(true);
        expect(byName("eks-cluster").options?.protect).toBe(true);
        expect(byName("postgres-postgres-primary", statefulSet).options?.retainOnDelete).toBe(true);
        expect(byName("postgres-postgres-primary", statefulSet).options?.protect).toBeUndefined();
        const job = byName("postgres-restore-job").options!;
        expect(job.ignoreChanges).toEqual(["spec"]);
        expect(job.customTimeouts).toEqual({ create: "92m" });
        expect(job.dependencies).toEqual(
            expect.arrayContaining([
                expect.stringContaining("ServiceAccount::postgres-restore-service-account"),
            ]),
        );
        expect(byName("postgres-restore-role").options?.aliases).toEqual([
            {
                parent: "urn:pulumi:dr::mcp-platform::mcp-platform:data:PostgresRestoreJob::postgres-restore",
            },
        ]);
    });

    it("leaves options out where none was set", () => {
        const plain = records.filter((r) => r.type === "kubernetes:core/v1:Namespace");
        expect(plain.length).toBeGreaterThan(0);
        for (const r of plain) expect(r.options?.protect).toBeUndefined();
    });
});
