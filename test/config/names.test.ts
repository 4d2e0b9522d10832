import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
    appNamespaces,
    backupCronJobNames,
    dataNamespace,
    ebsVolumeType,
    maxSurgePercent,
    mcpServicesScrapeJob,
    storageClassName,
} from "../../contracts/names";
import { synth, type SynthResult } from "../support/synth";
import { readManifests } from "../support/k8s-schema";

type Obj = Record<string, any>;

// The shared names are what the deployed objects carry: each is checked where another room
// relies on it (CronJobs the alerts watch, the StorageClass the PVCs name, the scrape job the
// alerts select, the surge the capacity checks assume).
describe("shared names in the synth output", () => {
    let result: SynthResult;
    let manifests: Obj[];
    beforeAll(() => {
        result = synth("production");
        expect(result.status, result.stderr).toBe(0);
        manifests = readManifests(path.join(result.outDir, "k8s")).map((m) => m.manifest);
    });
    const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);

    it("declares every application namespace", () => {
        const names = ofKind("Namespace").map((n) => n.metadata.name);
        expect(names).toEqual(expect.arrayContaining([...appNamespaces]));
    });

    it("runs the backup CronJobs under their names in the data namespace", () => {
        const cronJobs = ofKind("CronJob").map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
        expect(cronJobs.sort()).toEqual(
            Object.values(backupCronJobNames)
                .map((name) => `${dataNamespace}/${name}`)
                .sort(),
        );
        const rules = result.read("prometheus/rules.yaml");
        for (const name of Object.values(backupCronJobNames)) {
            expect(rules).toContain(`cronjob="${name}"`);
        }
    });

    it("names one StorageClass, of the EBS type, in every volume claim", () => {
        const [storageClass] = ofKind("StorageClass");
        expect(storageClass.metadata.name).toBe(storageClassName);
        expect(storageClass.parameters.type).toBe(ebsVolumeType);
        const claims = ofKind("StatefulSet").flatMap((s) => s.spec.volumeClaimTemplates ?? []);
        expect(claims.length).toBeGreaterThan(0);
        for (const claim of claims) expect(claim.spec.storageClassName).toBe(storageClassName);
    });

    it("surges every MCP Deployment by the shared percentage", () => {
        const deployments = ofKind("Deployment").filter((d) =>
            appNamespaces.includes(d.metadata.namespace),
        );
        expect(deployments.length).toBeGreaterThan(0);
        for (const d of deployments) {
            expect(d.spec.strategy.rollingUpdate.maxSurge, d.metadata.name).toBe(
                `${maxSurgePercent}%`,
            );
        }
    });

    it("scrapes the MCP services as the job the alerts select", () => {
        const services = ofKind("Service").filter(
            (s) => s.metadata.labels?.["mcp-platform.io/scrape-job"] !== undefined,
        );
        expect(services.length).toBeGreaterThan(0);
        for (const s of services) {
            expect(s.metadata.labels["mcp-platform.io/scrape-job"]).toBe(mcpServicesScrapeJob);
        }
        expect(result.read("prometheus/rules.yaml")).toContain(`up{job="${mcpServicesScrapeJob}"}`);
    });
});
