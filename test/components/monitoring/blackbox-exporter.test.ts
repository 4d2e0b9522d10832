import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
    BlackboxExporter,
    type BlackboxExporterArgs,
} from "../../../components/monitoring/blackbox-exporter";
import {
    configFileName,
    probeTargets,
    publicHostnames,
    renderBlackboxConfig,
} from "../../../components/monitoring/blackbox-config";
import { certificatesGroup } from "../../../components/monitoring/alert-catalog/datastores";
import { defaultBlackboxExporterImage, monitoringSchema } from "../../../config/monitoring";
import { type Manifest, kubernetesManifests } from "../../../tools/lib/writers/kubernetes";
import { recordResources } from "../../support/pulumi";
import { synth, type SynthResult } from "../../support/synth";
import { restrictedViolations } from "../../support/pod-security-standard";

type Obj = Record<string, any>;

const routes = [
    { hosts: ["api.example.com", "api-us-east-1.example.com"] },
    { hosts: ["semantic.example.com", "api.example.com"] },
];
const args: BlackboxExporterArgs = {
    image: defaultBlackboxExporterImage,
    hostnames: publicHostnames(routes, "mcp.example.com"),
    egressExceptCidrs: ["10.10.0.0/16"],
};

const install =
    "install it with: apt-get install -y --no-install-recommends prometheus-blackbox-exporter";

