import { describe, expect, it } from "vitest";
import { peakPods, type ServiceConfig } from "../../config/workloads";
import { cpuMillis, formatCpu, formatMemory, memoryBytes } from "../../contracts/quantity";
import { configProblems } from "../support/config";

/** Problems reported for the production stack file after `edit` changes its workloads. */
const problemsOf = (edit: (workloads: Record<string, any>) => void) =>
    configProblems("production", (ns) => edit(ns["mcp-platform"].workloads));

const at = (key: string) => `Pulumi.production.yaml: mcp-platform:workloads.${key}`;

describe("mcp-platform:workloads", () => {
    it("rejects requests above limits", () => {
        expect(
            problemsOf((w) => (w.services["mcp-rust-server"].resources.requests.cpu = "1500m")),
        ).toEqual([
            `${at("services.mcp-rust-server.resources.requests.cpu")}: expected at most the cpu limit (1000m) (got "1500m")`,
        ]);
    });

    it("rejects an unpinned image, a privileged port and a misspelt key", () => {
        expect(
            problemsOf((w) => {
                const api = w.services["mcp-typescript-api"];
                api.image = "ghcr.io/mcp-platform/mcp-typescript-server:latest";
                api.port = 80;
                api.writeablePaths = api.writablePaths;
            }),
        ).toEqual([
            `${at("services.mcp-typescript-api.image")}: expected an image pinned by tag or digest (never :latest or untagged) (got "ghcr.io/mcp-platform/mcp-typescript-server:latest")`,
            `${at("services.mcp-typescript-api.port")}: expected a number >= 1024 (got 80)`,
            `${at("services.mcp-typescript-api.writeablePaths")}: unknown key; did you mean "writablePaths"? (got ["/tmp","/app/logs"])`,
        ]);
    });

    it("wants exactly one of replicas and autoscaling, and a standby no larger than the minimum", () => {
        expect(
            problemsOf((w) => {
                w.services["mcp-rust-server"].replicas = 2;
                w.services["mcp-cache"].standbyReplicas = 3;
            }),
        ).toEqual([
            `${at("services.mcp-rust-server.replicas")}: expected exactly one of replicas or autoscaling (got 2)`,
            `${at("services.mcp-cache.standbyReplicas")}: expected at most the production minimum (2) (got 3)`,
        ]);
    });

    it("wants outbound HTTPS for a service with artifact access", () => {
        expect(
            problemsOf((w) => (w.services["mcp-semantic-control-plane"].httpsEgress = false)),
        ).toEqual([
            `${at("services.mcp-semantic-control-plane.httpsEgress")}: expected true: artifactAccess reaches S3 and STS (got false)`,
        ]);
    });

    it("rejects calls to unknown services and data access outside mcp-production", () => {
        expect(
            problemsOf((w) => {
                w.services["git-mcp"].calls = ["mcp-registri"];
                w.services["git-mcp"].dataAccess = ["postgres"];
            }),
        ).toEqual([
            `${at("services.git-mcp.dataAccess")}: expected [] outside mcp-production (got ["postgres"])`,
            `${at("services.git-mcp.calls[0]")}: expected another service of the catalog (got "mcp-registri")`,
        ]);
    });

    it("wants each namespace quota to hold its services at their maximum plus the surge", () => {
        expect(
            problemsOf((w) => {
                w.namespaces["mcp-system"].quota.limitsCpu = "50";
                w.namespaces["mcp-system"].limitRange.max.memory = "4Gi";
            }),
        ).toEqual([
            `${at("namespaces.mcp-system.limitRange.max.memory")}: expected at least 8Gi (the memory limit of mcp-semantic-control-plane) (got "4Gi")`,
            `${at("namespaces.mcp-system.quota.limitsCpu")}: expected at least 100 to run its services at their maximum size plus the rolling-update surge (got "50")`,
        ]);
    });

    it("requires an ACM certificate ARN for the ALB", () => {
        expect(problemsOf((w) => (w.ingress.certificateArn = "arn:aws:iam::1:role/x"))).toEqual([
            `${at("ingress.certificateArn")}: expected an ACM certificate ARN such as arn:aws:acm:us-east-1:123456789012:certificate/<uuid> (got "arn:aws:iam::1:role/x")`,
        ]);
    });

    it("accepts as shared hosts only hosts the services' ingresses serve", () => {
        expect(
            problemsOf((w) => {
                w.ingress.sharedHosts = ["api.mcp-production.com", "www.mcp-production.com"];
            }),
        ).toEqual([
            `${at("ingress.sharedHosts[1]")}: expected a host of one of the services' ingresses (got "www.mcp-production.com")`,
        ]);
    });

    it("counts a service's peak as its maximum plus the 25 % surge", () => {
        const base = { autoscaling: { minReplicas: 5, maxReplicas: 20, targetCpuUtilization: 60 } };
        expect(peakPods(base as unknown as ServiceConfig)).toBe(25);
        expect(peakPods({ replicas: 3 } as unknown as ServiceConfig)).toBe(4);
    });

    it("parses and prints quantities", () => {
        expect([cpuMillis("500m"), cpuMillis("2"), cpuMillis("1.5")]).toEqual([500, 2000, 1500]);
        expect([memoryBytes("1Gi"), memoryBytes("512M")]).toEqual([2 ** 30, 512e6]);
        expect([formatCpu(2500), formatCpu(4000), formatMemory(3 * 2 ** 30)]).toEqual([
            "2500m",
            "4",
            "3Gi",
        ]);
        expect(() => cpuMillis("lots")).toThrow(/not a CPU quantity/);
    });
});
