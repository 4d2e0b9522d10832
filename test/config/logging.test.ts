import { describe, expect, it } from "vitest";
import { type PlatformConfig } from "../../config";
import {
    cloudWatchRetentionDays,
    defaultCollectorImage,
    defaultLoggedNamespaces,
} from "../../config/logging";
import { configProblems, parseStack } from "../support/config";

/** The production stack's config with `edit` applied to the raw values, parsed. */
function production(edit: (raw: Record<string, any>) => void = () => {}): PlatformConfig {
    return parseStack("production", (ns) => edit(ns["mcp-platform"]));
}

function problems(edit: (raw: Record<string, any>) => void): string[] {
    return configProblems("production", (ns) => edit(ns["mcp-platform"]));
}

describe("mcp-platform:logging config", () => {
    it("keeps 30 days, the platform namespaces, a 500 ms slow threshold and a pinned Fluent Bit by default", () => {
        const cfg = production((raw) => delete raw.logging);
        expect(cfg.logging).toEqual({
            retentionDays: 30,
            namespaces: [...defaultLoggedNamespaces],
            slowRequestThresholdMs: 500,
            collectorImage: defaultCollectorImage,
        });
        // Docker Hub's official repository: ECR's pull-through cache cannot cache cr.fluentbit.io.
        expect(defaultCollectorImage).toMatch(/^fluent\/fluent-bit:\d+\.\d+\.\d+$/);
    });

    it("reads both committed stacks' logging blocks", () => {
        expect(production().logging.retentionDays).toBe(30);
    });

    it("refuses a retention CloudWatch does not accept, naming the accepted values", () => {
        expect(problems((raw) => (raw.logging = { retentionDays: 31 }))).toEqual([
            `Pulumi.production.yaml: mcp-platform:logging.retentionDays: expected a CloudWatch retention in days: one of ${cloudWatchRetentionDays.join(", ")} (got 31)`,
        ]);
    });

    it("refuses namespace names Kubernetes would refuse, and duplicates", () => {
        const [bad] = problems(
            (raw) => (raw.logging = { namespaces: ["mcp-production", "Bad_NS"] }),
        );
        expect(bad).toContain(
            "mcp-platform:logging.namespaces[1]: expected a Kubernetes namespace name",
        );
        const [dup] = problems((raw) => (raw.logging = { namespaces: ["logging", "logging"] }));
        expect(dup).toContain("mcp-platform:logging.namespaces: expected each namespace once");
    });

    it("refuses an unpinned collector image and an unknown key", () => {
        const [latest] = problems(
            (raw) => (raw.logging = { collectorImage: "cr.fluentbit.io/fluent/fluent-bit:latest" }),
        );
        expect(latest).toContain("mcp-platform:logging.collectorImage: expected an image pinned");
        const [typo] = problems((raw) => (raw.logging = { retentionDay: 30 }));
        expect(typo).toContain("mcp-platform:logging.retentionDay: unknown key");
    });
});
