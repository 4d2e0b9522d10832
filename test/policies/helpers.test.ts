import { describe, expect, it } from "vitest";
import { isEmptySelector, podRequests, selects } from "../../policies/lib/k8s-objects";
import { podTemplateOf } from "../../policies/lib/pods";
import { gib, parseQuantity } from "../../policies/lib/quantity";

describe("parseQuantity", () => {
    it.each([
        ["500m", 0.5],
        ["2", 2],
        ["2000m", 2],
        ["1.5", 1.5],
        ["1Gi", gib],
        ["512Mi", 512 * 2 ** 20],
        ["1G", 1e9],
        ["100k", 1e5],
        ["1e3", 1000],
        [4, 4],
    ])("%s", (value, expected) => {
        expect(parseQuantity(value)).toBeCloseTo(expected as number, 9);
    });

    it.each(["", "abc", "1Gb", "1.2.3", undefined, null])("refuses %s", (value) => {
        expect(parseQuantity(value)).toBeUndefined();
    });
});

describe("label selectors", () => {
    const labels = { app: "api", tier: "web" };
    it("matches matchLabels and expressions", () => {
        expect(selects({ matchLabels: { app: "api" } }, labels)).toBe(true);
        expect(selects({ matchLabels: { app: "db" } }, labels)).toBe(false);
        expect(
            selects(
                { matchExpressions: [{ key: "tier", operator: "In", values: ["web"] }] },
                labels,
            ),
        ).toBe(true);
        expect(
            selects(
                { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] },
                labels,
            ),
        ).toBe(false);
        expect(
            selects(
                { matchExpressions: [{ key: "quarantine", operator: "DoesNotExist" }] },
                labels,
            ),
        ).toBe(true);
        expect(selects(undefined, labels)).toBe(false);
    });

    it("tells an empty selector (all pods) from a missing one", () => {
        expect(isEmptySelector({})).toBe(true);
        expect(isEmptySelector({ matchLabels: {} })).toBe(true);
        expect(isEmptySelector({ matchLabels: { app: "api" } })).toBe(false);
        expect(isEmptySelector(undefined)).toBe(false);
    });
});

describe("podRequests", () => {
    const c = (cpu: string, memory: string, extra: object = {}) => ({
        name: "c",
        resources: { requests: { cpu, memory } },
        ...extra,
    });

    it("sums containers and native sidecars, and covers the largest init container", () => {
        expect(
            podRequests({
                containers: [c("500m", "1Gi"), c("250m", "256Mi")],
                initContainers: [c("100m", "64Mi", { restartPolicy: "Always" }), c("4", "128Mi")],
            }),
        ).toEqual({ cpu: 4, memory: gib + 256 * 2 ** 20 + 64 * 2 ** 20 });
    });

    it("takes a limit for a missing request", () => {
        expect(
            podRequests({
                containers: [{ name: "c", resources: { limits: { cpu: "1", memory: "2Gi" } } }],
            }),
        ).toEqual({
            cpu: 1,
            memory: 2 * gib,
        });
    });
});

describe("podTemplateOf", () => {
    it("reads a CronJob's pod from spec.jobTemplate.spec.template", () => {
        const spec = { containers: [{ name: "backup" }] };
        const pod = podTemplateOf("CronJob", {
            metadata: { name: "postgres-backup", namespace: "mcp-production" },
            spec: {
                schedule: "0 * * * *",
                jobTemplate: { spec: { template: { metadata: { labels: { a: "b" } }, spec } } },
            },
        });
        expect(pod).toMatchObject({
            kind: "CronJob",
            name: "postgres-backup",
            namespace: "mcp-production",
            spec,
            metadata: { labels: { a: "b" } },
        });
    });

    it("has nothing for kinds without pods", () => {
        expect(podTemplateOf("ConfigMap", { metadata: { name: "x" }, data: {} })).toBeUndefined();
    });
});
