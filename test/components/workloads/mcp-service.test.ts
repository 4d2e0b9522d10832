import { beforeAll, describe, expect, it } from "vitest";
import { quarantineLabel } from "../../../components/kit/network-policy";
import { smokeTestLabel } from "../../../contracts/names";
import { volumeNameFor } from "../../../components/kit/pod-spec";
import {
    checkScale,
    imageVersion,
    McpService,
    type McpServiceArgs,
} from "../../../components/workloads/mcp-service";
import type { ResourceRecord } from "../../../tools/lib/records";
import { type Recorded, recordResources } from "../../support/pulumi";
import { restrictedViolations } from "../../support/pod-security-standard";

const T = {
    deployment: "kubernetes:apps/v1:Deployment",
    service: "kubernetes:core/v1:Service",
    account: "kubernetes:core/v1:ServiceAccount",
    hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    vpa: "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler",
    pdb: "kubernetes:policy/v1:PodDisruptionBudget",
    netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    monitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
};

const resources = {
    requests: { cpu: "500m", memory: "1Gi" },
    limits: { cpu: "2000m", memory: "4Gi" },
};

const autoscaled: McpServiceArgs = {
    serviceName: "mcp-typescript-api",
    namespace: "mcp-production",
    image: "ghcr.io/example/mcp-typescript-server:v1.0.1",
    component: "api",
    port: 3000,
    resources,
    scale: { autoscaling: { minReplicas: 3, maxReplicas: 20, targetCpuUtilization: 70 } },
    env: { NODE_OPTIONS: "--max-old-space-size=3072" },
    secretEnv: { JWT_SECRET: { secret: "mcp-secrets", key: "jwt-secret" } },
    writablePaths: ["/tmp", "/app/logs"],
    serviceAliases: ["mcp-typescript-api-service"],
    ingressFrom: [{ ipBlock: { cidr: "10.10.0.0/16" } }],
    egressTo: [{ peer: { podSelector: { matchLabels: { app: "redis" } } }, ports: [6379] }],
};

const fixed: McpServiceArgs = {
    serviceName: "filesystem-mcp",
    namespace: "mcp-platform",
    image: "mcp-platform/filesystem@sha256:" + "ab".repeat(32),
    resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
    scale: { replicas: 3 },
    appLabel: "fs",
    containerName: "filesystem",
};

function byObjectName(recorded: Recorded, type: string, name: string): ResourceRecord {
    const found = recorded
        .ofType(type)
        .filter((r) => (r.inputs.metadata as { name?: string })?.name === name);
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0];
}

const spec = (r: ResourceRecord) => r.inputs.spec as any;
const podOf = (r: ResourceRecord) => spec(r).template.spec;

