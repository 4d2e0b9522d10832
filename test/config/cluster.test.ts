import { describe, expect, it } from "vitest";
import { type PlatformConfig } from "../../config";
import { defaultAddonVersions, defaultAmiAlias, defaultChartVersions } from "../../config/cluster";
import { configProblems, parseStack } from "../support/config";

/** The production stack's config with `edit` applied to the `mcp-platform` namespace. */
function production(edit: (settings: Record<string, any>) => void = () => {}): PlatformConfig {
    return parseStack("production", (ns) => edit(ns["mcp-platform"]));
}

function problems(edit: (settings: Record<string, any>) => void): string[] {
    return configProblems("production", (ns) => edit(ns["mcp-platform"]));
}

const file = "Pulumi.production.yaml";

describe("mcp-platform:cluster", () => {
    it("pins add-on and chart versions by default", () => {
        const cluster = production((s) => {
            delete s.cluster.addons;
            delete s.cluster.charts;
            delete s.cluster.prometheus;
        }).cluster;
        expect(cluster.addons).toEqual(defaultAddonVersions);
        expect(cluster.charts).toEqual(defaultChartVersions);
        expect(cluster.prometheus).toEqual({ retention: "15d", storageGiB: 100 });
    });

    it("defaults node-group labels and taints to none", () => {
        const workload = production((s) => {
            delete s.cluster.nodeGroups.workload.labels;
            delete s.cluster.nodeGroups.workload.taints;
        }).cluster.nodeGroups.workload;
        expect(workload.labels).toEqual({});
        expect(workload.taints).toEqual([]);
    });

    it("rejects an add-on version that is not an EKS build", () => {
        expect(problems((s) => (s.cluster.addons = { vpcCni: "latest" }))).toEqual([
            `${file}: mcp-platform:cluster.addons.vpcCni: expected an EKS add-on version such as "v1.20.4-eksbuild.2" (got "latest")`,
        ]);
    });

    it("rejects a kube-proxy built for another Kubernetes minor version", () => {
        expect(problems((s) => (s.cluster.addons = { kubeProxy: "v1.34.6-eksbuild.2" }))).toEqual([
            `${file}: mcp-platform:cluster.addons.kubeProxy: expected a kube-proxy add-on version for Kubernetes 1.35 (v1.35.N-eksbuild.N) (got "v1.34.6-eksbuild.2")`,
        ]);
    });

    it("rejects a chart version range", () => {
        expect(problems((s) => (s.cluster.charts = { kubePrometheusStack: "^88.0.0" }))).toEqual([
            `${file}: mcp-platform:cluster.charts.kubePrometheusStack: expected an exact chart version such as "1.2.3" (no ranges) (got "^88.0.0")`,
        ]);
    });

    it("rejects an unknown taint effect and names the key of a typo", () => {
        expect(
            problems(
                (s) =>
                    (s.cluster.nodeGroups.system.taints = [{ key: "dedicated", effect: "NoRun" }]),
            ),
        ).toEqual([
            `${file}: mcp-platform:cluster.nodeGroups.system.taints[0].effect: expected one of "NoSchedule", "NoExecute", "PreferNoSchedule" (got "NoRun")`,
        ]);
        expect(problems((s) => (s.cluster.charts = { metricServer: "3.13.1" }))).toEqual([
            `${file}: mcp-platform:cluster.charts.metricServer: unknown key; did you mean "metricsServer"? (got "3.13.1")`,
        ]);
    });

    it("rejects desiredSize outside min..max", () => {
        expect(problems((s) => (s.cluster.nodeGroups.workload.desiredSize = 40))).toEqual([
            `${file}: mcp-platform:cluster.nodeGroups.workload.desiredSize: expected desiredSize between minSize (2) and maxSize (6) (got 40)`,
        ]);
    });
});

