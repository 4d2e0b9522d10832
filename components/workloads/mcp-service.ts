import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { maxSurgePercent, mcpServicesScrapeJob, smokeTestLabel } from "../../contracts/names";
import { selectorLabels, standardLabels } from "../kit/labels";
import { allowSelector, tcp } from "../kit/network-policy";
import { type ContainerResources, podTemplate } from "../kit/pod-spec";
import { serviceMonitor } from "../kit/service-monitor";

type NetworkPolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** How many replicas run: either a fixed count or an HPA that owns the Deployment's size. */
export interface McpServiceScale {
    /** Fixed replica count; exclusive with `autoscaling`. */
    readonly replicas?: number;
    /** HPA on CPU; the Deployment then leaves `spec.replicas` unset. */
    readonly autoscaling?: {
        readonly minReplicas: number;
        readonly maxReplicas: number;
        /** Average CPU utilisation, % of requests. */
        readonly targetCpuUtilization: number;
    };
}

/** Pods this service talks to or hears from, beyond DNS and Prometheus (namespace policies). */
export interface McpServicePeer {
    readonly peer: NetworkPolicyPeer;
    readonly ports: readonly number[];
}

export interface McpServiceArgs {
    /** The Kubernetes name of every object (Deployment, Service, …), e.g. "mcp-typescript-api". */
    readonly serviceName: string;
    readonly namespace: pulumi.Input<string>;
    /** A pinned image (tag or digest). */
    readonly image: string;
    /** `app.kubernetes.io/component`. @default "mcp-server" */
    readonly component?: string;
    /** The `app` label when a manual selects on another value. @default serviceName */
    readonly appLabel?: string;
    /** @default serviceName */
    readonly containerName?: string;
    /** HTTP port (probes, Service port `http`). @default 8080 */
    readonly port?: number;
    /** Metrics port (Service port `metrics`, scraped at /metrics). @default 9090 */
    readonly metricsPort?: number;
    readonly resources: ContainerResources;
    readonly scale: McpServiceScale;
    /** @default {} */
    readonly env?: Record<string, string>;
    /** Variables from Secrets in the same namespace. @default {} */
    readonly secretEnv?: Record<string, { readonly secret: string; readonly key: string }>;
    /** Variables from ConfigMaps in the same namespace. @default {} */
    readonly configMapEnv?: Record<string, { readonly configMap: string; readonly key: string }>;
    /** Pod template annotations; a changed value rolls the pods. @default {} */
    readonly podAnnotations?: Record<string, pulumi.Input<string>>;
    /** Directories backed by emptyDir (the root filesystem is read-only). @default ["/tmp"] */
    readonly writablePaths?: readonly string[];
    /** Size limit of each emptyDir. @default "1Gi" */
    readonly scratchSizeLimit?: string;
    /** @default 60 */
    readonly terminationGracePeriodSeconds?: number;
    /** UID/GID the pod runs as. @default 10001 */
    readonly runAsUser?: number;
    /** Annotations of the ServiceAccount (e.g. `eks.amazonaws.com/role-arn`). @default {} */
    readonly serviceAccountAnnotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Extra ClusterIP Services over the same pods, for names the manuals use. @default [] */
    readonly serviceAliases?: readonly string[];
    /** Allowed in on the HTTP port. @default [] */
    readonly ingressFrom?: readonly NetworkPolicyPeer[];
    /** Allowed out (to other services, data stores, the internet). @default [] */
    readonly egressTo?: readonly McpServicePeer[];
    /** Image version label. @default the image tag */
    readonly version?: string;
}

/** `registry/name:tag` → `tag`; `…@sha256:abc` → `sha256-abc` (first 12 hex). */
export function imageVersion(image: string): string | undefined {
    const digest = /@sha256:([0-9a-f]{12})/.exec(image);
    if (digest) return `sha256-${digest[1]}`;
    const last = image.split("/").pop() ?? "";
    return last.includes(":") ? last.split(":").pop() : undefined;
}

/** Throws unless exactly one of a fixed size and an HPA is given, with sane bounds. */
export function checkScale(serviceName: string, scale: McpServiceScale): void {
    const { replicas, autoscaling } = scale;
    if ((replicas === undefined) === (autoscaling === undefined)) {
        throw new Error(`${serviceName}: set exactly one of scale.replicas or scale.autoscaling`);
    }
    if (autoscaling !== undefined && autoscaling.minReplicas > autoscaling.maxReplicas) {
        throw new Error(`${serviceName}: autoscaling.minReplicas exceeds maxReplicas`);
    }
}

