import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../../support/apiserver";
import { synth } from "../../support/synth";
import { restartedAtAnnotation } from "../../../tools/mcp/verbs/restart";
import { json, mcp } from "./support";

/**
 * The Kubernetes verbs — scale, restart, health, backup create, maintenance --services —
 * through @kubernetes/client-node against a real kube-apiserver with its controller manager
 * and scheduler, kwok's fake Nodes running the Pods, loaded with the production synth's own
 * manifests of mcp-registry, the postgres-backup CronJob and the public Ingress.
 */
const ns = "mcp-production";
const manifests = [
    "_cluster/namespace-mcp-production.yaml",
    "mcp-production/serviceaccount-mcp-registry.yaml",
    "mcp-production/deployment-mcp-registry.yaml",
    "mcp-production/horizontalpodautoscaler-mcp-registry-hpa.yaml",
    "mcp-production/serviceaccount-postgres-backup.yaml",
    "mcp-production/cronjob-postgres-backup.yaml",
    "mcp-production/ingress-mcp-typescript-api-ingress.yaml",
];

let plane: ControlPlane;
let env: NodeJS.ProcessEnv;
const get = async (path: string) => (await plane.client.request("GET", path)).body;
const deployment = () => get(`/apis/apps/v1/namespaces/${ns}/deployments/mcp-registry`);

beforeAll(async () => {
    plane = await startControlPlane({ fakeNodes: 2 });
    env = { MCP_STACK: "production", KUBECONFIG: plane.kubeconfig };
    const production = synth("production");
    for (const file of manifests) {
        const res = await plane.client.apply(parse(production.read(`k8s/${file}`)));
        expect(res.status, `${file}: ${res.body.message}`).toBeLessThan(300);
    }
    // The HPA's minimum (3) is reached without metrics: the controller enforces its bounds.
    await plane.client.waitFor(
        `/apis/apps/v1/namespaces/${ns}/deployments/mcp-registry`,
        (d) => d.status?.readyReplicas === 3,
        120_000,
    );
}, 240_000);
afterAll(async () => {
    await plane?.stop();
});

