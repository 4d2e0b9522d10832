import { describe, expect, it } from "vitest";
import { noDefaultNamespace } from "../../policies/kubernetes-cluster";
import { imageReference, probes } from "../../policies/kubernetes-workloads";
import { fixture, resourceViolations } from "../support/policy";
import { clusterCases, rbacCases, workloadCases } from "./cases/kubernetes-workloads";
import { runPolicyCases } from "./lib/cases";
import { workload } from "./lib/fixtures";

runPolicyCases([...workloadCases, ...rbacCases, ...clusterCases]);

describe("imageReference", () => {
    it.each([
        ["postgres:15.8", { tag: "15.8", digest: undefined }],
        ["registry.local:5000/mcp/api", { tag: undefined, digest: undefined }],
        ["registry.local:5000/mcp/api:2.0.1", { tag: "2.0.1", digest: undefined }],
        ["redis:7.2@sha256:abc", { tag: "7.2", digest: "sha256:abc" }],
        ["redis@sha256:abc", { tag: undefined, digest: "sha256:abc" }],
    ])("%s", (image, expected) => {
        expect(imageReference(image)).toEqual(expected);
    });
});

describe("applicability", () => {
    it("probes do not apply to Jobs and CronJobs", async () => {
        const job = workload("Job", {
            pod: (p) => {
                delete p.spec.containers[0].readinessProbe;
                delete p.spec.containers[0].livenessProbe;
            },
        });
        expect(await resourceViolations(probes, job)).toBeUndefined();
    });

    it("the namespace rule skips cluster-scoped kinds and non-Kubernetes resources", async () => {
        const storageClass = fixture("kubernetes:storage.k8s.io/v1:StorageClass", {
            apiVersion: "storage.k8s.io/v1",
            kind: "StorageClass",
            metadata: { name: "gp3" },
            provisioner: "ebs.csi.aws.com",
        });
        expect(await resourceViolations(noDefaultNamespace, storageClass)).toBeUndefined();
        const key = fixture("aws:kms/key:Key", { enableKeyRotation: true });
        expect(await resourceViolations(noDefaultNamespace, key)).toBeUndefined();
    });
});