describe("McpService", () => {
    let recorded: Recorded;
    beforeAll(async () => {
        recorded = await recordResources(() => {
            new McpService("api", autoscaled);
            new McpService("fs", fixed);
        });
    });

    it("gives every object the fixed name the manuals type, in the service's namespace", () => {
        for (const [type, name] of [
            [T.deployment, "mcp-typescript-api"],
            [T.service, "mcp-typescript-api"],
            [T.service, "mcp-typescript-api-service"],
            [T.account, "mcp-typescript-api"],
            [T.hpa, "mcp-typescript-api-hpa"],
            [T.vpa, "mcp-typescript-api-vpa"],
            [T.pdb, "mcp-typescript-api-pdb"],
            [T.netpol, "mcp-typescript-api"],
            [T.netpol, "mcp-typescript-api-smoke-test"],
            [T.monitor, "mcp-typescript-api"],
        ]) {
            const metadata = byObjectName(recorded, type, name).inputs.metadata as any;
            expect(metadata.namespace).toBe("mcp-production");
            expect(metadata.labels.app).toBe("mcp-typescript-api");
            expect(metadata.labels["app.kubernetes.io/part-of"]).toBe("mcp-platform");
        }
    });

    it("gives two instances unique URNs and children named after each instance", () => {
        const urns = recorded.records.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
        const components = recorded.ofType("mcp-platform:workloads:McpService");
        expect(components.map((c) => c.name).sort()).toEqual(["api", "fs"]);
        const api = components.find((c) => c.name === "api")!;
        const apiChildren = recorded.records.filter((r) => r.parent === api.urn);
        expect(apiChildren).toHaveLength(10);
        for (const child of apiChildren) expect(child.name).toMatch(/^api-/);
    });

    it("leaves spec.replicas unset when the HPA owns the Deployment", () => {
        const deployment = byObjectName(recorded, T.deployment, "mcp-typescript-api");
        expect("replicas" in spec(deployment)).toBe(false);
        const hpa = spec(byObjectName(recorded, T.hpa, "mcp-typescript-api-hpa"));
        expect(hpa.scaleTargetRef).toEqual({
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "mcp-typescript-api",
        });
        expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([3, 20]);
        expect(hpa.metrics).toEqual([
            {
                type: "Resource",
                resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
            },
        ]);
    });

    it("sets replicas and creates no HPA for a fixed-size service", () => {
        expect(spec(byObjectName(recorded, T.deployment, "filesystem-mcp")).replicas).toBe(3);
        const hpas = recorded.ofType(T.hpa).map((r) => (r.inputs.metadata as any).name);
        expect(hpas).toEqual(["mcp-typescript-api-hpa"]);
    });

    it("keeps the VPA in recommendation mode so it never fights the HPA", () => {
        for (const name of ["mcp-typescript-api-vpa", "filesystem-mcp-vpa"]) {
            const vpa = byObjectName(recorded, T.vpa, name).inputs as any;
            expect(vpa.apiVersion).toBe("autoscaling.k8s.io/v1");
            expect(vpa.spec.updatePolicy).toEqual({ updateMode: "Off" });
            expect(vpa.spec.targetRef.name).toBe(name.replace(/-vpa$/, ""));
        }
    });

    it("rolls out with maxUnavailable 0 and maxSurge 25 %", () => {
        expect(spec(byObjectName(recorded, T.deployment, "mcp-typescript-api")).strategy).toEqual({
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" },
        });
    });

    it("runs restricted: non-root, no escalation, no capabilities, RuntimeDefault, read-only root", async () => {
        for (const name of ["mcp-typescript-api", "filesystem-mcp"]) {
            const pod = podOf(byObjectName(recorded, T.deployment, name));
            expect(await restrictedViolations(pod)).toEqual([]);
            expect(pod.automountServiceAccountToken).toBe(false);
            expect(pod.securityContext).toMatchObject({
                runAsNonRoot: true,
                runAsUser: 10001,
                seccompProfile: { type: "RuntimeDefault" },
            });
            expect(pod.containers[0].securityContext).toMatchObject({
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
            });
        }
        const account = byObjectName(recorded, T.account, "mcp-typescript-api").inputs;
        expect(account.automountServiceAccountToken).toBe(false);
    });

    it("backs every writable path with an emptyDir and defaults to /tmp", () => {
        const api = podOf(byObjectName(recorded, T.deployment, "mcp-typescript-api"));
        expect(api.containers[0].volumeMounts).toEqual([
            { name: "scratch-tmp", mountPath: "/tmp" },
            { name: "scratch-app-logs", mountPath: "/app/logs" },
        ]);
        expect(api.volumes).toEqual([
            { name: "scratch-tmp", emptyDir: { sizeLimit: "1Gi" } },
            { name: "scratch-app-logs", emptyDir: { sizeLimit: "1Gi" } },
        ]);
        const fs = podOf(byObjectName(recorded, T.deployment, "filesystem-mcp"));
        expect(fs.containers[0].volumeMounts).toEqual([{ name: "scratch-tmp", mountPath: "/tmp" }]);
        expect(volumeNameFor("/var/lib/My Data/")).toBe("scratch-var-lib-my-data");
    });

    it("probes /health/live and /health/ready, starts with a startup probe, drains on stop", () => {
        const container = podOf(byObjectName(recorded, T.deployment, "mcp-typescript-api"))
            .containers[0];
        expect(container.livenessProbe.httpGet).toMatchObject({
            path: "/health/live",
            port: "http",
        });
        expect(container.readinessProbe.httpGet).toMatchObject({
            path: "/health/ready",
            port: "http",
        });
        expect(container.startupProbe.httpGet.path).toBe("/health/live");
        expect(container.startupProbe.failureThreshold * container.startupProbe.periodSeconds).toBe(
            150,
        );
        expect(container.lifecycle.preStop).toEqual({ sleep: { seconds: 10 } });
        const pod = podOf(byObjectName(recorded, T.deployment, "mcp-typescript-api"));
        expect(pod.terminationGracePeriodSeconds).toBe(60);
    });

    it("sets requests and limits, the ports and the environment from its args", () => {
        const container = podOf(byObjectName(recorded, T.deployment, "mcp-typescript-api"))
            .containers[0];
        expect(container.resources).toEqual(resources);
        expect(container.ports).toEqual([
            { name: "http", containerPort: 3000, protocol: "TCP" },
            { name: "metrics", containerPort: 9090, protocol: "TCP" },
        ]);
        const env = Object.fromEntries(
            container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
        );
        expect(env.NODE_OPTIONS).toBe("--max-old-space-size=3072");
        expect(env.PORT).toBe("3000");
        expect(env.JWT_SECRET).toEqual({
            secretKeyRef: { name: "mcp-secrets", key: "jwt-secret" },
        });
        const fs = podOf(byObjectName(recorded, T.deployment, "filesystem-mcp")).containers[0];
        expect(fs.name).toBe("filesystem");
        expect(fs.ports[0].containerPort).toBe(8080);
    });

    it("spreads pods across zones and nodes", () => {
        const pod = podOf(byObjectName(recorded, T.deployment, "mcp-typescript-api"));
        expect(pod.topologySpreadConstraints[0]).toMatchObject({
            topologyKey: "topology.kubernetes.io/zone",
            maxSkew: 1,
            labelSelector: { matchLabels: { app: "mcp-typescript-api" } },
        });
        const term =
            pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0];
        expect(term.podAffinityTerm.topologyKey).toBe("kubernetes.io/hostname");
    });

    it("selects on the stable labels, with the app override, and never on the version", () => {
        const deployment = byObjectName(recorded, T.deployment, "filesystem-mcp");
        expect(spec(deployment).selector.matchLabels).toEqual({
            app: "fs",
            "app.kubernetes.io/name": "filesystem-mcp",
            "app.kubernetes.io/instance": "filesystem-mcp",
        });
        expect(spec(deployment).template.metadata.labels["app.kubernetes.io/version"]).toBe(
            "sha256-abababababab",
        );
        expect(imageVersion("registry:5000/team/app:1.2.3")).toBe("1.2.3");
    });

    it("keeps a PDB that always lets a node drain proceed", () => {
        const pdb = spec(byObjectName(recorded, T.pdb, "filesystem-mcp-pdb"));
        expect(pdb).toEqual({
            selector: { matchLabels: expect.objectContaining({ app: "fs" }) },
            maxUnavailable: 1,
            unhealthyPodEvictionPolicy: "AlwaysAllow",
        });
    });

    it("allows only the declared flows, and never for a quarantined pod", () => {
        const policy = spec(byObjectName(recorded, T.netpol, "mcp-typescript-api"));
        expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
        expect(policy.podSelector.matchExpressions).toContainEqual({
            key: quarantineLabel,
            operator: "NotIn",
            values: ["true"],
        });
        // The ALB, and the smoke-test pods of `mcp release` for this service.
        const smokeTestPods = {
            podSelector: { matchLabels: { [smokeTestLabel]: "mcp-typescript-api" } },
        };
        expect(policy.ingress).toEqual([
            {
                from: [{ ipBlock: { cidr: "10.10.0.0/16" } }],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
            { from: [smokeTestPods], ports: [{ protocol: "TCP", port: 3000 }] },
        ]);
        expect(policy.egress).toEqual([
            {
                to: [{ podSelector: { matchLabels: { app: "redis" } } }],
                ports: [{ protocol: "TCP", port: 6379 }],
            },
        ]);
        const fs = spec(byObjectName(recorded, T.netpol, "filesystem-mcp"));
        expect(fs.egress).toEqual([]);
        expect(fs.ingress).toEqual([
            {
                from: [{ podSelector: { matchLabels: { [smokeTestLabel]: "filesystem-mcp" } } }],
                ports: [{ protocol: "TCP", port: 8080 }],
            },
        ]);
    });

    it("lets the smoke-test pods of mcp release out to the service's port, nothing else", () => {
        const policy = spec(byObjectName(recorded, T.netpol, "mcp-typescript-api-smoke-test"));
        expect(policy).toEqual({
            podSelector: {
                matchLabels: { [smokeTestLabel]: "mcp-typescript-api" },
                matchExpressions: [{ key: quarantineLabel, operator: "NotIn", values: ["true"] }],
            },
            policyTypes: ["Ingress", "Egress"],
            ingress: [],
            egress: [
                {
                    to: [
                        {
                            podSelector: {
                                matchLabels: spec(
                                    byObjectName(recorded, T.deployment, "mcp-typescript-api"),
                                ).selector.matchLabels,
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 3000 }],
                },
            ],
        });
    });

    it("is scraped on metrics:9090/metrics as job mcp-services, once per service", () => {
        const monitor = spec(byObjectName(recorded, T.monitor, "mcp-typescript-api"));
        expect(monitor.endpoints).toEqual([
            { port: "metrics", path: "/metrics", interval: "30s", scheme: "http" },
        ]);
        const service = byObjectName(recorded, T.service, "mcp-typescript-api").inputs
            .metadata as any;
        expect(service.labels[monitor.jobLabel]).toBe("mcp-services");
        // The alias Service has the same pods but not the scrape label: no double scrape.
        const alias = byObjectName(recorded, T.service, "mcp-typescript-api-service").inputs as any;
        expect(alias.spec.selector).toEqual(
            spec(byObjectName(recorded, T.service, "mcp-typescript-api")).selector,
        );
        const matches = (labels: Record<string, string>) =>
            Object.entries(monitor.selector.matchLabels).every(([k, v]) => labels[k] === v);
        expect(matches(service.labels)).toBe(true);
        expect(matches(alias.metadata.labels)).toBe(false);
    });

    it("refuses a service with both or neither of replicas and autoscaling", () => {
        const hpa = { minReplicas: 1, maxReplicas: 2, targetCpuUtilization: 50 };
        expect(() => checkScale("x", {})).toThrow(/exactly one of scale.replicas/);
        expect(() => checkScale("x", { replicas: 2, autoscaling: hpa })).toThrow(/exactly one/);
        expect(() => checkScale("x", { autoscaling: { ...hpa, minReplicas: 3 } })).toThrow(
            /minReplicas exceeds maxReplicas/,
        );
        expect(() => new McpService("bad", { ...fixed, scale: {} })).toThrow(/exactly one/);
        expect(() => checkScale("x", { replicas: 2 })).not.toThrow();
    });
});