describe("mcp-platform:cluster.karpenter", () => {
    it("defaults the AMI, root volume and pool settings", () => {
        const karpenter = production((s) => {
            delete s.cluster.karpenter.amiAlias;
            delete s.cluster.karpenter.rootVolumeGiB;
            s.cluster.karpenter.nodePools.general = {
                capacityTypes: ["spot"],
                limits: { cpu: 64, memoryGiB: 256 },
            };
        }).cluster.karpenter;
        expect(karpenter.amiAlias).toBe(defaultAmiAlias);
        expect(karpenter.rootVolumeGiB).toBe(100);
        expect(karpenter.nodePools.general).toEqual({
            capacityTypes: ["spot"],
            instanceCategories: ["c", "m", "r"],
            instanceCpu: [4, 8, 16],
            limits: { cpu: 64, memoryGiB: 256 },
            consolidationPolicy: "WhenEmptyOrUnderutilized",
            consolidateAfter: "5m",
            maxDisruption: "10%",
            expireAfter: "720h",
        });
    });

    it("keeps the data stores off spot capacity", () => {
        expect(
            problems(
                (s) =>
                    (s.cluster.karpenter.nodePools.dataStores.capacityTypes = [
                        "spot",
                        "on-demand",
                    ]),
            ),
        ).toEqual([
            `${file}: mcp-platform:cluster.karpenter.nodePools.dataStores.capacityTypes: expected capacityTypes: ["on-demand"]: a spot reclaim would stop a database (got ["spot","on-demand"])`,
        ]);
    });

    it("requires pool limits and refuses an unpinned AMI alias", () => {
        expect(
            problems((s) => {
                delete s.cluster.karpenter.nodePools.general.limits;
                s.cluster.karpenter.amiAlias = "al2023@latest";
            }),
        ).toEqual([
            `${file}: mcp-platform:cluster.karpenter.amiAlias: expected a pinned Amazon Linux 2023 alias such as "al2023@v20260903" (got "al2023@latest")`,
            `${file}: mcp-platform:cluster.karpenter.nodePools.general.limits: is required: expected a map of settings (got nothing)`,
        ]);
    });

    it("refuses a duration Karpenter cannot read", () => {
        expect(
            problems((s) => (s.cluster.karpenter.nodePools.general.consolidateAfter = "5 minutes")),
        ).toEqual([
            `${file}: mcp-platform:cluster.karpenter.nodePools.general.consolidateAfter: expected a duration such as "720h", "30m" or "1h30m" (got "5 minutes")`,
        ]);
    });
});

describe("mcp-platform:network", () => {
    it("rejects a VPC too small for the subnet layout", () => {
        expect(problems((s) => (s.network.vpcCidr = "10.10.0.0/24"))).toEqual([
            `${file}: mcp-platform:network.vpcCidr: expected a VPC prefix between /16 and /22 (got "10.10.0.0/24")`,
        ]);
    });

    it("reports a malformed CIDR once", () => {
        expect(problems((s) => (s.network.vpcCidr = "10.10.0.0/33"))).toHaveLength(1);
    });

    it("rejects an unknown NAT mode", () => {
        expect(problems((s) => (s.network.natGateways = "none"))).toEqual([
            `${file}: mcp-platform:network.natGateways: expected one of "perAz", "single" (got "none")`,
        ]);
    });
});

describe("mcp-platform:cluster first deploy and previews", () => {
    it("accepts the operator's /32 for the bootstrap deploy", () => {
        const cfg = production((s) => (s.cluster.bootstrap = { operatorCidr: "203.0.113.7/32" }));
        expect(cfg.cluster.bootstrap).toEqual({ operatorCidr: "203.0.113.7/32" });
    });

    it("refuses a bootstrap range wider than one address", () => {
        expect(problems((s) => (s.cluster.bootstrap = { operatorCidr: "203.0.113.0/24" }))).toEqual(
            [
                `${file}: mcp-platform:cluster.bootstrap.operatorCidr: expected one address as a /32 such as 203.0.113.7/32 (got "203.0.113.0/24")`,
            ],
        );
    });

    it("refuses wide public ranges and lists that together cover the internet", () => {
        expect(problems((s) => (s.cluster.endpointPublicAccessCidrs = ["10.0.0.0/8"]))).toEqual([
            `${file}: mcp-platform:cluster.endpointPublicAccessCidrs[0]: expected a restricted CIDR, /16 or narrower; wider ranges open the API to much of the internet (got "10.0.0.0/8")`,
        ]);
        const halves = problems(
            (s) => (s.cluster.endpointPublicAccessCidrs = ["0.0.0.0/1", "128.0.0.0/1"]),
        );
        expect(halves.join("\n")).toContain("together these cover every address");
    });

    it("requires a real checksum for the deploy runner", () => {
        const found = problems((s) => (s.cluster.deployRunner.sha256 = "latest"));
        expect(found).toEqual([
            `${file}: mcp-platform:cluster.deployRunner.sha256: expected the 64-hex-digit SHA-256 the release notes list for linux-x64 (got "latest")`,
        ]);
    });
});
