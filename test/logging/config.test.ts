import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, type PlatformConfig } from "../../config";
import { groupConfig } from "../../config/lib/raw";
import {
    cloudWatchRetentionDays,
    defaultCollectorImage,
    defaultLoggedNamespaces,
} from "../../config/logging";
import { readStackConfig } from "../../tools/lib/stack-file";
import { projectDir } from "../harness/synth";

/** The production stack's config with `edit` applied to the raw values, parsed. */
function production(edit: (raw: Record<string, any>) => void = () => {}): PlatformConfig {
    const stackFile = path.join(projectDir, "Pulumi.production.yaml");
    const { config, secretKeys } = readStackConfig(projectDir, stackFile);
    const { byNamespace } = groupConfig(config, () => false);
    edit(byNamespace["mcp-platform"] as Record<string, any>);
    return parseConfig({ byNamespace, secretKeys: new Set(secretKeys) }, "production");
}

function problems(edit: (raw: Record<string, any>) => void): string[] {
    try {
        production(edit);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message.split("\n").slice(1);
    }
    throw new Error("expected the config to be rejected");
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
        expect(defaultCollectorImage).toMatch(
            /^cr\.fluentbit\.io\/fluent\/fluent-bit:\d+\.\d+\.\d+$/,
        );
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
