import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { synth, type SynthResult } from "../support/synth";
import { ManifestValidator, readManifests } from "../support/k8s-schema";

/**
 * Every Kubernetes manifest a fresh synth writes (out/<stack>/k8s/, everyone's objects),
 * validated against the Kubernetes OpenAPI schema (kubernetes-models) and the CRD schemas of
 * custom resources (prometheus-operator models; the upstream VPA CRD from its Go module).
 */

let validator: ManifestValidator;
beforeAll(async () => {
    validator = await ManifestValidator.withUpstreamCrds();
});

describe.each(["production", "dr"])("schema of every manifest of the %s synth", (stack) => {
    let result: SynthResult;
    let manifests: ReturnType<typeof readManifests>;
    beforeAll(() => {
        result = synth(stack);
        manifests = readManifests(path.join(result.outDir, "k8s"));
        // CRDs the program declares itself validate their own custom resources.
        validator.addCrds(manifests.map((m) => m.manifest));
    });

    it("synthesises", () => {
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(fs.existsSync(path.join(result.outDir, "k8s"))).toBe(true);
    });

    it("validates every manifest", async () => {
        const kinds = new Set(manifests.map((m) => m.manifest.kind));
        for (const kind of [
            "Deployment",
            "Service",
            "HorizontalPodAutoscaler",
            "VerticalPodAutoscaler",
            "ServiceMonitor",
            "Probe",
            "NetworkPolicy",
            "Ingress",
            "Namespace",
        ]) {
            expect(kinds, kind).toContain(kind);
        }
        const problems: Record<string, string[]> = {};
        for (const { file, manifest } of manifests) {
            const errors = await validator.validate(manifest);
            if (errors.length > 0) problems[file] = errors;
        }
        expect(problems).toEqual({});
    });
});

describe("schema validation catches broken manifests", () => {
    const deployment = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "x", namespace: "mcp-production" },
        spec: {
            replicas: 2,
            selector: { matchLabels: { app: "x" } },
            template: {
                metadata: { labels: { app: "x" } },
                spec: { containers: [{ name: "x", image: "x:1" }] },
            },
        },
    };
    const vpa = {
        apiVersion: "autoscaling.k8s.io/v1",
        kind: "VerticalPodAutoscaler",
        metadata: { name: "x-vpa" },
        spec: {
            targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "x" },
            updatePolicy: { updateMode: "Off" },
        },
    };
    const monitor = {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "x" },
        spec: { selector: { matchLabels: { app: "x" } }, endpoints: [{ port: "metrics" }] },
    };

    it("accepts the well-formed originals", async () => {
        for (const manifest of [deployment, vpa, monitor]) {
            expect(await validator.validate(manifest)).toEqual([]);
        }
    });

    it("rejects a Deployment with a wrong type and a missing required field", async () => {
        const broken = structuredClone(deployment) as any;
        broken.spec.replicas = "three";
        delete broken.spec.selector;
        const errors = (await validator.validate(broken)).join("\n");
        expect(errors).toMatch(/replicas must be integer/);
        expect(errors).toMatch(/must have required property '?selector/);
    });

    it("rejects a VPA with an unknown update mode or an unknown field (CRD schema)", async () => {
        const badMode = structuredClone(vpa) as any;
        badMode.spec.updatePolicy.updateMode = "Sometimes";
        expect((await validator.validate(badMode)).join("\n")).toMatch(
            /updateMode must be equal to one of the allowed values/,
        );
        const unknownField = structuredClone(vpa) as any;
        unknownField.spec.updatePolicy.mode = "Off";
        expect(await validator.validate(unknownField)).toEqual([
            "/spec/updatePolicy must NOT have additional properties (mode)",
        ]);
        const noTarget = structuredClone(vpa) as any;
        delete noTarget.spec.targetRef;
        expect((await validator.validate(noTarget)).join("\n")).toMatch(/targetRef/);
    });

    it("rejects a ServiceMonitor whose interval is not a duration", async () => {
        const broken = structuredClone(monitor) as any;
        broken.spec.endpoints[0].interval = "30 seconds";
        expect((await validator.validate(broken)).join("\n")).toMatch(/interval must match/);
    });

    it("rejects a kind no schema covers", async () => {
        expect(
            await validator.validate({
                apiVersion: "example.com/v1",
                kind: "Widget",
                metadata: {},
            }),
        ).toEqual(["no schema for example.com/v1 Widget: add its CRD to test/support/crds.ts"]);
    });
});
