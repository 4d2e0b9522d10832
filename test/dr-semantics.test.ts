import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { ResourceRecord } from "../tools/lib/records";
import { runProgram } from "../tools/lib/run-program";
import { readStackConfig } from "../tools/lib/stack-file";
import { projectDir, synth, type SynthResult, stackFileVariant } from "./support/synth";

/**
 * What one flag does (docs/dr.md, "What standby and activated mean"): the real program's
 * offline synth of the dr stack in standby and with `mcp-platform:drActive: true`, compared
 * resource by resource, and the production stack, which the flag must never change.
 */
// Activated with the dump fallback (`backups.restore.from: dump`), so the restore Job's
// declaration is compared too; the default, promoting the WAL standby, adds nothing to the
// program (the last test of this block).
const activatedFile = stackFileVariant("dr", (doc) => {
    doc.config["mcp-platform:drActive"] = true;
    (doc.config["mcp-platform:backups"] as { restore: Record<string, unknown> }).restore.from =
        "dump";
});
const promotingFile = stackFileVariant("dr", (doc) => {
    doc.config["mcp-platform:drActive"] = true;
});
const standby = synth("dr");
const promoting = synth("dr", { stackFile: promotingFile });
const activated = synth("dr", { stackFile: activatedFile });
const production = synth("production");

