import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, installCrds, startControlPlane } from "../support/apiserver";
import { upstreamCrds } from "../support/crds";
import { synth } from "../support/synth";
import { readManifests } from "../support/k8s-schema";
import { certificateAuthority, issueCertificate } from "../../components/data/x509";

/**
 * The synth's Kubernetes manifests against a real kube-apiserver (built by `npm run engines`):
 * every object of out/<stack>/k8s is server-side applied with dryRun=All and strict field
 * validation, so the apiserver's own validation, defaulting, CRD schemas and admission judge
 * it. PodSecurity only warns about a workload (it enforces on Pods), so each workload's Pod
 * template is also dry-run created as a Pod in its namespace: enforcement, ServiceAccount,
 * LimitRanger, ResourceQuota and Priority admission then decide as they would for the Pods
 * the controllers create.
 */

/** Kinds that admission of other objects reads: created for real before the dry runs. */
const prerequisites = [
    "Namespace",
    "ServiceAccount",
    "LimitRange",
    "ResourceQuota",
    "PriorityClass",
];

type Obj = Record<string, any>;

/** The Pod a workload's controller would create, or undefined for other kinds. */
function podOf(manifest: Obj): Obj | undefined {
    const template =
        manifest.kind === "CronJob"
            ? manifest.spec?.jobTemplate?.spec?.template
            : ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(
                    manifest.kind,
                )
              ? manifest.spec?.template
              : undefined;
    if (!template) return undefined;
    const name = manifest.metadata.name;
    // The StatefulSet controller adds a volume for each claim template (claim <claim>-<set>-<n>).
    const claimVolumes = (
        manifest.kind === "StatefulSet" ? (manifest.spec.volumeClaimTemplates ?? []) : []
    ).map((claim: Obj) => ({
        name: claim.metadata.name,
        persistentVolumeClaim: { claimName: `${claim.metadata.name}-${name}-0` },
    }));
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
            ...template.metadata,
            name: `${name}-template`,
            namespace: manifest.metadata.namespace,
        },
        spec: { ...template.spec, volumes: [...(template.spec.volumes ?? []), ...claimVolumes] },
    };
}

/**
 * The rendered output redacts secret values (`[secret]`); the apiserver checks the PEM of a
 * `kubernetes.io/tls` Secret, so those get a key pair issued here for the test.
 */
function withTestKeyPairs(entry: { file: string; manifest: Obj }) {
    const m = entry.manifest;
    if (m.kind !== "Secret" || m.type !== "kubernetes.io/tls") return entry;
    const seed = "server-dry-run-test-seed";
    const ca = certificateAuthority(seed, "dry-run test CA");
    const issued = issueCertificate(seed, "dry-run test CA", {
        commonName: m.metadata.name,
        names: [m.metadata.name],
    });
    const stringData = { ...m.stringData, "tls.crt": issued.cert, "tls.key": issued.key };
    if ("ca.crt" in stringData) stringData["ca.crt"] = ca.cert;
    return { ...entry, manifest: { ...m, stringData } };
}

let plane: ControlPlane;
beforeAll(async () => {
    plane = await startControlPlane();
    await installCrds(plane.client, upstreamCrds());
}, 180_000);
afterAll(async () => {
    await plane?.stop();
});

describe.each(["production", "dr"])("the %s synth on a real apiserver", (stack) => {
    let manifests: { file: string; manifest: Obj }[];
    beforeAll(async () => {
        const run = synth(stack);
        if (run.status !== 0) throw new Error(`synth ${stack} failed:\n${run.stderr}`);
        manifests = readManifests(path.join(run.outDir, "k8s")).map(withTestKeyPairs);
        for (const kind of prerequisites) {
            for (const { file, manifest } of manifests.filter((m) => m.manifest.kind === kind)) {
                const res = await plane.client.apply(manifest);
                if (res.status >= 300) throw new Error(`${file}: ${res.body.message}`);
            }
        }
    }, 240_000);

    it("every manifest passes server-side dry-run apply", async () => {
        expect(manifests.length).toBeGreaterThan(50);
        // Karpenter's objects too, against the CRDs of the release it installs.
        expect(manifests.map((m) => m.manifest.kind)).toEqual(
            expect.arrayContaining(["NodePool", "EC2NodeClass"]),
        );
        const problems: string[] = [];
        for (const { file, manifest } of manifests) {
            const what = `${file} (${manifest.kind} ${manifest.metadata?.name})`;
            try {
                const res = await plane.client.apply(manifest, { dryRun: true });
                if (res.status >= 300)
                    problems.push(`${what}: HTTP ${res.status}: ${res.body.message}`);
                // PodSecurity's warn level is informational; enforcement is tested on Pods below.
                for (const warning of res.warnings.filter((w) => !/PodSecurity/.test(w))) {
                    problems.push(`${what}: warning: ${warning}`);
                }
            } catch (error) {
                problems.push(`${what}: ${(error as Error).message}`);
            }
        }
        expect(problems).toEqual([]);
    });

    it("every workload's Pod template is admitted in its namespace", async () => {
        const pods = manifests.flatMap(({ file, manifest }) => {
            const pod = podOf(manifest);
            return pod ? [{ file, what: `${manifest.kind} ${manifest.metadata.name}`, pod }] : [];
        });
        expect(pods.length).toBeGreaterThan(5);
        const problems: string[] = [];
        for (const { file, what, pod } of pods) {
            const res = await plane.client.request(
                "POST",
                `/api/v1/namespaces/${pod.metadata.namespace}/pods?dryRun=All&fieldValidation=Strict`,
                pod,
            );
            if (res.status !== 201)
                problems.push(`${file} (${what}): HTTP ${res.status}: ${res.body.message}`);
        }
        expect(problems).toEqual([]);
    });
});

