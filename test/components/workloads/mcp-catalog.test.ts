import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { upstreamImage } from "../../../contracts/image-cache";
import { type PlatformConfig } from "../../../config";
import { appNamespaces } from "../../../contracts/names";
import { effectiveScale, serviceNetwork } from "../../../components/workloads/mcp-catalog";
import { synth, type SynthResult } from "../../support/synth";
import { readManifests } from "../../support/k8s-schema";
import { podSpecOf, restrictedViolations } from "../../support/pod-security-standard";
import { parseStack } from "../../support/config";

type Obj = Record<string, any>;

/** docs/workloads.md's names table: Deployment → namespace, pod `app` label, container name. */
const designDeployments: Record<string, { namespace: string; app: string; container: string }> = {
    "mcp-typescript-api": {
        namespace: "mcp-production",
        app: "mcp-typescript-api",
        container: "mcp-typescript-api",
    },
    "mcp-learning-system": {
        namespace: "mcp-production",
        app: "mcp-learning-system",
        container: "mcp-learning-system",
    },
    "mcp-rust-server": {
        namespace: "mcp-production",
        app: "mcp-rust-server",
        container: "mcp-rust-server",
    },
    "mcp-registry": { namespace: "mcp-production", app: "mcp-registry", container: "mcp-registry" },
    "mcp-router": { namespace: "mcp-production", app: "mcp-router", container: "mcp-router" },
    "mcp-cache": { namespace: "mcp-production", app: "mcp-cache", container: "mcp-cache" },
    "mcp-semantic-control-plane": {
        namespace: "mcp-system",
        app: "mcp-semantic",
        container: "semantic-control-plane",
    },
    "filesystem-mcp": {
        namespace: "mcp-platform",
        app: "filesystem-mcp",
        container: "filesystem-mcp",
    },
    "git-mcp": { namespace: "mcp-platform", app: "git-mcp", container: "git-mcp" },
};

const stackConfig = (stack: string, edit?: (ns: Obj) => void): PlatformConfig =>
    parseStack(stack, edit);

class Output {
    readonly manifests: Obj[];
    constructor(readonly result: SynthResult) {
        this.manifests = readManifests(path.join(result.outDir, "k8s")).map((m) => m.manifest);
    }
    all(kind: string, namespace?: string): Obj[] {
        return this.manifests.filter(
            (m) =>
                m.kind === kind && (namespace === undefined || m.metadata.namespace === namespace),
        );
    }
    one(kind: string, name: string, namespace?: string): Obj {
        const found = this.all(kind, namespace).filter((m) => m.metadata.name === name);
        expect(found, `${kind} ${namespace}/${name}`).toHaveLength(1);
        return found[0];
    }
}

const container = (deployment: Obj) => deployment.spec.template.spec.containers[0];

let production: Output;
let dr: Output;
beforeAll(() => {
    production = new Output(synth("production"));
    dr = new Output(synth("dr"));
});

