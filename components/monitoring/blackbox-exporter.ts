import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    blackboxPort,
    configDir,
    configFileName,
    defaultHealthPath,
    httpsModule,
    probeTargets,
    renderBlackboxConfig,
} from "./blackbox-config";
import { selectorLabels, standardLabels } from "../kit/labels";
import { allowSelector, clusterDns, prometheusPods, tcp } from "../kit/network-policy";
import type { Placement } from "../cluster";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";
import { nodeGroupLabel } from "../cluster";
import { blackboxExporterName, blackboxProbeName, probeJobName } from "../../contracts/monitoring";

type ResourceRequirements = k8s.types.input.core.v1.ResourceRequirements;

export interface BlackboxExporterArgs {
    /** The exporter image, pinned by tag or digest (config/monitoring.ts has the default). */
    readonly image: string;
    /** Public hostnames to probe over HTTPS (`publicHostnames()`: ingress hosts + edge). */
    readonly hostnames: readonly string[];
    /** Path probed on every hostname. @default "/health" */
    readonly healthPath?: string;
    /** kube-prometheus-stack's namespace; the exporter and its Probe live there. @default "monitoring" */
    readonly namespace?: string;
    /** How often Prometheus runs the probes. @default "60s" */
    readonly interval?: string;
    /**
     * Destinations of the probes' HTTPS egress. @default ["0.0.0.0/0"] (the public endpoints
     * resolve to Cloudflare and ALB addresses, which are not known in advance)
     */
    readonly egressCidrs?: readonly string[];
    /**
     * Addresses excluded from that egress (e.g. the VPC CIDR). NetworkPolicies are additive:
     * the namespace's `allow-kube-api` still admits TCP 443 to the VPC. @default []
     */
    readonly egressExceptCidrs?: readonly string[];
    /** @default requests 25m / 32Mi, limits 200m / 128Mi */
    readonly resources?: ResourceRequirements;
    /**
     * Where the pod runs. @default the system node group (`mcp-platform.io/node-group: system`,
     * tolerating `CriticalAddonsOnly`), like the other monitoring add-ons
     */
    readonly placement?: Placement;
}

/** The UID/GID of `nobody`: the image's binary needs no user of its own. */
const runAsUser = 65534;

/**
 * prometheus/blackbox_exporter in `monitoring`, declared directly as Kubernetes objects (not a
 * Helm release), with a `Probe` of the platform's public HTTPS endpoints: the source of
 * `probe_ssl_earliest_cert_expiry` that CertificateExpiringSoon reads (docs/monitoring.md).
 *
 * One replica on purpose: the pack requires an HPA and a PDB for multi-replica services, but a
 * prober serves no user traffic. A missed scrape during a reschedule only delays the alert,
 * whose `for` is 1h; two replicas would also not make the probes redundant (the Probe
 * addresses one Service, so each scrape reaches one pod either way).
 */