const byUrn = (result: SynthResult) => new Map(result.resources().map((r) => [r.urn, r]));
/** The services of the catalog (Pulumi.production.yaml `workloads.services`). */
const catalogServices = new Set(
    Object.keys(
        parse(fs.readFileSync(path.join(projectDir, "Pulumi.production.yaml"), "utf8")).config[
            "mcp-platform:workloads"
        ].services,
    ),
);
const hpas = (result: SynthResult) =>
    Object.fromEntries(
        result
            .resources()
            .filter((r) => r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
            // The MCP services' autoscalers; the data layer's (redis-proxy) keeps its size.
            .filter((r) =>
                catalogServices.has(
                    (r.inputs.metadata as { name: string }).name.replace(/-hpa$/, ""),
                ),
            )
            .map((r) => {
                const meta = r.inputs.metadata as { name: string; namespace: string };
                const spec = r.inputs.spec as { minReplicas: number; maxReplicas: number };
                return [`${meta.namespace}/${meta.name}`, spec];
            }),
    );
const fixedReplicas = (result: SynthResult) =>
    Object.fromEntries(
        result
            .resources()
            .filter((r) => r.type === "kubernetes:apps/v1:Deployment")
            .map((r) => {
                const meta = r.inputs.metadata as { name: string; namespace: string };
                return [
                    `${meta.namespace}/${meta.name}`,
                    (r.inputs.spec as { replicas?: number }).replicas,
                ];
            }),
    );
const kvValue = (result: SynthResult) =>
    result
        .resources()
        .filter((r) => r.type === "cloudflare:index/workersKv:WorkersKv")
        .filter((r) => r.inputs.keyName === "active-region")
        .map((r) => r.inputs.value);

/** The URN of `record`'s nearest ancestor (itself included) of `type`, if any. */
function ancestorOfType(record: ResourceRecord, all: Map<string, ResourceRecord>, type: string) {
    for (
        let r: ResourceRecord | undefined = record;
        r;
        r = r.parent ? all.get(r.parent) : undefined
    ) {
        if (r.type === type) return r.urn;
    }
    return undefined;
}

/** Paths where two JSON values differ, e.g. `.spec.minReplicas`. */
function differences(a: unknown, b: unknown, at = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) return [];
    if (a && b && typeof a === "object" && typeof b === "object") {
        if (Array.isArray(a) !== Array.isArray(b)) return [at];
        if (Array.isArray(a) && (a as unknown[]).length !== (b as unknown[]).length) return [at];
        const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
        return [...keys].flatMap((k) =>
            differences(
                (a as Record<string, unknown>)[k],
                (b as Record<string, unknown>)[k],
                Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`,
            ),
        );
    }
    return [at];
}

describe("the dr stack: standby and activated", () => {
    it("both synthesize with no mandatory policy violation", () => {
        for (const result of [standby, activated]) {
            expect(result.stderr).toBe("");
            expect(result.status).toBe(0);
        }
    });

    it("runs every service at its standby size in standby and at production size once activated", () => {
        const standbyHpas = hpas(standby);
        const activatedHpas = hpas(activated);
        const productionHpas = hpas(production);
        expect(Object.keys(standbyHpas).length).toBeGreaterThanOrEqual(9);
        expect(Object.keys(activatedHpas).sort()).toEqual(Object.keys(productionHpas).sort());
        const standbyDoc = parse(fs.readFileSync(path.join(projectDir, "Pulumi.dr.yaml"), "utf8"))
            .config["mcp-platform:workloads"].services as Record<
            string,
            { standbyReplicas?: number }
        >;
        for (const [key, spec] of Object.entries(standbyHpas)) {
            const service = key.split("/")[1].replace(/-hpa$/, "");
            expect(spec.minReplicas, key).toBe(standbyDoc[service]?.standbyReplicas ?? 1);
            expect(spec.maxReplicas, key).toBe(productionHpas[key].maxReplicas);
            expect(activatedHpas[key], key).toEqual(productionHpas[key]);
            expect(activatedHpas[key].minReplicas, key).toBeGreaterThan(spec.minReplicas);
        }
        // the runbooks' sizes reach the activated DR region unchanged
        expect(activatedHpas["mcp-production/mcp-typescript-api-hpa"]).toMatchObject({
            maxReplicas: 20,
        });
        expect(activatedHpas["mcp-system/mcp-semantic-control-plane-hpa"]).toMatchObject({
            minReplicas: 5,
            maxReplicas: 20,
        });
        // Deployments owned by an HPA leave replicas unset in both modes.
        expect(fixedReplicas(activated)).toEqual(fixedReplicas(production));
    });

    it("declares the restore Job only when activated, named as docs/dr.md says", () => {
        const jobs = (result: SynthResult) =>
            result
                .resources()
                .filter((r) => r.type === "kubernetes:batch/v1:Job")
                .map((r) => r.inputs.metadata as { name: string; namespace: string });
        expect(jobs(standby)).toEqual([]);
        expect(jobs(activated)).toEqual([
            expect.objectContaining({
                name: "postgres-restore-activation-latest",
                namespace: "mcp-production",
            }),
        ]);
        const manifest = parse(
            activated.read("k8s/mcp-production/job-postgres-restore-activation-latest.yaml"),
        );
        const script = JSON.stringify(manifest.spec.template.spec);
        expect(script).toContain("restore-postgres.sh");
        // It restores from the dr stack's own bucket, in the dr region: the replicated copy.
        const env = Object.fromEntries(
            (
                manifest.spec.template.spec.containers as {
                    env?: { name: string; value?: string }[];
                }[]
            )
                .flatMap((c) => c.env ?? [])
                .filter((e) => e.value !== undefined)
                .map((e) => [e.name, e.value]),
        );
        const drConfig = parse(
            fs.readFileSync(path.join(projectDir, "Pulumi.dr.yaml"), "utf8"),
        ).config;
        // The dr stack's own bucket: its prefix, the account id and the dr region.
        expect(env.BACKUP_BUCKET).toBe(
            `${drConfig["mcp-platform:backups"].bucketPrefix}-123456789012-us-west-2`,
        );
        expect(env.AWS_REGION).toBe("us-west-2");
        expect(jobs(production)).toEqual([]);
    });

    it("switches the edge: active-region is primary in standby and dr once activated", () => {
        expect(kvValue(standby)).toEqual(["primary"]);
        expect(kvValue(activated)).toEqual(["dr"]);
        expect(kvValue(production)).toEqual([]);
    });

    it("activates without IAM: the restore role and its trust exist in standby already", () => {
        const iam = (result: SynthResult) =>
            result
                .resources()
                .filter((r) => r.type.startsWith("aws:iam/"))
                .map((r) => r.urn)
                .sort();
        const standbyUrns = new Set(standby.resources().map((r) => r.urn));
        const addedIam = activated
            .resources()
            .filter((r) => !standbyUrns.has(r.urn) && r.type.startsWith("aws:iam/"))
            .map((r) => r.urn);
        expect(addedIam).toEqual([]);
        expect(iam(activated)).toEqual(iam(standby));
        // The role the Job's service account names is the standby's, unchanged.
        const restoreIam = (result: SynthResult) =>
            result
                .resources()
                .filter(
                    (r) => r.type.startsWith("aws:iam/") && r.name.startsWith("postgres-restore-"),
                )
                .map((r) => [r.urn, r.inputs]);
        expect(restoreIam(standby).map(([urn]) => urn)).toEqual([
            expect.stringContaining("aws:iam/role:Role::postgres-restore-role-role"),
            expect.stringContaining("aws:iam/rolePolicy:RolePolicy::postgres-restore-role-policy"),
        ]);
        expect(restoreIam(activated)).toEqual(restoreIam(standby));
        // Activation adds only Kubernetes objects (and the component that groups them).
        const added = activated.resources().filter((r) => !standbyUrns.has(r.urn));
        expect(added.length).toBeGreaterThan(0);
        for (const record of added) {
            expect(
                record.type.startsWith("kubernetes:") || !record.custom,
                `${record.type} ${record.name} is created by activation`,
            ).toBe(true);
        }
        // Production has neither.
        expect(production.resources().filter((r) => r.name.startsWith("postgres-restore"))).toEqual(
            [],
        );
    });

    it("by default promotes the WAL standby: no restore Job, postgres-primary's template unchanged", () => {
        expect(
            promoting.resources().filter((r) => r.type === "mcp-platform:data:PostgresRestoreJob"),
        ).toEqual([]);
        const primary = (result: SynthResult) =>
            result
                .resources()
                .find(
                    (r) =>
                        r.type === "kubernetes:apps/v1:StatefulSet" &&
                        r.name === "postgres-postgres-primary",
                )!.inputs;
        // The pod does not roll at activation: tools/dr promotes the running standby.
        expect(primary(promoting)).toEqual(primary(standby));
        const container = JSON.stringify(primary(standby));
        expect(container).toContain('{"name":"WAL_STANDBY","value":"true"}');
        expect(container).toContain("restore_command=bash /opt/mcp/ops/wal-restore.sh %f %p");
        expect(container).toContain("archive_command=bash /opt/mcp/ops/wal-archive.sh %p");
    });

    it("differs in exactly those things, the backup jobs' standby switch and verify's prefix", () => {
        const before = byUrn(standby);
        const after = byUrn(activated);
        expect([...before.keys()].filter((urn) => !after.has(urn))).toEqual([]);

        const added = [...after.values()].filter((r) => !before.has(r.urn));
        const restoreRoot = added.find((r) => r.type === "mcp-platform:data:PostgresRestoreJob");
        expect(restoreRoot?.name).toBe("postgres-restore");
        for (const record of added) {
            expect(
                ancestorOfType(record, after, "mcp-platform:data:PostgresRestoreJob"),
                `${record.urn} is not part of the restore Job`,
            ).toBe(restoreRoot!.urn);
        }

        const changed: Record<string, string[]> = {};
        for (const [urn, record] of before) {
            const paths = differences(record.inputs, after.get(urn)!.inputs);
            if (paths.length > 0) changed[`${record.type} ${record.name}`] = paths;
        }
        const hpaChanges = Object.entries(changed).filter(([k]) =>
            k.startsWith("kubernetes:autoscaling/v2:HorizontalPodAutoscaler "),
        );
        expect(hpaChanges.length).toBe(Object.keys(hpas(standby)).length);
        for (const [, paths] of hpaChanges) expect(paths).toEqual([".spec.minReplicas"]);
        expect(changed["cloudflare:index/workersKv:WorkersKv edge-switch-active-region"]).toEqual([
            ".value",
        ]);

        // The alert rules' DR posture: PostgresDrStandbyIsPrimary holds only on an idle standby.
        expect(
            changed["kubernetes:monitoring.coreos.com/v1:PrometheusRule alert-rules-postgres"],
        ).toEqual([".spec.groups[0].rules[0].labels.posture"]);

        // The base-backup check of the WAL archive is resumed (the promoted server's sidecar
        // takes base backups into dr/wal); nothing else about it changes.
        expect(changed["kubernetes:batch/v1:CronJob postgres-base-backup-check-cron-job"]).toEqual([
            ".spec.suspend",
        ]);
        // The backup CronJobs stop skipping (BACKUP_STANDBY) and backup-verify stops waiting
        // for replicated dumps; nothing else about them changes.
        const cronJobs = Object.entries(changed).filter(
            ([k]) =>
                k.startsWith("kubernetes:batch/v1:CronJob ") &&
                !k.endsWith(" postgres-base-backup-check-cron-job"),
        );
        expect(cronJobs.map(([k]) => k.split(" ")[1]).sort()).toEqual([
            "backup-jobs-app-data-backup",
            "backup-jobs-backup-verify",
            "backup-jobs-postgres-backup",
            "backup-jobs-redis-backup",
        ]);
        for (const [key, paths] of cronJobs) {
            // backup-verify also gains BACKUP_PREFIX_ROOT (its env lists grow by one entry).
            for (const p of paths) expect(p, key).toMatch(/\.env(\[\d+\]\.value)?$/);
            const cron = [...after.values()].find((r) => `${r.type} ${r.name}` === key)!;
            const envs = JSON.stringify(cron.inputs);
            expect(envs, key).not.toContain('{"name":"BACKUP_STANDBY","value":"true"}');
        }

        // The dr stack's own backups live under dr/, which production's replication never
        // writes: its writers use dr/<kind> in both modes, and once activated backup-verify
        // checks those (in standby it checks the replicated production dumps).
        const envOf = (result: SynthResult, cronJob: string) =>
            JSON.stringify(
                result
                    .resources()
                    .find(
                        (r) =>
                            r.type === "kubernetes:batch/v1:CronJob" &&
                            r.name === `backup-jobs-${cronJob}`,
                    )!.inputs,
            );
        for (const [cronJob, prefix] of [
            ["postgres-backup", "dr/postgres"],
            ["redis-backup", "dr/redis"],
            ["app-data-backup", "dr/app-data"],
        ]) {
            for (const result of [standby, activated]) {
                expect(envOf(result, cronJob)).toContain(
                    `{"name":"BACKUP_PREFIX","value":"${prefix}"}`,
                );
            }
        }
        expect(envOf(activated, "backup-verify")).toContain(
            '{"name":"BACKUP_PREFIX_ROOT","value":"dr"}',
        );
        expect(envOf(standby, "backup-verify")).not.toContain("BACKUP_PREFIX_ROOT");
        const verifyPolicy = (result: SynthResult) =>
            JSON.parse(
                result.resources().find((r) => r.name === "backup-jobs-backup-verify-policy")!
                    .inputs.policy as string,
            ).Statement[1].Resource as string[];
        expect(verifyPolicy(standby).every((arn) => !arn.includes("/dr/"))).toBe(true);
        expect(verifyPolicy(activated).every((arn) => arn.includes("/dr/"))).toBe(true);
        expect(changed["aws:iam/rolePolicy:RolePolicy backup-jobs-backup-verify-policy"]).toEqual([
            ".policy",
        ]);

        // The node groups grow to their `activated` sizes (production's) and nothing else.
        const nodeGroups = Object.entries(changed).filter(([k]) =>
            k.startsWith("aws:eks/nodeGroup:NodeGroup "),
        );
        expect(nodeGroups).toHaveLength(2);
        for (const [key, paths] of nodeGroups) {
            expect(paths.sort(), key).toEqual([
                ".scalingConfig.desiredSize",
                ".scalingConfig.minSize",
            ]);
        }
        const scaling = (result: SynthResult) =>
            Object.fromEntries(
                result
                    .resources()
                    .filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")
                    .map((r) => [r.inputs.nodeGroupName, r.inputs.scalingConfig]),
            );
        expect(scaling(activated)).toEqual(scaling(production));

        const others = Object.keys(changed).filter(
            (k) =>
                !k.startsWith("aws:eks/nodeGroup:NodeGroup ") &&
                !k.startsWith("kubernetes:autoscaling/v2:HorizontalPodAutoscaler ") &&
                !k.startsWith("kubernetes:batch/v1:CronJob ") &&
                k !== "aws:iam/rolePolicy:RolePolicy backup-jobs-backup-verify-policy" &&
                k !== "kubernetes:monitoring.coreos.com/v1:PrometheusRule alert-rules-postgres" &&
                k !== "cloudflare:index/workersKv:WorkersKv edge-switch-active-region",
        );
        expect(others).toEqual([]);
    });

    it("exports the flag it was deployed with (what `npm run dr -- check-deploy` compares)", () => {
        expect(JSON.parse(standby.read("outputs.json")).drActive).toBe(false);
        expect(JSON.parse(activated.read("outputs.json")).drActive).toBe(true);
    });
});

describe("the edge switch waits for DR to be ready", () => {
    const dependencies = new Map<string, string[]>();
    beforeAll(async () => {
        const { project, config, secretKeys } = readStackConfig(projectDir, activatedFile);
        await runProgram({
            project,
            stack: "dr",
            region: config["aws:region"],
            config,
            secretKeys,
            load: async () => {
                type Request = { getName(): string; getDependenciesList(): string[] };
                const monitor = pulumi.runtime.getMonitor() as unknown as {
                    registerResource(req: Request, callback: unknown): unknown;
                };
                const original = monitor.registerResource.bind(monitor);
                monitor.registerResource = (req, callback) => {
                    dependencies.set(req.getName(), req.getDependenciesList());
                    return original(req, callback);
                };
                return import("../index");
            },
        });
    });

    // The EdgeSwitch component depends on the restore Job and the catalog. Its KV entry is its
    // child: the Node.js SDK registers a child only once its parent's URN has resolved, and a
    // component's URN resolves only after every resource it depends on has been created or
    // updated — so the switch flips after the restore Job has completed.
    it("writes active-region only after the restore Job and the services", () => {
        const deps = dependencies.get("edge-switch") ?? [];
        expect(
            deps.some((urn) => urn.endsWith("kubernetes:batch/v1:Job::postgres-restore-job")),
        ).toBe(true);
        expect(
            deps.some((urn) =>
                urn.endsWith("HorizontalPodAutoscaler::mcp-catalog-mcp-typescript-api-hpa"),
            ),
        ).toBe(true);
    });
});

describe("the production stack", () => {
    it("is the same whether or not its file spells out drActive: false", () => {
        const explicit = synth("production", {
            stackFile: stackFileVariant("production", (doc) => {
                doc.config["mcp-platform:drActive"] = false;
            }),
        });
        expect(explicit.status).toBe(0);
        // Registration order may vary between runs (late registrations inside apply): compare
        // by URN.
        const before = byUrn(production);
        const after = byUrn(explicit);
        expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
        for (const [urn, record] of before) expect(after.get(urn), urn).toEqual(record);
    });

    it("refuses the flag, so DR can never change it", () => {
        const refused = synth("production", {
            stackFile: stackFileVariant("production", (doc) => {
                doc.config["mcp-platform:drActive"] = true;
            }),
        });
        expect(refused.status).toBe(1);
        expect(refused.stderr + refused.stdout).toContain(
            "Pulumi.production.yaml: mcp-platform:drActive: expected false on a primary stack; only a standby (role: standby) is activated (got true)",
        );
    });

    it("owns no DR switch and no restore Job", () => {
        const types = new Set(production.resources().map((r) => r.type));
        expect(types.has("mcp-platform:edge:EdgeSwitch")).toBe(false);
        expect(types.has("mcp-platform:data:PostgresRestoreJob")).toBe(false);
        expect(types.has("mcp-platform:data:PostgresRestoreAccess")).toBe(false);
        expect(JSON.parse(production.read("outputs.json")).drActive).toBe(false);
    });
});
