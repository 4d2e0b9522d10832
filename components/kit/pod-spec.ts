import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { serviceHealthPaths } from "../../contracts/names";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "./pod-security";

type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Probe = k8s.types.input.core.v1.Probe;

/**
 * The pod template of an MCP service, as a pure function of plain values so it can be tested
 * on its own. It is hardened to the restricted Pod Security Standard (components/lib/
 * pod-security.ts), writes only to emptyDir volumes, answers the probes the runbooks use
 * (`/health/live`, `/health/ready`), drains before it stops and spreads across zones and nodes.
 */

/** Probe paths (liveness and readiness). */
export const healthPaths = serviceHealthPaths;

/** Seconds the pod keeps serving after it is marked terminating, so the ALB and kube-proxy
 * stop sending it traffic before the process receives SIGTERM. */
export const preStopSleepSeconds = 10;

export interface ContainerResources {
    readonly requests: { readonly cpu: string; readonly memory: string };
    readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface PodSpecSource {
    readonly containerName: string;
    readonly image: string;
    /** The HTTP port (named `http`); probes use it. */
    readonly port: number;
    /** The metrics port (named `metrics`). */
    readonly metricsPort: number;
    readonly resources: ContainerResources;
    readonly serviceAccountName: string;
    /** Pod template labels (all of them). */
    readonly labels: Record<string, string>;
    /** The stable selector labels, for anti-affinity and topology spread. */
    readonly selector: Record<string, string>;
    /** Pod template annotations (e.g. a secret version that restarts pods when it changes). */
    readonly annotations?: Record<string, pulumi.Input<string>>;
    /** Plain variables. */
    readonly env?: Record<string, string>;
    /** Variables from Secrets: name → { secret, key }. */
    readonly secretEnv?: Record<string, { readonly secret: string; readonly key: string }>;
    /** Variables from ConfigMaps: name → { configMap, key }. */
    readonly configMapEnv?: Record<string, { readonly configMap: string; readonly key: string }>;
    /** Directories backed by emptyDir volumes. */
    readonly writablePaths: readonly string[];
    /** Size limit of each emptyDir. */
    readonly scratchSizeLimit: string;
    readonly terminationGracePeriodSeconds: number;
    /** Numeric UID/GID the pod runs as. */
    readonly runAsUser: number;
}

/** `/app/logs` → `app-logs`: a volume name for a writable directory. */
export function volumeNameFor(path: string): string {
    const name = path
        .replace(/^\/+/, "")
        .replace(/[^a-z0-9]+/gi, "-")
        .toLowerCase()
        .replace(/^-+|-+$/g, "");
    return `scratch-${name || "root"}`.slice(0, 63).replace(/-+$/, "");
}

function httpProbe(path: string, periodSeconds: number, failureThreshold: number): Probe {
    return {
        httpGet: { path, port: "http", scheme: "HTTP" },
        periodSeconds,
        timeoutSeconds: 3,
        failureThreshold,
        successThreshold: 1,
    };
}

function environment(source: PodSpecSource): EnvVar[] {
    const plain: EnvVar[] = Object.entries({
        PORT: String(source.port),
        METRICS_PORT: String(source.metricsPort),
        ...source.env,
    }).map(([name, value]) => ({ name, value }));
    const fromSecrets: EnvVar[] = Object.entries(source.secretEnv ?? {}).map(([name, ref]) => ({
        name,
        valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } },
    }));
    const fromConfigMaps: EnvVar[] = Object.entries(source.configMapEnv ?? {}).map(
        ([name, ref]) => ({
            name,
            valueFrom: { configMapKeyRef: { name: ref.configMap, key: ref.key } },
        }),
    );
    const downward: EnvVar[] = [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ];
    const all = [...plain, ...fromSecrets, ...fromConfigMaps, ...downward];
    const names = all.map((e) => e.name as string);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) {
        throw new Error(`environment variable ${duplicate} is set twice`);
    }
    return all.sort((a, b) => (a.name as string).localeCompare(b.name as string));
}

/** The hardened pod template of one MCP service. */
export function podTemplate(source: PodSpecSource): PodTemplateSpec {
    const volumes = source.writablePaths.map((path) => ({
        name: volumeNameFor(path),
        emptyDir: { sizeLimit: source.scratchSizeLimit },
    }));
    return {
        metadata: { labels: source.labels, annotations: source.annotations },
        spec: {
            serviceAccountName: source.serviceAccountName,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(source.runAsUser),
            terminationGracePeriodSeconds: source.terminationGracePeriodSeconds,
            containers: [
                {
                    name: source.containerName,
                    image: source.image,
                    imagePullPolicy: "IfNotPresent",
                    ports: [
                        { name: "http", containerPort: source.port, protocol: "TCP" },
                        { name: "metrics", containerPort: source.metricsPort, protocol: "TCP" },
                    ],
                    env: environment(source),
                    resources: {
                        requests: { ...source.resources.requests },
                        limits: { ...source.resources.limits },
                    },
                    securityContext: restrictedContainerSecurityContext(),
                    // Up to 150 s to start; liveness only counts once the startup probe passed.
                    startupProbe: httpProbe(healthPaths.live, 5, 30),
                    livenessProbe: httpProbe(healthPaths.live, 10, 3),
                    readinessProbe: httpProbe(healthPaths.ready, 5, 3),
                    lifecycle: { preStop: { sleep: { seconds: preStopSleepSeconds } } },
                    volumeMounts: source.writablePaths.map((path) => ({
                        name: volumeNameFor(path),
                        mountPath: path,
                    })),
                    terminationMessagePolicy: "FallbackToLogsOnError",
                },
            ],
            volumes,
            affinity: {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        {
                            weight: 100,
                            podAffinityTerm: {
                                topologyKey: "kubernetes.io/hostname",
                                labelSelector: { matchLabels: source.selector },
                            },
                        },
                    ],
                },
            },
            topologySpreadConstraints: [
                {
                    topologyKey: "topology.kubernetes.io/zone",
                    maxSkew: 1,
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: { matchLabels: source.selector },
                    matchLabelKeys: ["pod-template-hash"],
                },
            ],
        },
    };
}

/** Where an add-on's pods run: the system node group's label and its taints' tolerations. */
export interface Placement {
    /** Node labels the add-on pods select (the system node group). */
    readonly nodeSelector: Record<string, string>;
    /** Tolerations for the system node group's taints. */
    readonly tolerations: Record<string, string>[];
}
