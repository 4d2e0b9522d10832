import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, installCrds, startControlPlane } from "../harness/apiserver";
import { upstreamCrds } from "../harness/crds";
import { synth } from "../harness/synth";
import { readManifests } from "../lib/k8s-schema";

/**
 * The synth's Kubernetes manifests against a real kube-apiserver (built by `npm run engines`):
 * every object of out/<stack>/k8s is server-side applied with dryRun=All and strict field
 * validation, so the apiserver's own validation, defaulting, CRD schemas and admission
 * (PodSecurity, LimitRanger, ResourceQuota, …) judge it. A PodSecurity warning on a
 * workload counts as an error: its Pods would be rejected when the controller creates them.
 */

let plane: ControlPlane;
beforeAll(async () => {
    plane = await startControlPlane();
    await installCrds(plane.client, upstreamCrds());
}, 180_000);
afterAll(async () => {
    await plane?.stop();
});

describe.each(["production", "dr"])("the %s synth on a real apiserver", (stack) => {
    it("every manifest passes server-side dry-run apply", async () => {
        const run = synth(stack);
        expect(run.status, run.stderr).toBe(0);
        const manifests = readManifests(path.join(run.outDir, "k8s"));
        expect(manifests.length).toBeGreaterThan(50);
        const { client } = plane;

        // Namespaced objects need their Namespace to exist (NamespaceLifecycle admission),
        // with its labels, which PodSecurity reads.
        for (const { file, manifest } of manifests.filter((m) => m.manifest.kind === "Namespace")) {
            const res = await client.apply(manifest);
            expect(res.status, `${file}: ${res.body.message}`).toBeLessThan(300);
        }

        const problems: string[] = [];
        for (const { file, manifest } of manifests) {
            const what = `${file} (${manifest.kind} ${manifest.metadata?.name})`;
            let res;
            try {
                res = await client.apply(manifest, { dryRun: true });
            } catch (error) {
                problems.push(`${what}: ${(error as Error).message}`);
                continue;
            }
            if (res.status >= 300)
                problems.push(`${what}: HTTP ${res.status}: ${res.body.message}`);
            for (const warning of res.warnings) problems.push(`${what}: warning: ${warning}`);
        }
        expect(problems).toEqual([]);
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