describe("mcp against a real API server", () => {
    it("health of one service: its Deployment rolled out", async () => {
        const run = await mcp(["health", "mcp-registry", "--json"], env);
        expect(run.code, run.stdout).toBe(0);
        expect(json(run).checks).toEqual([
            {
                name: "deployment/mcp-registry (mcp-production)",
                healthy: true,
                detail: "3/3 ready, 3/3 updated",
            },
        ]);
    });

    it("scale sets the replicas through the scale subresource and notes the HPA", async () => {
        const run = await mcp(
            ["scale", "mcp-registry", "--replicas", "4", "--wait", "--timeout", "2m"],
            env,
        );
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^scaled deployment\/mcp-registry in mcp-production: 3 → 4$/m);
        expect(run.stderr).toBe(
            "note: hpa/mcp-registry-hpa (3..10) owns the count and resizes it at its next decision",
        );
        expect(run.stdout).toMatch(/^deployment\/mcp-registry: 4\/4 ready, 4\/4 updated$/m);
    });

    it("restart rolls the pods by a new template annotation and waits with --graceful", async () => {
        const before = (await deployment()).metadata.generation;
        const run = await mcp(["restart", "mcp-registry", "--graceful", "--timeout", "3m"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^restarted deployment\/mcp-registry in mcp-production$/m);
        expect(run.stdout).toMatch(
            /^deployment\/mcp-registry rolled out: \d\/\d ready, \d\/\d updated$/m,
        );
        const after = await deployment();
        expect(after.metadata.generation).toBe(before + 1);
        expect(
            Date.parse(after.spec.template.metadata.annotations[restartedAtAnnotation]),
        ).toBeGreaterThan(Date.now() - 300_000);
        // A rolling restart waits out each old pod's termination grace: give the test the
        // command's own --timeout (3 min) and a margin, not the suite's default.
    }, 240_000);

    it("restart refuses services that are not in the cluster, restarting nothing", async () => {
        const generation = (await deployment()).metadata.generation;
        const run = await mcp(["restart", "mcp-registry", "mcp-router"], env);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
            /^mcp restart: not in the cluster https:\/\/127\.0\.0\.1:\d+: deployment\/mcp-router \(mcp-production\)\nwhat to do: check --stack and --context; nothing was restarted$/,
        );
        expect((await deployment()).metadata.generation).toBe(generation);
    });

    it("health fails, naming it, for a service scaled to 0", async () => {
        expect((await mcp(["scale", "mcp-registry", "--replicas", "0"], env)).code).toBe(0);
        const run = await mcp(["health", "mcp-registry"], env);
        expect(run.code).toBe(1);
        expect(run.stdout).toBe(
            "FAIL  deployment/mcp-registry (mcp-production): scaled to 0: not serving\nUNHEALTHY: 1 of 1 checks on the production stack",
        );
        expect((await mcp(["scale", "mcp-registry", "--replicas", "3", "--wait"], env)).code).toBe(
            0,
        );
    });

    it("backup create runs the CronJob's job template as a manual Job, and --wait sees it succeed", async () => {
        const run = await mcp(
            [
                "backup",
                "create",
                "postgres",
                "--name",
                "pre-deploy-test",
                "--wait",
                "--timeout",
                "2m",
            ],
            env,
        );
        expect(run.stdout).toContain(
            "created job/pre-deploy-test in mcp-production from cronjob/postgres-backup",
        );
        expect(run.code, run.stdout).toBe(0);
        expect(run.stdout).toMatch(/^job\/pre-deploy-test succeeded$/m);
        const job = await get(`/apis/batch/v1/namespaces/${ns}/jobs/pre-deploy-test`);
        const cronjob = await get(`/apis/batch/v1/namespaces/${ns}/cronjobs/postgres-backup`);
        expect(job.metadata.annotations["cronjob.kubernetes.io/instantiate"]).toBe("manual");
        expect(job.metadata.ownerReferences).toEqual([
            expect.objectContaining({
                kind: "CronJob",
                name: "postgres-backup",
                uid: cronjob.metadata.uid,
            }),
        ]);
        expect(job.spec.template.spec.containers[0].image).toBe(
            cronjob.spec.jobTemplate.spec.template.spec.containers[0].image,
        );
    });

    it("maintenance --services drains only that service's Ingress, and disable restores it", async () => {
        const path = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/mcp-typescript-api-ingress`;
        const on = await mcp(
            [
                "maintenance",
                "enable",
                "--services",
                "mcp-typescript-api",
                "--message",
                "Back at 04:00 UTC.",
            ],
            env,
        );
        expect(on.code, on.stderr).toBe(0);
        let ingress = await get(path);
        const action = JSON.parse(
            ingress.metadata.annotations["alb.ingress.kubernetes.io/actions.maintenance"],
        );
        expect(action.fixedResponseConfig).toMatchObject({
            statusCode: "503",
            contentType: "text/html",
        });
        expect(action.fixedResponseConfig.messageBody).toContain("Back at 04:00 UTC.");
        for (const rule of ingress.spec.rules)
            expect(rule.http.paths[0].backend.service).toEqual({
                name: "maintenance",
                port: { name: "use-annotation" },
            });

        const off = await mcp(["maintenance", "disable", "--services", "mcp-typescript-api"], env);
        expect(off.code, off.stderr).toBe(0);
        ingress = await get(path);
        expect(
            ingress.metadata.annotations["alb.ingress.kubernetes.io/actions.maintenance"],
        ).toBeUndefined();
        for (const rule of ingress.spec.rules)
            expect(rule.http.paths[0].backend.service).toEqual({
                name: "mcp-typescript-api",
                port: { name: "http" },
            });

        const data = await mcp(["maintenance", "enable", "--services", "postgres"], env);
        expect(data.code).toBe(2);
        expect(data.stderr).toMatch(/^mcp maintenance: postgres has no public Ingress to drain/);
    });
});
