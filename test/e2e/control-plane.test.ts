import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../support/apiserver";

/**
 * The test control plane itself: kwok's fake Nodes take Pods, so a Deployment becomes Ready
 * and a Job's Pod Succeeds (the controller manager and the scheduler do the rest, for real).
 */

let plane: ControlPlane;
beforeAll(async () => {
    plane = await startControlPlane({ fakeNodes: 3 });
}, 180_000);
afterAll(async () => {
    await plane?.stop();
});

const ns = "workloads";
const podSpec = {
    containers: [{ name: "main", image: "registry.example/app:1" }],
};

describe("a control plane with kwok nodes", () => {
    it("has Ready fake Nodes", async () => {
        const res = await plane.client.request("GET", "/api/v1/nodes");
        const ready = (res.body.items as any[]).filter((n) =>
            n.status.conditions.some((c: any) => c.type === "Ready" && c.status === "True"),
        );
        expect(ready.map((n) => n.metadata.name).sort()).toEqual([...plane.nodes].sort());
        expect(plane.nodes).toHaveLength(3);
    });

    it("makes a Deployment Ready on fake Nodes", async () => {
        const { client } = plane;
        await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        const res = await client.apply({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web", namespace: ns },
            spec: {
                replicas: 2,
                selector: { matchLabels: { app: "web" } },
                template: { metadata: { labels: { app: "web" } }, spec: podSpec },
            },
        });
        expect(res.status, res.body.message).toBeLessThan(300);
        const deployment = await client.waitFor(
            `/apis/apps/v1/namespaces/${ns}/deployments/web`,
            (d) => d.status?.readyReplicas === 2,
            90_000,
        );
        expect(deployment.status.availableReplicas).toBe(2);
        const pods = await client.request(
            "GET",
            `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dweb`,
        );
        for (const pod of pods.body.items as any[]) {
            expect(plane.nodes).toContain(pod.spec.nodeName);
            expect(pod.status.phase).toBe("Running");
        }
    });

    it("runs a Job's Pod to Succeeded", async () => {
        const { client } = plane;
        await client.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
        const res = await client.apply({
            apiVersion: "batch/v1",
            kind: "Job",
            metadata: { name: "once", namespace: ns },
            spec: {
                backoffLimit: 0,
                template: { spec: { ...podSpec, restartPolicy: "Never" } },
            },
        });
        expect(res.status, res.body.message).toBeLessThan(300);
        const job = await client.waitFor(
            `/apis/batch/v1/namespaces/${ns}/jobs/once`,
            (j) => j.status?.succeeded === 1,
            90_000,
        );
        expect(job.status.failed ?? 0).toBe(0);
    });
});
