import { parse } from "yaml";
import { imageRegistryHost } from "../../../config/image-cache";
import { cachedImage } from "../../../contracts/image-cache";
import { parseStack } from "../../support/config";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { releaseAnnotation, smokeTestLabel } from "../../../contracts/names";
import { smokeImageAnnotation } from "../../../tools/mcp/lib/smoke-test";
import { type ControlPlane, stackKubeconfig, startControlPlane } from "../../support/apiserver";
import { synth } from "../../support/synth";
import { json, mcp } from "./support";

/**
 * `mcp release` against a real kube-apiserver with its Deployment and Job controllers, the
 * PodSecurity admission of the production namespace (restricted) and kwok's fake Nodes, loaded
 * with the production synth's own mcp-learning-system. kwok makes every pod Ready and every
 * Job's pod Succeed; the Stage below makes a smoke-test pod fail when the image it tests is
 * {@link brokenImage}, as a smoke test of a broken release would.
 */
const ns = "mcp-production";
const service = "mcp-learning-system";
const production = parseStack("production");
/** The service's image as the pods pull it: through the stack's ECR pull-through cache. */
const registryHost = imageRegistryHost(production.cluster.imageCache, production.region);
const repository = cachedImage("ghcr.io/mcp-platform/mcp-learning-system", registryHost);
const brokenImage = `${repository}:v9.9.9-broken`;
const failingSmokeTestStage = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: smoke-test-of-a-broken-release-fails
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: '.metadata.deletionTimestamp'
        operator: 'DoesNotExist'
      - key: '.status.phase'
        operator: 'In'
        values: ['Running']
      - key: '.metadata.annotations["${smokeImageAnnotation}"]'
        operator: 'In'
        values: ['${brokenImage}']
  weight: 1
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 22
            finishedAt: {{ $now | Quote }}
            reason: Error
            message: "curl: (22) The requested URL returned error: 503"
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Failed
`;
const missingImage = `${repository}:v0.0.0-missing`;
/** The kubelet's view of a tag the registry does not have. */
const unpullableImageStage = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: image-of-a-missing-tag-cannot-be-pulled
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
      - key: '.metadata.deletionTimestamp'
        operator: 'DoesNotExist'
      - key: '.status.phase'
        operator: 'In'
        values: ['Pending']
      - key: '.spec.containers.[].image'
        operator: 'In'
        values: ['${missingImage}']
  weight: 1
  next:
    statusTemplate: |
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          waiting:
            reason: ErrImagePull
            message: "failed to pull image: not found"
      {{ end }}
      phase: Pending
`;
const manifests = [
    "_cluster/namespace-mcp-production.yaml",
    `mcp-production/serviceaccount-${service}.yaml`,
    `mcp-production/deployment-${service}.yaml`,
    `mcp-production/networkpolicy-${service}.yaml`,
    `mcp-production/networkpolicy-${service}-smoke-test.yaml`,
];
const deploymentPath = `/apis/apps/v1/namespaces/${ns}/deployments/${service}`;