/** `prometheus-blackbox-exporter --config.check` (Debian's blackbox_exporter) on `text`. */
function configCheck(text: string): { status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blackbox-"));
    const file = path.join(dir, configFileName);
    fs.writeFileSync(file, text);
    try {
        const result = spawnSync(
            "prometheus-blackbox-exporter",
            ["--config.check", `--config.file=${file}`],
            { encoding: "utf8", timeout: 30_000 },
        );
        if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
            throw new Error(`prometheus-blackbox-exporter is not installed; ${install}`);
        }
        if (result.error) throw result.error;
        return { status: result.status, output: `${result.stdout}${result.stderr}` };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("BlackboxExporter", () => {
    let manifests: Manifest[];
    const one = (kind: string, name?: string) => {
        const found = manifests.filter(
            (m) => m.kind === kind && (name === undefined || m.metadata.name === name),
        );
        expect(found, `${kind}/${name ?? "*"}`).toHaveLength(1);
        return found[0] as Obj;
    };

    beforeAll(async () => {
        const recorded = await recordResources(() => new BlackboxExporter("blackbox", args));
        manifests = kubernetesManifests(recorded.records);
    });

    it("declares fixed names in monitoring, directly as Kubernetes objects", () => {
        expect(
            manifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`).sort(),
        ).toEqual([
            "ConfigMap/monitoring/blackbox-exporter-config",
            "Deployment/monitoring/blackbox-exporter",
            "NetworkPolicy/monitoring/blackbox-exporter-egress",
            "NetworkPolicy/monitoring/blackbox-exporter-ingress",
            "Probe/monitoring/public-endpoints",
            "Service/monitoring/blackbox-exporter",
            "ServiceAccount/monitoring/blackbox-exporter",
        ]);
        expect(one("ServiceAccount").automountServiceAccountToken).toBe(false);
    });

    it("runs one pinned, restricted replica with probes, limits and a read-only root", async () => {
        const deployment = one("Deployment");
        expect(deployment.spec.replicas).toBe(1);
        const pod = deployment.spec.template.spec;
        expect(await restrictedViolations(pod, "monitoring")).toEqual([]);
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.nodeSelector).toEqual({ "mcp-platform.io/node-group": "system" });
        const [container] = pod.containers;
        expect(container.image).toMatch(/^quay\.io\/prometheus\/blackbox-exporter:v\d+\.\d+\.\d+$/);
        expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(container.resources.requests).toEqual({ cpu: "25m", memory: "32Mi" });
        expect(container.resources.limits).toEqual({ cpu: "200m", memory: "128Mi" });
        for (const probe of [container.livenessProbe, container.readinessProbe]) {
            expect(probe.httpGet).toMatchObject({ path: "/-/healthy", port: "http" });
        }
        expect(container.ports).toEqual([{ name: "http", containerPort: 9115, protocol: "TCP" }]);
        expect(container.args).toContain("--config.file=/etc/blackbox_exporter/blackbox.yml");
        expect(container.volumeMounts).toEqual([
            { name: "config", mountPath: "/etc/blackbox_exporter", readOnly: true },
        ]);
        expect(one("Service").spec.ports).toEqual([
            { name: "http", port: 9115, targetPort: "http", protocol: "TCP" },
        ]);
        // A hardened pod spec that breaks restricted PSS is caught by the same check.
        expect(
            await restrictedViolations(
                { ...pod, securityContext: { ...pod.securityContext, runAsNonRoot: false } },
                "monitoring",
            ),
        ).not.toEqual([]);
    });

    it("admits Prometheus on 9115 only and lets the pod out on HTTPS and DNS, never when quarantined", () => {
        const ingress = one("NetworkPolicy", "blackbox-exporter-ingress").spec;
        const egress = one("NetworkPolicy", "blackbox-exporter-egress").spec;
        for (const spec of [ingress, egress]) {
            expect(spec.podSelector.matchLabels.app).toBe("blackbox-exporter");
            expect(spec.podSelector.matchExpressions).toEqual([
                { key: "quarantine", operator: "NotIn", values: ["true"] },
            ]);
        }
        expect(ingress.policyTypes).toEqual(["Ingress"]);
        expect(ingress.ingress).toEqual([
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "monitoring" },
                        },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                    },
                ],
                ports: [{ protocol: "TCP", port: 9115 }],
            },
        ]);
        expect(egress.policyTypes).toEqual(["Egress"]);
        expect(egress.egress).toEqual([
            {
                to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.10.0.0/16"] } }],
                ports: [{ protocol: "TCP", port: 443 }],
            },
            {
                to: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "kube-system" },
                        },
                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                    },
                ],
                ports: [
                    { protocol: "UDP", port: 53 },
                    { protocol: "TCP", port: 53 },
                ],
            },
        ]);
    });

    it("probes every ingress host and the edge hostname through the exporter's Service", () => {
        const probe = one("Probe", "public-endpoints");
        expect(probe.apiVersion).toBe("monitoring.coreos.com/v1");
        expect(probe.spec).toMatchObject({
            jobName: "blackbox",
            module: "http_2xx",
            prober: { url: "blackbox-exporter.monitoring.svc:9115", path: "/probe" },
        });
        expect(probe.spec.targets.staticConfig.static).toEqual([
            "https://api-us-east-1.example.com/health",
            "https://api.example.com/health",
            "https://mcp.example.com/health",
            "https://semantic.example.com/health",
        ]);
    });

    it("produces manifests the Kubernetes and prometheus-operator schemas accept", async () => {
        for (const manifest of manifests) {
            const module = await import(
                manifest.apiVersion === "monitoring.coreos.com/v1"
                    ? `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${manifest.kind}`
                    : `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`
            );
            const Model = module[manifest.kind];
            expect(() => new Model(manifest).validate(), manifest.kind).not.toThrow();
        }
    });

    it("mounts exactly the module the Probe asks for, with TLS verification on", () => {
        const config = parse(one("ConfigMap").data[configFileName]);
        expect(Object.keys(config.modules)).toEqual([one("Probe").spec.module]);
        expect(config.modules.http_2xx.http).toMatchObject({
            preferred_ip_protocol: "ip4",
            fail_if_not_ssl: true,
            tls_config: { insecure_skip_verify: false },
        });
        expect(one("Deployment").spec.template.metadata.annotations["checksum/config"]).toMatch(
            /^[0-9a-f]{64}$/,
        );
    });
});

describe("public hostnames and targets", () => {
    it("takes every ingress host once, adds the edge hostname when there is one", () => {
        expect(publicHostnames(routes)).toEqual([
            "api-us-east-1.example.com",
            "api.example.com",
            "semantic.example.com",
        ]);
        expect(publicHostnames(routes, "mcp.example.com")).toContain("mcp.example.com");
        expect(() => probeTargets([])).toThrow(/at least one public hostname/);
        expect(probeTargets(["b.example.com", "a.example.com"], "/healthz")).toEqual([
            "https://a.example.com/healthz",
            "https://b.example.com/healthz",
        ]);
    });

    it("yields the labels CertificateExpiringSoon reads: instance is the probed URL", () => {
        // prometheus-operator relabels a static Probe target into `instance`; the alert keeps
        // only `instance`, so its description names the URL.
        for (const rule of certificatesGroup.rules) {
            expect(rule.expr).toMatch(/min by \(instance\) \(probe_ssl_earliest_cert_expiry\)/);
        }
    });
});

describe("mcp-platform:monitoring.blackboxExporter", () => {
    const section = monitoringSchema.shape.blackboxExporter;

    it("defaults to the pinned upstream image and refuses an unpinned one", () => {
        expect(section.parse(undefined)).toEqual({
            image: "quay.io/prometheus/blackbox-exporter:v0.28.0",
        });
        expect(defaultBlackboxExporterImage).toBe("quay.io/prometheus/blackbox-exporter:v0.28.0");
        expect(
            section.safeParse({ image: "quay.io/prometheus/blackbox-exporter:latest" }).success,
        ).toBe(false);
        expect(section.safeParse({ image: "x:1", targets: [] }).success).toBe(false);
    });
});

describe("blackbox.yml through the real blackbox_exporter", () => {
    it("passes --config.check", () => {
        const result = configCheck(renderBlackboxConfig());
        expect(result.output).toContain("Config file is ok");
        expect(result.status).toBe(0);
    });

    it("fails --config.check on an unknown field (the check can fail)", () => {
        const broken = renderBlackboxConfig().replace("fail_if_not_ssl", "fail_if_not_tls");
        const result = configCheck(broken);
        expect(result.status).not.toBe(0);
        expect(result.output).toContain("fail_if_not_tls");
    });
});

describe("npm run synth -- production: the Probe", () => {
    let result: SynthResult;
    beforeAll(() => {
        result = synth("production");
    });

    it("writes the Probe of every public hostname and a blackbox.yml the exporter accepts", () => {
        expect(result.status).toBe(0);
        const probeFile = path.join(result.outDir, "k8s/monitoring/probe-public-endpoints.yaml");
        expect(fs.existsSync(probeFile)).toBe(true);
        const probe = parse(fs.readFileSync(probeFile, "utf8"));
        expect(probe.spec.targets.staticConfig.static).toEqual([
            "https://api-us-east-1.mcp-production.com/health",
            "https://api.mcp-production.com/health",
            "https://mcp.mcp-production.com/health",
            "https://semantic-us-east-1.mcp-production.com/health",
            "https://semantic.mcp-production.com/health",
        ]);
        const configMap = parse(
            fs.readFileSync(
                path.join(result.outDir, "k8s/monitoring/configmap-blackbox-exporter-config.yaml"),
                "utf8",
            ),
        );
        expect(configCheck(configMap.data[configFileName]).status).toBe(0);
    });
});