describe("validation on the real apiserver", () => {
    it("rejects an unknown field in a custom resource (strict field validation, CRD schema)", async () => {
        const res = await plane.client.apply(
            {
                apiVersion: "monitoring.coreos.com/v1",
                kind: "ServiceMonitor",
                metadata: { name: "bogus", namespace: "default" },
                spec: { selector: {}, endpoints: [{ port: "http", intervall: "30s" }] },
            },
            { dryRun: true },
        );
        // Server-side apply reports it while building the typed patch (kube-apiserver 1.35
        // answers 500 "field not declared in schema"); a create answers 400 "unknown field".
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.body.message).toMatch(/\.spec\.endpoints\[0\]\.intervall: field not declared/);
    });

    it("rejects a Karpenter NodePool the CRD's validation refuses", async () => {
        const res = await plane.client.apply(
            {
                apiVersion: "karpenter.sh/v1",
                kind: "NodePool",
                metadata: { name: "bogus" },
                spec: {
                    template: {
                        spec: {
                            nodeClassRef: {
                                group: "karpenter.k8s.aws",
                                kind: "EC2NodeClass",
                                name: "mcp-platform",
                            },
                            requirements: [],
                        },
                    },
                    disruption: { budgets: [{ nodes: "ten percent" }] },
                },
            },
            { dryRun: true },
        );
        expect(res.status).toBe(422);
        expect(res.body.message).toMatch(/spec\.disruption\.budgets\[0\]\.nodes/);
    });

    it("rejects an invalid built-in object", async () => {
        const res = await plane.client.apply(
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "bogus", namespace: "default" },
                spec: {
                    selector: { matchLabels: { app: "a" } },
                    template: {
                        metadata: { labels: { app: "b" } },
                        spec: { containers: [{ name: "main", image: "registry.example/app:1" }] },
                    },
                },
            },
            { dryRun: true },
        );
        expect(res.status).toBe(422);
        expect(res.body.message).toMatch(/`selector` does not match template `labels`/);
    });
});

describe("admission on the real apiserver", () => {
    const insecurePod = (namespace: string) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "insecure", namespace },
        spec: {
            containers: [
                {
                    name: "main",
                    image: "registry.example/insecure:1",
                    securityContext: { privileged: true, runAsUser: 0 },
                },
            ],
        },
    });
    const restrictedPod = (namespace: string) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "restricted", namespace },
        spec: {
            securityContext: {
                runAsNonRoot: true,
                runAsUser: 10001,
                seccompProfile: { type: "RuntimeDefault" },
            },
            containers: [
                {
                    name: "main",
                    image: "registry.example/app:1",
                    securityContext: {
                        allowPrivilegeEscalation: false,
                        capabilities: { drop: ["ALL"] },
                    },
                },
            ],
        },
    });

    it("PodSecurity rejects a privileged root Pod in a restricted namespace", async () => {
        const { client } = plane;
        const ns = "psa-restricted";
        const created = await client.apply({
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
        });
        expect(created.status).toBeLessThan(300);

        const rejected = await client.request(
            "POST",
            `/api/v1/namespaces/${ns}/pods`,
            insecurePod(ns),
        );
        expect(rejected.status).toBe(403);
        expect(rejected.body.message).toMatch(/violates PodSecurity "restricted:latest"/);
        expect(rejected.body.message).toMatch(/privileged/);
        expect(rejected.body.message).toMatch(/runAsNonRoot|runAsUser=0/);

        // The same namespace admits a Pod that meets the restricted profile.
        const admitted = await client.request(
            "POST",
            `/api/v1/namespaces/${ns}/pods`,
            restrictedPod(ns),
        );
        expect(admitted.status, admitted.body.message).toBe(201);
    });

    it("the same insecure Pod is admitted where no policy is enforced", async () => {
        const { client } = plane;
        const ns = "psa-unlabelled";
        expect(
            (await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }))
                .status,
        ).toBeLessThan(300);
        const res = await client.request("POST", `/api/v1/namespaces/${ns}/pods`, insecurePod(ns));
        expect(res.status, res.body.message).toBe(201);
    });
});