let plane: ControlPlane;
let env: NodeJS.ProcessEnv;
const get = async (path: string) => (await plane.client.request("GET", path)).body;
const deployment = () => get(deploymentPath);
const image = async () => (await deployment()).spec.template.spec.containers[0].image;
const record = async () => JSON.parse((await deployment()).metadata.annotations[releaseAnnotation]);
const podNames = async () =>
    (await get(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${service}`)).items
        .filter((p: any) => !p.metadata.deletionTimestamp)
        .map((p: any) => p.metadata.name)
        .sort();
const smokeJobs = async () =>
    (
        await get(
            `/apis/batch/v1/namespaces/${ns}/jobs?labelSelector=${encodeURIComponent(`${smokeTestLabel}=${service}`)}`,
        )
    ).items;
/** The Deployment's rollout settings, as Pulumi declared them and a release must leave them. */
const settings = async () => {
    const { spec } = await deployment();
    return {
        strategy: spec.strategy,
        minReadySeconds: spec.minReadySeconds,
        progressDeadlineSeconds: spec.progressDeadlineSeconds,
    };
};
const declared = {
    strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 0 } },
    minReadySeconds: undefined,
    progressDeadlineSeconds: 600,
};
const release = (...argv: string[]) =>
    mcp(["release", ...argv, "--smoke-timeout", "90s", "--timeout", "3m"], env);

beforeAll(async () => {
    plane = await startControlPlane({
        fakeNodes: 2,
        stages: [failingSmokeTestStage, unpullableImageStage],
    });
    env = { MCP_STACK: "production", KUBECONFIG: stackKubeconfig(plane, "production") };
    const synthesized = synth("production");
    for (const file of manifests) {
        const manifest = parse(synthesized.read(`k8s/${file}`));
        // Two pods without the HPA (its minimum): the release has old pods to keep serving.
        if (manifest.kind === "Deployment") manifest.spec.replicas = 2;
        const res = await plane.client.apply(manifest);
        expect(res.status, `${file}: ${res.body.message}`).toBeLessThan(300);
    }
    await plane.client.waitFor(deploymentPath, (d) => d.status?.readyReplicas === 2, 120_000);
    expect(await image()).toBe(`${repository}:v1.0.1`);
}, 360_000);
afterAll(async () => {
    await plane?.stop();
});

describe("mcp release against a real API server", () => {
    it("asks for --yes and changes nothing without it", async () => {
        const run = await mcp(["release", service, "v1.0.2"], env);
        expect(run.code).toBe(2);
        expect(run.stderr.split("\n")[0]).toBe(
            `mcp release: releasing v1.0.2 to ${service} replaces every pod once its smoke test passes; repeat with --yes to confirm; see mcp release --help`,
        );
        const rollback = await mcp(["release", "rollback", service], env);
        expect(rollback.code).toBe(2);
        expect(await image()).toBe(`${repository}:v1.0.1`);
        expect((await deployment()).metadata.annotations?.[releaseAnnotation]).toBeUndefined();
    });

    it("a healthy release: canary, smoke test against it, then every pod", async () => {
        const run = await release(service, "v1.0.2", "--yes");
        expect(run.code, run.stderr).toBe(0);
        const lines = run.stdout.split("\n");
        expect(lines[0]).toMatch(
            new RegExp(
                `^smoke test passed: job/${service}-smoke-\\d{14} against the canary pod ${service}-`,
            ),
        );
        expect(lines[1]).toBe(
            `released ${repository}:v1.0.2 to deployment/${service} in ${ns}: 2/2 updated, 2/2 ready, 2 available, 2 in all (it ran ${repository}:v1.0.1; undo: mcp release rollback ${service} --yes)`,
        );
        expect(await image()).toBe(`${repository}:v1.0.2`);
        expect(await settings()).toEqual(declared);
        expect(await record()).toMatchObject({
            state: "released",
            previousImage: `${repository}:v1.0.1`,
            image: `${repository}:v1.0.2`,
            previousRevision: "1",
        });
        // The smoke test ran as a restricted pod (PodSecurity admitted it) against the canary.
        const [job] = await smokeJobs();
        expect(job.status.succeeded).toBe(1);
        const container = job.spec.template.spec.containers[0];
        expect(container.image).toBe(cachedImage("curlimages/curl:8.11.1", registryHost));
        expect(container.command.at(-1)).toBe("$(SMOKE_TARGET_URL)/health/ready");
        expect(container.env[0].value).toMatch(/^http:\/\/[\d.]+:8080$/);
        expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    }, 300_000);

    it("rollback restores the recorded image", async () => {
        const run = await mcp(["release", "rollback", service, "--yes", "--timeout", "3m"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(
            new RegExp(
                `^rolled back deployment/${service} in ${ns} to ${repository}:v1\\.0\\.1: 2/2 updated`,
            ),
        );
        expect(await image()).toBe(`${repository}:v1.0.1`);
        expect(await record()).toMatchObject({ state: "rolled-back" });
        const again = await mcp(["release", "rollback", service, "--yes"], env);
        expect(again.code, again.stderr).toBe(0);
        expect(again.stdout).toMatch(/already runs .*:v1\.0\.1 .*: nothing changed$/);
    }, 300_000);

    it("a failing smoke test rolls back; the serving pods never stop", async () => {
        const before = await podNames();
        const jobsBefore = (await smokeJobs()).length;
        const run = await release(service, "v9.9.9-broken", "--yes");
        expect(run.code).toBe(1);
        expect(run.stdout).toBe("");
        expect(run.stderr).toMatch(
            new RegExp(
                `^mcp release: release of ${brokenImage} to deployment/${service} in ${ns} failed: smoke test failed: job/${service}-smoke-\\d{14} failed: pod \\S+ exited 22 \\(Error\\): curl: \\(22\\) The requested URL returned error: 503\\n  rolled back: it runs ${repository}:v1\\.0\\.1 again \\(2/2 updated`,
                "m",
            ),
        );
        expect(run.stderr).toMatch(
            /^what to do: read the smoke test's output: kubectl -n mcp-production logs job\//m,
        );
        expect(await image()).toBe(`${repository}:v1.0.1`);
        expect(await settings()).toEqual(declared);
        expect(await record()).toMatchObject({
            state: "rolled-back",
            previousImage: `${repository}:v1.0.1`,
            image: brokenImage,
            reason: expect.stringMatching(/^smoke test failed: /),
        });
        // The old pods served throughout: the same pods, none replaced.
        expect(await podNames()).toEqual(before);
        expect((await smokeJobs()).length).toBe(jobsBefore + 1);
    }, 300_000);

    it("a new image that cannot be pulled ends the canary at once and rolls back", async () => {
        const before = await podNames();
        const jobsBefore = (await smokeJobs()).length;
        const run = await release(service, "v0.0.0-missing", "--yes");
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(
            new RegExp(
                `^mcp release: release of ${missingImage} to deployment/${service} in ${ns} failed: the new pod ${service}-\\S+ cannot start: ErrImagePull \\(failed to pull image: not found\\)\\n  rolled back: it runs ${repository}:v1\\.0\\.1 again`,
                "m",
            ),
        );
        expect(run.stderr).toMatch(/^what to do: look at the new pods' events: /m);
        expect(await image()).toBe(`${repository}:v1.0.1`);
        expect(await settings()).toEqual(declared);
        expect(await record()).toMatchObject({ state: "rolled-back", image: missingImage });
        expect(await podNames()).toEqual(before);
        // No smoke test ran for a canary that never started.
        expect((await smokeJobs()).length).toBe(jobsBefore);
    }, 300_000);

    it("status shows the record (-o json)", async () => {
        const run = await mcp(["release", "status", service, "-o", "json"], env);
        expect(run.code, run.stderr).toBe(0);
        expect(json(run)).toMatchObject({
            service,
            namespace: ns,
            image: `${repository}:v1.0.1`,
            release: { state: "rolled-back", image: missingImage },
        });
    });

    it.each([
        [["release", "postgres", "v2", "--yes"], /^mcp release: postgres is a data store/],
        [["release", service, "--yes"], /^mcp release: give a service and an image tag/],
        [["release", service, "latest", "--yes"], /^mcp release: refusing :latest/],
        [["release", "rollback", "--yes"], /^mcp release: give one service/],
    ])("%j is a usage error (exit 2)", async (argv, problem) => {
        const run = await mcp(argv, env);
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(problem);
    });
});
