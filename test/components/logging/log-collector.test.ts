import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
    collectorName,
    collectorNamespace,
    LogCollector,
    type LogCollectorArgs,
} from "../../../components/logging/log-collector";
import { renderFluentBitConfig } from "../../../components/logging/fluent-bit-config";
import { type Manifest, kubernetesManifests } from "../../../tools/lib/writers/kubernetes";
import { type Recorded, recordResources } from "../../support/pulumi";

const args: LogCollectorArgs = {
    image: "cr.fluentbit.io/fluent/fluent-bit:5.1.1",
    region: "us-east-1",
    groupPrefix: "/mcp-platform/test",
    namespaces: ["mcp-production", "logging"],
    roleArn: "arn:aws:iam::123456789012:role/logs-writer",
};

/** kubernetes-models / prometheus-operator model modules by apiVersion and kind. */
function modelModule(manifest: Manifest): string {
    if (manifest.apiVersion === "monitoring.coreos.com/v1") {
        return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${manifest.kind}`;
    }
    return `kubernetes-models/${manifest.apiVersion}/${manifest.kind}`;
}

describe("LogCollector", () => {
    let recorded: Recorded;
    let manifests: Manifest[];
    const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);
    const daemonSet = () => byKind("DaemonSet")[0] as any;
    const pod = () => daemonSet().spec.template.spec;

    beforeAll(async () => {
        recorded = await recordResources(() => new LogCollector("logs", args));
        manifests = kubernetesManifests(recorded.records);
    });

    it("declares the collector directly (no Helm release) with fixed names in its own namespace", () => {
        expect(recorded.records.some((r) => r.type.includes("helm"))).toBe(false);
        expect(
            manifests
                .map((m) => `${m.kind}/${m.metadata.namespace ?? ""}/${m.metadata.name}`)
                .sort(),
        ).toEqual([
            "ClusterRole//logging-fluent-bit",
            "ClusterRoleBinding//logging-fluent-bit",
            "ConfigMap/logging/fluent-bit-config",
            "DaemonSet/logging/fluent-bit",
            "Namespace//logging",
            "NetworkPolicy/logging/default-deny",
            "NetworkPolicy/logging/fluent-bit-egress",
            "NetworkPolicy/logging/fluent-bit-metrics-ingress",
            "Service/logging/fluent-bit-metrics",
            "ServiceAccount/logging/fluent-bit",
            "ServiceMonitor/logging/fluent-bit",
        ]);
        expect(collectorNamespace).toBe("logging");
        expect(collectorName).toBe("fluent-bit");
    });

    it("produces manifests the Kubernetes and prometheus-operator schemas accept", async () => {
        for (const manifest of manifests) {
            const module = await import(modelModule(manifest));
            const Model = module[manifest.kind];
            expect(
                () => new Model(manifest).validate(),
                `${manifest.kind}/${manifest.metadata.name}`,
            ).not.toThrow();
        }
    });

    it("runs restricted in every respect except the two read-only host log mounts", () => {
        const spec = pod();
        expect(spec.securityContext).toMatchObject({
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            supplementalGroups: [0],
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(spec.hostNetwork ?? false).toBe(false);
        expect(spec.hostPID ?? false).toBe(false);
        expect(spec.hostIPC ?? false).toBe(false);
        expect(spec.automountServiceAccountToken).toBe(false);
        const [container] = spec.containers;
        expect(spec.containers).toHaveLength(1);
        expect(container.securityContext).toEqual({
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        });
        expect(container.ports.every((p: any) => p.hostPort === undefined)).toBe(true);
        const hostVolumes = spec.volumes.filter((v: any) => v.hostPath);
        expect(hostVolumes).toEqual([
            {
                name: "var-log-containers",
                hostPath: { path: "/var/log/containers", type: "Directory" },
            },
            { name: "var-log-pods", hostPath: { path: "/var/log/pods", type: "Directory" } },
        ]);
        for (const volume of hostVolumes) {
            const mounts = container.volumeMounts.filter((m: any) => m.name === volume.name);
            expect(mounts).toEqual([
                { name: volume.name, mountPath: volume.hostPath.path, readOnly: true },
            ]);
        }
        const writable = container.volumeMounts.filter((m: any) => m.readOnly !== true);
        expect(writable.map((m: any) => m.name)).toEqual(["state"]);
        expect(spec.volumes.find((v: any) => v.name === "state").emptyDir).toEqual({
            sizeLimit: "1Gi",
        });
    });

    it("runs the pinned image with the mounted configuration, probes and limits", () => {
        const [container] = pod().containers;
        expect(container.image).toBe(args.image);
        expect(container.args).toEqual(["-c", "/fluent-bit/etc/mcp/fluent-bit.yaml"]);
        expect(container.readinessProbe.httpGet).toEqual({
            path: "/api/v1/health",
            port: "http-metrics",
        });
        expect(container.livenessProbe.httpGet.port).toBe("http-metrics");
        expect(container.resources).toEqual({
            requests: { cpu: "100m", memory: "128Mi" },
            limits: { cpu: "500m", memory: "256Mi" },
        });
        expect(pod().tolerations).toEqual([{ operator: "Exists" }]);
        expect(pod().priorityClassName).toBe("system-node-critical");
    });

    it("mounts exactly the rendered configuration and rolls the pods when it changes", () => {
        const config = byKind("ConfigMap")[0] as any;
        const text = renderFluentBitConfig(args);
        expect(config.data["fluent-bit.yaml"]).toBe(text);
        expect(parse(text).pipeline.outputs[0].region).toBe("us-east-1");
        expect(daemonSet().spec.template.metadata.annotations["checksum/config"]).toBe(
            createHash("sha256").update(text).digest("hex"),
        );
        const configVolume = pod().volumes.find((v: any) => v.name === "config");
        expect(configVolume.configMap.name).toBe("fluent-bit-config");
    });

    it("uses its own service account with the IRSA role and a short-lived projected API token", () => {
        const account = byKind("ServiceAccount")[0] as any;
        expect(account.metadata.annotations).toEqual({
            "eks.amazonaws.com/role-arn": args.roleArn,
        });
        expect(account.automountServiceAccountToken).toBe(false);
        expect(pod().serviceAccountName).toBe("fluent-bit");
        const token = pod().volumes.find((v: any) => v.name === "kube-api-access").projected
            .sources;
        expect(token[0]).toEqual({
            serviceAccountToken: { path: "token", expirationSeconds: 3600 },
        });
        const role = byKind("ClusterRole")[0] as any;
        expect(role.rules).toEqual([{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]);
        const binding = byKind("ClusterRoleBinding")[0] as any;
        expect(binding.subjects).toEqual([
            { kind: "ServiceAccount", name: "fluent-bit", namespace: "logging" },
        ]);
    });

    it("labels the namespace for Pod Security admission: privileged enforce, restricted audit and warn", () => {
        const namespace = byKind("Namespace")[0] as any;
        expect(namespace.metadata.labels).toMatchObject({
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        });
    });

    it("denies all traffic except HTTPS and DNS out, and metrics scrapes from monitoring", () => {
        const policies = Object.fromEntries(
            byKind("NetworkPolicy").map((p: any) => [p.metadata.name, p.spec]),
        );
        expect(policies["default-deny"]).toEqual({
            podSelector: {},
            policyTypes: ["Ingress", "Egress"],
        });
        const egress = policies["fluent-bit-egress"].egress;
        expect(egress[0]).toEqual({
            to: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
            ports: [{ protocol: "TCP", port: 443 }],
        });
        expect(egress[1].ports).toEqual([
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
        ]);
        expect(egress[1].to[0].podSelector.matchLabels).toEqual({ "k8s-app": "kube-dns" });
        const ingress = policies["fluent-bit-metrics-ingress"].ingress;
        expect(ingress).toEqual([
            {
                from: [
                    {
                        namespaceSelector: {
                            matchLabels: { "kubernetes.io/metadata.name": "monitoring" },
                        },
                    },
                ],
                ports: [{ protocol: "TCP", port: 2020 }],
            },
        ]);
        for (const name of ["fluent-bit-egress", "fluent-bit-metrics-ingress"]) {
            expect(policies[name].podSelector.matchLabels).toEqual(
                daemonSet().spec.selector.matchLabels,
            );
        }
    });

    it("lets Prometheus scrape the metrics endpoint through the Service and ServiceMonitor", () => {
        const service = byKind("Service")[0] as any;
        expect(service.spec.selector).toEqual(daemonSet().spec.selector.matchLabels);
        expect(service.spec.ports).toEqual([
            { name: "http-metrics", port: 2020, targetPort: "http-metrics", protocol: "TCP" },
        ]);
        const monitor = byKind("ServiceMonitor")[0] as any;
        expect(monitor.spec.endpoints).toEqual([
            { port: "http-metrics", path: "/api/v2/metrics/prometheus", interval: "30s" },
        ]);
        expect(monitor.spec.selector.matchLabels).toEqual(service.spec.selector);
        expect(daemonSet().spec.selector.matchLabels).toEqual({
            app: "fluent-bit",
            "app.kubernetes.io/name": "fluent-bit",
            "app.kubernetes.io/instance": "fluent-bit",
        });
    });

    it("takes egress destinations, the monitoring namespace and selector labels from its args", async () => {
        const custom = await recordResources(
            () =>
                new LogCollector("custom", {
                    ...args,
                    egressCidrs: ["10.10.0.0/16"],
                    monitoringNamespace: "observability",
                    monitoringSelectorLabels: { release: "kube-prometheus-stack" },
                }),
        );
        const customManifests = kubernetesManifests(custom.records) as any[];
        const egress = customManifests.find((m) => m.metadata.name === "fluent-bit-egress");
        expect(egress.spec.egress[0].to).toEqual([{ ipBlock: { cidr: "10.10.0.0/16" } }]);
        const ingress = customManifests.find(
            (m) => m.metadata.name === "fluent-bit-metrics-ingress",
        );
        expect(ingress.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
            "kubernetes.io/metadata.name": "observability",
        });
        const monitor = customManifests.find((m) => m.kind === "ServiceMonitor");
        expect(monitor.metadata.labels.release).toBe("kube-prometheus-stack");
    });
});
