import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { eksStandardSupport, eksStandardSupportEnding } from "../../../policies/aws-eks-support";
import type { ResourceRecord } from "../../../tools/lib/records";
import { configProblems } from "../../support/config";
import { resourceViolations } from "../../support/policy";
import { projectDir, synth } from "../../support/synth";

/**
 * The in-place upgrade of docs/cluster.md ("Upgrading Kubernetes") on the production stack:
 * test/fixtures/upgrade/Pulumi.production.yaml is the stack one step back (1.34); the
 * committed stack file is the step done (1.35). The step changes versions in place and
 * replaces nothing; the support-date policies say when it is due.
 */
const before = synth("production", {
    stackFile: path.join(projectDir, "test/fixtures/upgrade/Pulumi.production.yaml"),
});
const after = synth("production");

type Obj = Record<string, any>;
const byUrn = (records: ResourceRecord[]) => new Map(records.map((r) => [r.urn, r]));
const clusterOf = (records: ResourceRecord[]) =>
    records.find((r) => r.type === "aws:eks/cluster:Cluster")!;
const addon = (records: ResourceRecord[], name: string) =>
    records.find((r) => r.type === "aws:eks/addon:Addon" && r.inputs.addonName === name)!.inputs
        .addonVersion;

describe("upgrading production from Kubernetes 1.34 to 1.35", () => {
    it("the 1.34 stack file is Pulumi.production.yaml but for the cluster's version and add-ons", () => {
        const withoutVersions = (file: string) => {
            const doc = parse(fs.readFileSync(path.join(projectDir, file), "utf8"));
            const cluster = doc.config["mcp-platform:cluster"];
            delete cluster.version;
            delete cluster.addons;
            return doc;
        };
        expect(withoutVersions("test/fixtures/upgrade/Pulumi.production.yaml")).toEqual(
            withoutVersions("Pulumi.production.yaml"),
        );
    });

    const old = before.resources();
    const current = after.resources();

    it("the 1.34 stack file is a valid configuration whose only objection is its support date", () => {
        // The suites judge on 2026-12-01 (MCP_POLICY_TODAY, vitest.config.mts): one day left.
        const results = before.policyReport().results;
        expect(results.map((r) => `${r.level} ${r.policy}`)).toEqual([
            `advisory ${eksStandardSupportEnding.name}`,
        ]);
        expect(before.status).toBe(0);
        expect(after.policyReport().results).toEqual([]);
        expect(clusterOf(old).inputs.version).toBe("1.34");
        expect(addon(old, "kube-proxy")).toBe("v1.34.6-eksbuild.13");
    });

    it("changes the control plane, the add-ons and the node groups in place, nothing else", () => {
        const oldByUrn = byUrn(old);
        const currentByUrn = byUrn(current);
        // Same resources: an upgrade replaces nothing and adds nothing.
        expect([...currentByUrn.keys()].sort()).toEqual([...oldByUrn.keys()].sort());
        const changed = [...currentByUrn.values()]
            .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(oldByUrn.get(r.urn)!.inputs))
            .map((r) => `${r.type} ${r.name}`)
            .sort();
        expect(changed).toEqual([
            "aws:eks/addon:Addon eks-addons-coredns",
            "aws:eks/addon:Addon eks-node-addons-kube-proxy",
            "aws:eks/cluster:Cluster eks-cluster",
            "aws:eks/nodeGroup:NodeGroup eks-nodes-system",
            "aws:eks/nodeGroup:NodeGroup eks-nodes-workload",
        ]);
        expect(clusterOf(current).inputs.version).toBe("1.35");
        expect(addon(current, "kube-proxy")).toBe("v1.35.3-eksbuild.13");
        expect(addon(current, "coredns")).toBe("v1.14.3-eksbuild.3");
        // The node groups follow the control plane's version (they roll after it).
        for (const group of current.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")) {
            expect((group.inputs as Obj).version, group.name).toBe("1.35");
        }
    });

    it("refuses a half-done step: 1.35 with the 1.34 kube-proxy", () => {
        expect(
            configProblems("production", (ns) => {
                ns["mcp-platform"].cluster.addons = { kubeProxy: "v1.34.6-eksbuild.13" };
            }),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:cluster.addons.kubeProxy: expected a kube-proxy add-on version for Kubernetes 1.35 (v1.35.N-eksbuild.N) (got "v1.34.6-eksbuild.13")',
        ]);
    });

    it("the support-date policies: warned in November, due on 2026-12-03, done after", async () => {
        const oldCluster = clusterOf(old);
        const newCluster = clusterOf(current);
        expect(
            await resourceViolations(eksStandardSupportEnding, oldCluster, {
                today: "2026-11-01",
            }),
        ).toEqual([
            "EKS cluster eks-cluster should be upgraded soon: Kubernetes 1.34 leaves standard support on 2026-12-02, in 31 days.",
        ]);
        expect(
            await resourceViolations(eksStandardSupport, oldCluster, { today: "2026-12-03" }),
        ).toEqual([
            "EKS cluster eks-cluster must run a Kubernetes minor in standard support: 1.34 left it on 2026-12-02 (1 day before 2026-12-03). Upgrade towards 1.35.",
        ]);
        for (const policy of [eksStandardSupport, eksStandardSupportEnding]) {
            expect(await resourceViolations(policy, newCluster, { today: "2026-12-03" })).toEqual(
                [],
            );
        }
    });
});