describe("the catalog in out/production/k8s", () => {
    it("synthesises both stacks", () => {
        expect(production.result.status).toBe(0);
        expect(dr.result.status).toBe(0);
    });

    it("has every Deployment of the names table with its namespace, pod label and container", () => {
        for (const [name, expected] of Object.entries(designDeployments)) {
            const deployment = production.one("Deployment", name, expected.namespace);
            expect(deployment.metadata.labels.app).toBe(expected.app);
            expect(deployment.spec.selector.matchLabels.app).toBe(expected.app);
            expect(deployment.spec.template.metadata.labels.app).toBe(expected.app);
            expect(container(deployment).name).toBe(expected.container);
            expect(deployment.metadata.labels["app.kubernetes.io/name"]).toBe(name);
            production.one("Service", name, expected.namespace);
            production.one("VerticalPodAutoscaler", `${name}-vpa`, expected.namespace);
            production.one("PodDisruptionBudget", `${name}-pdb`, expected.namespace);
            production.one("ServiceMonitor", name, expected.namespace);
        }
        const hpas = production.all("HorizontalPodAutoscaler").map((h) => h.metadata.name);
        expect(hpas).toContain("mcp-typescript-api-hpa");
        expect(hpas).toContain("mcp-semantic-control-plane-hpa");
    });

    it("has mcp-secrets (jwt-secret), mcp-semantic-config and mcp-semantic-ingress", () => {
        const secret = production.one("Secret", "mcp-secrets", "mcp-production");
        expect(Object.keys(secret.stringData)).toEqual(["jwt-secret"]);
        expect(secret.stringData["jwt-secret"]).toBe("[secret]");
        const config = production.one("ConfigMap", "mcp-semantic-config", "mcp-system");
        expect(config.data).toMatchObject({
            "validation.cache.size": "50000",
            "validation.cache.ttl": "600000",
            "artifact.retention.days": "90",
        });
        const ingress = production.one("Ingress", "mcp-semantic-ingress", "mcp-system");
        expect(ingress.spec.ingressClassName).toBe("alb");
        expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({
            name: "mcp-semantic-control-plane",
            port: { name: "http" },
        });
        const account = production.one(
            "ServiceAccount",
            "mcp-semantic-control-plane",
            "mcp-system",
        );
        expect(account.metadata.annotations["eks.amazonaws.com/role-arn"]).toMatch(/^arn:aws:iam:/);
        expect(account.automountServiceAccountToken).toBe(false);
        const api = production.one("Ingress", "mcp-typescript-api-ingress", "mcp-production");
        expect(api.spec.rules.map((r: Obj) => r.host)).toContain("api.mcp-production.com");
    });

    it("holds the manuals' figures", () => {
        const api = production.one("Deployment", "mcp-typescript-api", "mcp-production");
        expect(container(api).resources).toEqual({
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { cpu: "2000m", memory: "4Gi" },
        });
        expect(
            production.one("HorizontalPodAutoscaler", "mcp-typescript-api-hpa", "mcp-production")
                .spec.maxReplicas,
        ).toBe(20);

        const semantic = production.one("Deployment", "mcp-semantic-control-plane", "mcp-system");
        expect(container(semantic).resources).toEqual({
            requests: { cpu: "1000m", memory: "2Gi" },
            limits: { cpu: "4000m", memory: "8Gi" },
        });
        const hpa = production.one(
            "HorizontalPodAutoscaler",
            "mcp-semantic-control-plane-hpa",
            "mcp-system",
        ).spec;
        expect([hpa.minReplicas, hpa.maxReplicas]).toEqual([5, 20]);
        expect(hpa.metrics[0].resource).toEqual({
            name: "cpu",
            target: { type: "Utilization", averageUtilization: 60 },
        });

        const fs = production.one("Deployment", "filesystem-mcp", "mcp-platform");
        // The runbooks' 3 replicas are the HPA's floor (the policy pack wants an HPA on every
        // multi-replica service); the HPA owns the size, so spec.replicas is unset.
        const fsHpa = production.one(
            "HorizontalPodAutoscaler",
            "filesystem-mcp-hpa",
            "mcp-platform",
        );
        expect(fsHpa.spec.minReplicas).toBe(3);
        expect("replicas" in fs.spec).toBe(false);
        expect(container(fs).resources).toEqual({
            requests: { cpu: "1", memory: "1Gi" },
            limits: { cpu: "2", memory: "2Gi" },
        });
        const env = Object.fromEntries(container(fs).env.map((e: Obj) => [e.name, e.value]));
        expect(env).toMatchObject({
            NODE_OPTIONS: "--max-old-space-size=2048",
            UV_THREADPOOL_SIZE: "16",
        });

        for (const bun of ["mcp-registry", "mcp-router", "mcp-cache"]) {
            const vars = Object.fromEntries(
                container(production.one("Deployment", bun, "mcp-production")).env.map((e: Obj) => [
                    e.name,
                    e.value,
                ]),
            );
            expect(vars).toMatchObject({
                BUN_MAX_MEMORY: "256MB",
                BUN_GC_INTERVAL: "30000",
                BUN_ENABLE_SIMD: "1",
                BUN_THREAD_POOL_SIZE: "8",
                BUN_MAX_CONNECTIONS: "1000",
                BUN_CONNECT_TIMEOUT: "5000",
                BUN_REQUEST_TIMEOUT: "30000",
            });
        }
    });

    it("gives the services that use Redis the primary's URL and the Sentinels, the others nothing", () => {
        const envOf = (name: string) =>
            Object.fromEntries(
                container(production.one("Deployment", name, "mcp-production")).env.map(
                    (e: Obj) => [e.name, e.value ?? e.valueFrom],
                ),
            );
        for (const name of ["mcp-typescript-api", "mcp-learning-system", "mcp-cache"]) {
            expect(envOf(name), name).toMatchObject({
                // A URL-only client: the Service redis, which follows the primary.
                REDIS_URL: { secretKeyRef: { name: "redis-credentials", key: "url" } },
                REDIS_HOST: "redis.mcp-production.svc.cluster.local",
                REDIS_PORT: "6379",
                REDIS_SENTINEL_HOST: "redis-sentinel.mcp-production.svc.cluster.local",
                REDIS_SENTINEL_PORT: "26379",
                REDIS_SENTINEL_MASTER: "mcp-cache",
                REDIS_USERNAME: { secretKeyRef: { name: "redis-credentials", key: "username" } },
                REDIS_PASSWORD: { secretKeyRef: { name: "redis-credentials", key: "password" } },
            });
        }
        expect(Object.keys(envOf("mcp-rust-server")).filter((k) => k.startsWith("REDIS_"))).toEqual(
            [],
        );
    });

    it("pins every image by tag or digest, never latest", () => {
        for (const deployment of production.all("Deployment")) {
            for (const c of deployment.spec.template.spec.containers) {
                expect(c.image, c.name).toMatch(/(:(?!latest$)[\w.-]+|@sha256:[0-9a-f]{64})$/);
            }
        }
    });

    it("leaves spec.replicas unset on every Deployment an HPA owns", () => {
        for (const output of [production, dr]) {
            const hpas = output.all("HorizontalPodAutoscaler");
            expect(hpas.length).toBeGreaterThanOrEqual(7);
            for (const hpa of hpas) {
                expect(hpa.spec.scaleTargetRef.kind).toBe("Deployment");
                const target = output.one(
                    "Deployment",
                    hpa.spec.scaleTargetRef.name,
                    hpa.metadata.namespace,
                );
                expect("replicas" in target.spec, target.metadata.name).toBe(false);
            }
        }
    });
});