export class BlackboxExporter extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly deploymentName: pulumi.Output<string>;
    public readonly probeName: pulumi.Output<string>;
    /** The URLs the Probe lists (its `instance` labels). */
    public readonly targets: string[];

    constructor(name: string, args: BlackboxExporterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:monitoring:BlackboxExporter", name, {}, opts);

        const namespace = args.namespace ?? "monitoring";
        const interval = args.interval ?? "60s";
        const egressCidrs = args.egressCidrs ?? ["0.0.0.0/0"];
        const egressExceptCidrs = args.egressExceptCidrs ?? [];
        const resources = args.resources ?? {
            requests: { cpu: "25m", memory: "32Mi" },
            limits: { cpu: "200m", memory: "128Mi" },
        };
        const placement: Placement = args.placement ?? {
            nodeSelector: { [nodeGroupLabel]: "system" },
            tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        };
        const targets = probeTargets(args.hostnames, args.healthPath ?? defaultHealthPath);

        const version = args.image.split("@")[0].split(":").pop();
        const labelSource = { name: blackboxExporterName, component: "monitoring", version };
        const labels = standardLabels(labelSource);
        const selector = selectorLabels(labelSource);
        const child = { parent: this };

        new k8s.core.v1.ServiceAccount(
            `${name}-service-account`,
            {
                metadata: { name: blackboxExporterName, namespace, labels },
                automountServiceAccountToken: false,
            },
            child,
        );

        const configText = renderBlackboxConfig();
        const config = new k8s.core.v1.ConfigMap(
            `${name}-config`,
            {
                metadata: { name: `${blackboxExporterName}-config`, namespace, labels },
                data: { [configFileName]: configText },
            },
            child,
        );

        const httpProbe = {
            httpGet: { path: "/-/healthy", port: "http", scheme: "HTTP" },
            periodSeconds: 10,
            timeoutSeconds: 3,
            failureThreshold: 3,
        };
        const deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: { name: blackboxExporterName, namespace, labels },
                spec: {
                    // See the class comment: one prober, no HPA/PDB.
                    replicas: 1,
                    selector: { matchLabels: selector },
                    template: {
                        metadata: {
                            labels,
                            // A config change rolls the pod (the exporter reads it at start).
                            annotations: {
                                "checksum/config": createHash("sha256")
                                    .update(configText)
                                    .digest("hex"),
                            },
                        },
                        spec: {
                            serviceAccountName: blackboxExporterName,
                            automountServiceAccountToken: false,
                            securityContext: restrictedPodSecurityContext(runAsUser),
                            ...placement,
                            containers: [
                                {
                                    name: blackboxExporterName,
                                    image: args.image,
                                    args: [
                                        `--config.file=${configDir}/${configFileName}`,
                                        `--web.listen-address=:${blackboxPort}`,
                                    ],
                                    ports: [
                                        {
                                            name: "http",
                                            containerPort: blackboxPort,
                                            protocol: "TCP",
                                        },
                                    ],
                                    securityContext: restrictedContainerSecurityContext(),
                                    resources,
                                    livenessProbe: httpProbe,
                                    readinessProbe: httpProbe,
                                    volumeMounts: [
                                        { name: "config", mountPath: configDir, readOnly: true },
                                    ],
                                },
                            ],
                            volumes: [
                                { name: "config", configMap: { name: config.metadata.name } },
                            ],
                        },
                    },
                },
            },
            { parent: this, dependsOn: [config] },
        );

        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: blackboxExporterName, namespace, labels },
                spec: {
                    type: "ClusterIP",
                    selector,
                    ports: [
                        { name: "http", port: blackboxPort, targetPort: "http", protocol: "TCP" },
                    ],
                },
            },
            child,
        );

        // The namespace denies everything by default (components/cluster/addon-network-policies.ts);
        // these admit Prometheus's probe scrapes and the probes themselves. Quarantine holds:
        // `allowSelector` never selects a pod labelled quarantine=true.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-ingress`,
            {
                metadata: { name: `${blackboxExporterName}-ingress`, namespace, labels },
                spec: {
                    podSelector: allowSelector(selector),
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [prometheusPods], ports: tcp(blackboxPort) }],
                },
            },
            child,
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-egress`,
            {
                metadata: { name: `${blackboxExporterName}-egress`, namespace, labels },
                spec: {
                    podSelector: allowSelector(selector),
                    policyTypes: ["Egress"],
                    egress: [
                        {
                            to: egressCidrs.map((cidr) => ({
                                ipBlock: {
                                    cidr,
                                    ...(egressExceptCidrs.length > 0
                                        ? { except: [...egressExceptCidrs] }
                                        : {}),
                                },
                            })),
                            ports: tcp(443),
                        },
                        { to: [clusterDns.peer], ports: clusterDns.ports },
                    ],
                },
            },
            child,
        );

        const probe = new k8s.apiextensions.CustomResource(
            `${name}-probe`,
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "Probe",
                metadata: { name: blackboxProbeName, namespace, labels },
                spec: {
                    // `job` of every probe series; `instance` is the probed URL.
                    jobName: probeJobName,
                    interval,
                    scrapeTimeout: "15s",
                    module: httpsModule,
                    prober: {
                        url: `${blackboxExporterName}.${namespace}.svc:${blackboxPort}`,
                        path: "/probe",
                        scheme: "http",
                    },
                    targets: { staticConfig: { static: targets } },
                },
            },
            { parent: this, dependsOn: [deployment] },
        );

        this.namespace = pulumi.output(namespace);
        this.deploymentName = deployment.metadata.name;
        this.probeName = probe.metadata.name;
        this.targets = targets;
        this.registerOutputs({
            namespace: this.namespace,
            deploymentName: this.deploymentName,
            probeName: this.probeName,
            targets: this.targets,
        });
    }
}
