import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, stackKubeconfig, startControlPlane } from "../../support/apiserver";
import { synth } from "../../support/synth";
import { stoppedAnnotation } from "../../../tools/mcp/lib/stopped";
import { mcp } from "./support";

/**
 * `mcp stop` and `mcp start` against a real kube-apiserver with its controller manager (the
 * Deployment and HPA controllers) and kwok's fake Nodes, loaded with the production synth's
 * own mcp-registry (HPA 3..10): the count is recorded and given back exactly, the HPA does not
 * bring a stopped service back, and both verbs are idempotent.
 */
const ns = "mcp-production";
const manifests = [
    "_cluster/namespace-mcp-production.yaml",
    "mcp-production/serviceaccount-mcp-registry.yaml",
    "mcp-production/deployment-mcp-registry.yaml",
    "mcp-production/horizontalpodautoscaler-mcp-registry-hpa.yaml",
];
const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/mcp-registry`;
const hpaPath = `/apis/autoscaling/v2/namespaces/${ns}/horizontalpodautoscalers/mcp-registry-hpa`;

let plane: ControlPlane;
let env: NodeJS.ProcessEnv;
const get = async (path: string) => (await plane.client.request("GET", path)).body;
const deployment = () => get(deploymentPath);
const record = async () => {
    const text = (await deployment()).metadata.annotations?.[stoppedAnnotation];
    return text === undefined ? undefined : JSON.parse(text);
};
const pods = async () =>
    (await get(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dmcp-registry`)).items.length;

beforeAll(async () => {
    plane = await startControlPlane({ fakeNodes: 2 });
    env = { MCP_STACK: "production", KUBECONFIG: stackKubeconfig(plane, "production") };
    const production = synth("production");
    for (const file of manifests) {
        const res = await plane.client.apply(parse(production.read(`k8s/${file}`)));
        expect(res.status, `${file}: ${res.body.message}`).toBeLessThan(300);
    }
    await plane.client.waitFor(deploymentPath, (d) => d.status?.readyReplicas === 3, 120_000);
    // 4 is inside the HPA's 3..10 and holds (no metrics, no decision): a count that is
    // neither the HPA's minimum nor the stack file's, so only a real record gives it back.
    const scaled = await mcp(["scale", "mcp-registry", "--replicas", "4", "--wait"], env);
    expect(scaled.code, scaled.stderr).toBe(0);
}, 360_000);
afterAll(async () => {
    await plane?.stop();
});

describe("mcp stop / mcp start against a real API server", () => {
    it("stop asks for --yes and changes nothing without it", async () => {
        const run = await mcp(["stop", "mcp-registry"], env);
        expect(run.code).toBe(2);
        expect(run.stderr.split("\n")[0]).toBe(
            "mcp stop: stopping mcp-registry removes every pod: it stops serving until mcp start; repeat with --yes to confirm; see mcp stop --help",
        );
        expect((await deployment()).spec.replicas).toBe(4);
        expect(await record()).toBeUndefined();
    });

    it("stop records the count and the HPA's bounds, scales to 0 and waits for the pods", async () => {
        const run = await mcp(["stop", "mcp-registry", "--yes", "--wait", "--timeout", "2m"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout.split("\n")).toEqual([
            "stopped deployment/mcp-registry in mcp-production: 4 → 0 (recorded for mcp start; hpa/mcp-registry-hpa (3..10) is idle while it is at 0)",
            "deployment/mcp-registry: every pod has exited",
        ]);
        expect((await deployment()).spec.replicas).toBe(0);
        expect(await pods()).toBe(0);
        expect(await record()).toEqual({
            replicas: 4,
            hpa: { name: "mcp-registry-hpa", minReplicas: 3, maxReplicas: 10 },
            stoppedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        });
    }, 180_000);

    it("the HPA, left as declared, does not scale the stopped service back up", async () => {
        const hpa = await plane.client.waitFor(
            hpaPath,
            (h) =>
                h.status?.conditions?.some(
                    (c: any) => c.type === "ScalingActive" && c.reason === "ScalingDisabled",
                ),
            90_000,
        );
        expect(hpa.spec.minReplicas).toBe(3);
        expect(hpa.spec.maxReplicas).toBe(10);
        expect((await deployment()).spec.replicas).toBe(0);
    }, 120_000);

    it("stop again keeps the first record and changes nothing", async () => {
        const first = await record();
        const generation = (await deployment()).metadata.generation;
        const run = await mcp(["stop", "mcp-registry", "--yes"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toBe(
            `deployment/mcp-registry in mcp-production is already stopped (since ${first.stoppedAt}, 4 replicas recorded): nothing changed`,
        );
        expect(await record()).toEqual(first);
        expect((await deployment()).metadata.generation).toBe(generation);
    });

    it("start gives back exactly the recorded count, removes the record and rolls out", async () => {
        const { stoppedAt } = await record();
        const run = await mcp(["start", "mcp-registry", "--wait", "--timeout", "2m"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stderr).toBe("");
        expect(run.stdout.split("\n")).toEqual([
            `started deployment/mcp-registry in mcp-production: 0 → 4 (recorded ${stoppedAt})`,
            "deployment/mcp-registry: 4/4 ready, 4/4 updated",
        ]);
        expect((await deployment()).spec.replicas).toBe(4);
        expect(await record()).toBeUndefined();
    }, 180_000);

    it("start again leaves the running service alone", async () => {
        const run = await mcp(["start", "mcp-registry"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toBe(
            "deployment/mcp-registry in mcp-production is running (4 replicas): nothing changed",
        );
    });

    it("start refuses a service at 0 that mcp stop did not stop", async () => {
        expect((await mcp(["scale", "mcp-registry", "--replicas", "0", "--yes"], env)).code).toBe(
            0,
        );
        const run = await mcp(["start", "mcp-registry"], env);
        expect(run.code).toBe(1);
        expect(run.stderr).toBe(
            "mcp start: not started: deployment/mcp-registry in mcp-production is at 0 replicas but was not stopped by mcp stop (no record of its count)\nwhat to do: give its count with mcp scale <service> --replicas N (the service's replicas or autoscaling.minReplicas in Pulumi.<stack>.yaml), or check --stack and --context",
        );
        expect((await deployment()).spec.replicas).toBe(0);
        expect((await mcp(["scale", "mcp-registry", "--replicas", "3"], env)).code).toBe(0);
    });

    it.each([
        [
            ["stop", "postgres", "--yes"],
            /^mcp stop: refusing to stop the data store postgres-primary, postgres-replica$/m,
        ],
        [["stop", "--yes"], /^mcp stop: give the services to stop, or --all/],
        [
            ["stop", "--all", "mcp-registry", "--yes"],
            /^mcp stop: give the services to stop or --all, not both/,
        ],
        [["start"], /^mcp start: give the services to start, or --all/],
    ])("%j is a usage error (exit 2)", async (argv, problem) => {
        const run = await mcp(argv, env);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(problem);
        expect(run.stdout).toBe("");
    });
});