describe("pod security and networking in the application namespaces", () => {
    it("labels each namespace restricted for enforce, audit and warn", () => {
        for (const name of appNamespaces) {
            const ns = production.one("Namespace", name);
            for (const mode of ["enforce", "audit", "warn"]) {
                expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`]).toBe("restricted");
            }
        }
    });

    it("admits every pod template in a restricted namespace (restricted Pod Security Standard)", async () => {
        for (const output of [production, dr]) {
            const restricted = output
                .all("Namespace")
                .filter(
                    (ns) =>
                        ns.metadata.labels?.["pod-security.kubernetes.io/enforce"] === "restricted",
                )
                .map((ns) => ns.metadata.name);
            expect(restricted).toEqual(expect.arrayContaining([...appNamespaces]));
            let checked = 0;
            for (const manifest of output.manifests) {
                const pod = podSpecOf(manifest);
                if (!pod || !restricted.includes(manifest.metadata.namespace)) continue;
                checked++;
                expect(
                    await restrictedViolations(pod, manifest.metadata.namespace),
                    `${manifest.kind} ${manifest.metadata.name}`,
                ).toEqual([]);
            }
            expect(checked).toBeGreaterThanOrEqual(9);
        }
    });

    it("the Pod Security check fails a pod that breaks the standard", async () => {
        const pod = structuredClone(
            production.one("Deployment", "mcp-typescript-api", "mcp-production").spec.template.spec,
        );
        pod.hostNetwork = true;
        pod.securityContext = {};
        pod.volumes.push({ name: "host", hostPath: { path: "/" } });
        pod.volumes.push({ name: "share", nfs: { server: "nfs.internal", path: "/" } });
        pod.containers[0].securityContext = { capabilities: { add: ["SYS_ADMIN"] } };
        const violated = new Set((await restrictedViolations(pod)).map((v) => v.split(":")[0]));
        expect([...violated].sort()).toEqual(
            expect.arrayContaining([
                "k8s-container-capabilities-restricted",
                "k8s-container-no-privilege-escalation",
                "k8s-pod-no-host-namespaces",
                "k8s-pod-no-host-path",
                "k8s-pod-restricted-volume-types",
                "k8s-pod-run-as-non-root",
                "k8s-pod-seccomp-profile",
            ]),
        );
    });

    it("has a default-deny ingress and egress policy in every application namespace", () => {
        for (const output of [production, dr]) {
            for (const namespace of appNamespaces) {
                const denies = output
                    .all("NetworkPolicy", namespace)
                    .filter(
                        (p) =>
                            Object.keys(p.spec.podSelector ?? {}).length === 0 &&
                            [...p.spec.policyTypes].sort().join() === "Egress,Ingress" &&
                            (p.spec.ingress ?? []).length === 0 &&
                            (p.spec.egress ?? []).length === 0,
                    );
                expect(
                    denies.map((p) => p.metadata.name),
                    namespace,
                ).toEqual(["default-deny"]);
            }
        }
    });

    it("cuts quarantined pods off: the quarantine policy, and no allow policy selects them", () => {
        for (const namespace of appNamespaces) {
            const policies = production.all("NetworkPolicy", namespace);
            const quarantine = policies.find((p) => p.metadata.name === "deny-all")!;
            expect(quarantine.spec).toEqual({
                podSelector: { matchLabels: { quarantine: "true" } },
                policyTypes: ["Ingress", "Egress"],
            });
            const allows = policies.filter(
                (p) => (p.spec.ingress ?? []).length + (p.spec.egress ?? []).length > 0,
            );
            expect(allows.length).toBeGreaterThanOrEqual(2);
            for (const policy of allows) {
                expect(
                    policy.spec.podSelector.matchExpressions ?? [],
                    `${namespace}/${policy.metadata.name} must exclude quarantine=true pods (allowSelector() in components/kit/network-policy.ts)`,
                ).toContainEqual({ key: "quarantine", operator: "NotIn", values: ["true"] });
            }
        }
    });

    it("lets the ALB reach public services and callers reach their callees, nothing else", () => {
        const policy = production.one("NetworkPolicy", "mcp-typescript-api", "mcp-production").spec;
        expect(policy.ingress).toEqual([
            {
                from: [{ ipBlock: { cidr: "10.10.0.0/16" } }],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
            {
                from: [
                    {
                        podSelector: {
                            matchLabels: { "mcp-platform.io/smoke-test": "mcp-typescript-api" },
                        },
                    },
                ],
                ports: [{ protocol: "TCP", port: 3000 }],
            },
        ]);
        const egress = policy.egress.map((r: Obj) => [
            r.to[0].podSelector?.matchLabels?.app,
            r.ports[0].port,
        ]);
        expect(egress).toEqual([
            ["mcp-learning-system", 8080],
            ["mcp-rust-server", 8080],
            ["postgres-primary", 5432],
            ["postgres-replica", 5432],
            ["redis", 6379],
        ]);
        const registry = production.one("NetworkPolicy", "mcp-registry", "mcp-production").spec;
        expect(registry.ingress[0].from).toEqual([
            {
                namespaceSelector: {
                    matchLabels: { "kubernetes.io/metadata.name": "mcp-production" },
                },
                podSelector: {
                    matchLabels: {
                        app: "mcp-router",
                        "app.kubernetes.io/name": "mcp-router",
                        "app.kubernetes.io/instance": "mcp-router",
                    },
                },
            },
        ]);
        const git = production.one("NetworkPolicy", "git-mcp", "mcp-platform").spec;
        expect(git.egress).toEqual([
            { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ protocol: "TCP", port: 443 }] },
        ]);
    });
});

describe("DR: the dr stack runs the same catalog", () => {
    it("declares the same services, images and resources as production", () => {
        const shape = (output: Output) =>
            output
                .all("Deployment")
                .filter((d) => d.metadata.name in designDeployments)
                .map((d) => ({
                    name: d.metadata.name,
                    namespace: d.metadata.namespace,
                    // Each stack's own registry caches it: the same upstream image.
                    image: upstreamImage(container(d).image),
                    resources: container(d).resources,
                }))
                .sort((a, b) => a.name.localeCompare(b.name));
        expect(shape(dr)).toEqual(shape(production));
        expect(shape(dr)).toHaveLength(9);
    });

    it("runs every service at its minimum size while in standby", () => {
        // redis-proxy belongs to the data layer, which keeps its size on a standby (the redis
        // StatefulSet keeps its three pods): it is no catalog service.
        const services = dr
            .all("HorizontalPodAutoscaler")
            .filter((hpa) => hpa.metadata.name !== "redis-proxy-hpa");
        expect(services.length).toBeGreaterThanOrEqual(7);
        for (const hpa of services) {
            const twin = production.one(
                "HorizontalPodAutoscaler",
                hpa.metadata.name,
                hpa.metadata.namespace,
            );
            expect(hpa.spec.minReplicas, hpa.metadata.name).toBe(1);
            expect(hpa.spec.maxReplicas).toBe(twin.spec.maxReplicas);
        }
        const minimum = (output: Output, name: string) =>
            output.one("HorizontalPodAutoscaler", `${name}-hpa`, "mcp-platform").spec.minReplicas;
        for (const name of ["filesystem-mcp", "git-mcp"]) {
            expect([minimum(dr, name), minimum(production, name)]).toEqual([1, 3]);
        }
        const hpaOwned = new Set(
            dr.all("HorizontalPodAutoscaler").map((h) => h.spec.scaleTargetRef.name),
        );
        for (const deployment of dr.all("Deployment")) {
            if (!(deployment.metadata.name in designDeployments)) continue;
            if (!hpaOwned.has(deployment.metadata.name)) expect(deployment.spec.replicas).toBe(1);
        }
    });

    it("scales to production size once activated (drActive: true)", () => {
        const standby = stackConfig("dr");
        const active = stackConfig("dr", (ns) => (ns["mcp-platform"].drActive = true));
        expect([standby.dr.servicesAtMinimum, active.dr.servicesAtMinimum]).toEqual([true, false]);
        const prod = stackConfig("production");
        for (const [name, service] of Object.entries(active.workloads.services)) {
            expect(effectiveScale(service, active.dr.servicesAtMinimum), name).toEqual(
                effectiveScale(prod.workloads.services[name], prod.dr.servicesAtMinimum),
            );
            const minimum = effectiveScale(service, standby.dr.servicesAtMinimum);
            expect(minimum.autoscaling?.minReplicas ?? minimum.replicas).toBe(
                service.standbyReplicas,
            );
        }
    });

    it("keeps the two stack files' catalogs identical apart from the regional hosts", () => {
        const strip = (cfg: PlatformConfig) =>
            Object.fromEntries(
                Object.entries(cfg.workloads.services).map(([name, s]) => [
                    name,
                    {
                        ...s,
                        ingress: s.ingress && {
                            name: s.ingress.name,
                            hosts: s.ingress.hosts.filter((h) => !/-us-/.test(h)),
                        },
                    },
                ]),
            );
        expect(strip(stackConfig("dr"))).toEqual(strip(stackConfig("production")));
        expect(stackConfig("dr").workloads.namespaces).toEqual(
            stackConfig("production").workloads.namespaces,
        );
    });

    it("derives each service's flows from the catalog", () => {
        const services = stackConfig("production").workloads.services;
        const cache = serviceNetwork("mcp-cache", services, "10.0.0.0/16");
        expect(cache.ingressFrom).toHaveLength(1);
        // Redis clients ask a Sentinel (26379) for the primary, then connect to it (6379).
        expect(cache.egressTo.map((e) => e.ports)).toEqual([[6379, 26379]]);
    });
});