/**
 * One MCP service, hardened by default: Deployment (restricted PSS, read-only root, probes,
 * graceful drain, zone spread), Service, HPA or fixed size, VPA in recommendation mode,
 * PodDisruptionBudget, NetworkPolicy, ServiceMonitor and its own ServiceAccount. Every object
 * carries the fixed name the manuals type: `<svc>`, `<svc>-hpa`, `<svc>-vpa`, `<svc>-pdb`.
 */
export class McpService extends pulumi.ComponentResource {
    public readonly serviceName: string;
    public readonly namespace: pulumi.Output<string>;
    /** The `app` label value the pods carry. */
    public readonly appLabel: string;
    /** The pods' selector labels. */
    public readonly selector: Record<string, string>;
    /** In-cluster DNS name of the Service. */
    public readonly host: pulumi.Output<string>;
    public readonly port: number;
    public readonly deployment: k8s.apps.v1.Deployment;
    public readonly service: k8s.core.v1.Service;

    constructor(name: string, args: McpServiceArgs, opts?: pulumi.ComponentResourceOptions) {
        checkScale(args.serviceName, args.scale);
        super("mcp-platform:workloads:McpService", name, {}, opts);

        const svc = args.serviceName;
        const { replicas, autoscaling } = args.scale;
        const port = args.port ?? 8080;
        const metricsPort = args.metricsPort ?? 9090;
        const labelSource = {
            name: svc,
            component: args.component ?? "mcp-server",
            app: args.appLabel,
            version: args.version ?? imageVersion(args.image),
        };
        const labels = standardLabels(labelSource);
        const selector = selectorLabels(labelSource);
        const meta = (objectName: string, extra: Record<string, string> = {}) => ({
            name: objectName,
            namespace: args.namespace,
            labels: { ...labels, ...extra },
        });

        const serviceAccount = new k8s.core.v1.ServiceAccount(
            `${name}-sa`,
            {
                metadata: { ...meta(svc), annotations: args.serviceAccountAnnotations },
                automountServiceAccountToken: false,
            },
            { parent: this },
        );

        this.deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: meta(svc),
                spec: {
                    // Left unset under an HPA, so a `pulumi up` never resets its scaling.
                    replicas,
                    selector: { matchLabels: selector },
                    revisionHistoryLimit: 10,
                    progressDeadlineSeconds: 600,
                    strategy: {
                        type: "RollingUpdate",
                        rollingUpdate: { maxUnavailable: 0, maxSurge: `${maxSurgePercent}%` },
                    },
                    template: podTemplate({
                        containerName: args.containerName ?? svc,
                        image: args.image,
                        port,
                        metricsPort,
                        resources: args.resources,
                        serviceAccountName: svc,
                        labels,
                        selector,
                        annotations: args.podAnnotations,
                        env: args.env,
                        secretEnv: args.secretEnv,
                        configMapEnv: args.configMapEnv,
                        writablePaths: args.writablePaths ?? ["/tmp"],
                        scratchSizeLimit: args.scratchSizeLimit ?? "1Gi",
                        terminationGracePeriodSeconds: args.terminationGracePeriodSeconds ?? 60,
                        runAsUser: args.runAsUser ?? 10001,
                    }),
                },
            },
            { parent: this, dependsOn: [serviceAccount] },
        );

        const servicePorts = [
            { name: "http", port, targetPort: "http", protocol: "TCP" },
            { name: "metrics", port: metricsPort, targetPort: "metrics", protocol: "TCP" },
        ];
        // `jobLabel` below reads this label: every MCP service is scraped as job="mcp-services"
        // (the ServiceDown alert selects `up{job="mcp-services"}`).
        const scrapeLabels = { [McpService.jobLabelKey]: mcpServicesScrapeJob };
        this.service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: meta(svc, scrapeLabels),
                spec: { type: "ClusterIP", selector, ports: servicePorts },
            },
            { parent: this },
        );
        for (const alias of args.serviceAliases ?? []) {
            new k8s.core.v1.Service(
                `${name}-alias-${alias}`,
                {
                    metadata: meta(alias),
                    spec: { type: "ClusterIP", selector, ports: servicePorts },
                },
                { parent: this },
            );
        }

        const target = { apiVersion: "apps/v1", kind: "Deployment", name: svc };
        if (autoscaling !== undefined) {
            new k8s.autoscaling.v2.HorizontalPodAutoscaler(
                `${name}-hpa`,
                {
                    metadata: meta(`${svc}-hpa`),
                    spec: {
                        scaleTargetRef: target,
                        minReplicas: autoscaling.minReplicas,
                        maxReplicas: autoscaling.maxReplicas,
                        metrics: [
                            {
                                type: "Resource",
                                resource: {
                                    name: "cpu",
                                    target: {
                                        type: "Utilization",
                                        averageUtilization: autoscaling.targetCpuUtilization,
                                    },
                                },
                            },
                        ],
                        behavior: {
                            scaleUp: {
                                stabilizationWindowSeconds: 0,
                                selectPolicy: "Max",
                                policies: [
                                    { type: "Percent", value: 100, periodSeconds: 60 },
                                    { type: "Pods", value: 4, periodSeconds: 60 },
                                ],
                            },
                            scaleDown: {
                                stabilizationWindowSeconds: 300,
                                selectPolicy: "Max",
                                policies: [{ type: "Percent", value: 25, periodSeconds: 60 }],
                            },
                        },
                    },
                },
                { parent: this, dependsOn: [this.deployment] },
            );
        }

        // Recommendation only (`Off`): the VPA never evicts or resizes pods, so it cannot fight
        // the HPA over CPU; operators read it with `kubectl describe vpa <svc>-vpa`.
        new k8s.apiextensions.CustomResource(
            `${name}-vpa`,
            {
                apiVersion: "autoscaling.k8s.io/v1",
                kind: "VerticalPodAutoscaler",
                metadata: meta(`${svc}-vpa`),
                spec: {
                    targetRef: target,
                    updatePolicy: { updateMode: "Off" },
                    resourcePolicy: {
                        containerPolicies: [
                            {
                                containerName: args.containerName ?? svc,
                                controlledResources: ["cpu", "memory"],
                                controlledValues: "RequestsAndLimits",
                            },
                        ],
                    },
                },
            },
            { parent: this, dependsOn: [this.deployment] },
        );

        // maxUnavailable 1 (not minAvailable) so a node drain can always proceed, even for a
        // one-replica standby; unhealthy pods never block an eviction.
        new k8s.policy.v1.PodDisruptionBudget(
            `${name}-pdb`,
            {
                metadata: meta(`${svc}-pdb`),
                spec: {
                    selector: { matchLabels: selector },
                    maxUnavailable: 1,
                    unhealthyPodEvictionPolicy: "AlwaysAllow",
                },
            },
            { parent: this },
        );

        const ingressFrom = args.ingressFrom ?? [];
        const egressTo = args.egressTo ?? [];
        // The smoke-test pods of `mcp release` (docs/operations.md#releases) reach the service's
        // pods on its port, and nothing else (DNS aside, allowed namespace-wide).
        const smokeTestPods = { [smokeTestLabel]: svc };
        new k8s.networking.v1.NetworkPolicy(
            `${name}-network-policy`,
            {
                metadata: meta(svc),
                spec: {
                    podSelector: allowSelector(selector),
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [
                        ...(ingressFrom.length > 0
                            ? [{ from: [...ingressFrom], ports: tcp(port) }]
                            : []),
                        {
                            from: [{ podSelector: { matchLabels: smokeTestPods } }],
                            ports: tcp(port),
                        },
                    ],
                    egress: egressTo.map((rule) => ({
                        to: [rule.peer],
                        ports: tcp(...rule.ports),
                    })),
                },
            },
            { parent: this },
        );

        new k8s.networking.v1.NetworkPolicy(
            `${name}-smoke-test-network-policy`,
            {
                metadata: meta(`${svc}-smoke-test`),
                spec: {
                    podSelector: allowSelector(smokeTestPods),
                    policyTypes: ["Ingress", "Egress"],
                    ingress: [],
                    egress: [
                        { to: [{ podSelector: { matchLabels: selector } }], ports: tcp(port) },
                    ],
                },
            },
            { parent: this },
        );

        serviceMonitor(
            `${name}-service-monitor`,
            {
                metadata: meta(svc),
                jobLabel: McpService.jobLabelKey,
                matchLabels: { ...selector, ...scrapeLabels },
                port: "metrics",
                scheme: "http",
            },
            { parent: this, dependsOn: [this.service] },
        );

        this.serviceName = svc;
        this.namespace = pulumi.output(args.namespace);
        this.appLabel = selector.app;
        this.selector = selector;
        this.port = port;
        this.host = pulumi.interpolate`${svc}.${args.namespace}.svc.cluster.local`;
        this.registerOutputs({
            namespace: this.namespace,
            host: this.host,
            deployment: this.deployment.metadata.name,
            service: this.service.metadata.name,
        });
    }

    /** Service label whose value the ServiceMonitor uses as the Prometheus `job`. */
    static readonly jobLabelKey = "mcp-platform.io/scrape-job";
}
