import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, credentialKeys, parseConfig } from "../../config";
import { edgeRoleProblems, edgeSchema, type EdgeConfig } from "../../config/edge";
import { formatProblems } from "../../config/lib/format";
import { groupConfig, type RawConfig } from "../../config/lib/raw";
import { readStackConfig } from "../../tools/lib/stack-file";
import { projectDir } from "../support/synth";

/** A committed stack's config as the CLI would pass it, with `edit` applied to the namespaces. */
function rawStack(
    stack: "production" | "dr",
    edit: (ns: Record<string, any>) => void = () => {},
    secretKeys: string[] = [],
): RawConfig {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const stackConfig = readStackConfig(projectDir, file);
    const { byNamespace } = groupConfig(stackConfig.config, () => false);
    edit(byNamespace);
    return { byNamespace, secretKeys: new Set([...stackConfig.secretKeys, ...secretKeys]) };
}

/**
 * The problems parseConfig reports about the edge (other sections are other suites' business,
 * so their problems are left out here).
 */
function problems(
    stack: "production" | "dr",
    edit: (ns: Record<string, any>) => void,
    secretKeys: string[] = [],
): string[] {
    try {
        parseConfig(rawStack(stack, edit, secretKeys), stack);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message
            .split("\n")
            .slice(1)
            .filter((line) => /mcp-platform:edge/.test(line));
    }
    return [];
}

/** The committed stack's edge section, parsed on its own. */
function edgeOf(stack: "production" | "dr"): EdgeConfig {
    const raw = rawStack(stack).byNamespace["mcp-platform"].edge;
    const parsed = edgeSchema.safeParse(raw);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    return parsed.data!;
}

describe("mcp-platform:edge", () => {
    it("production deploys the Worker; dr owns only the switch", () => {
        const production = edgeOf("production");
        expect(production.worker?.origins.primary.hostname).toBe(
            "api-us-east-1.mcp-production.com",
        );
        expect(production.switch).toBeUndefined();
        expect(edgeRoleProblems("primary", production)).toEqual([]);
        const dr = edgeOf("dr");
        expect(dr.worker).toBeUndefined();
        expect(dr.switch?.primaryStack).toBe("production");
        expect(edgeRoleProblems("standby", dr)).toEqual([]);
        expect(dr.hostname).toBe(production.hostname);
        expect(dr.accountId).toBe(production.accountId);
        expect(problems("production", () => {})).toEqual([]);
        expect(problems("dr", () => {})).toEqual([]);
    });

    it("wants exactly one of worker or switch", () => {
        expect(problems("production", (ns) => delete ns["mcp-platform"].edge.worker)).toEqual([
            'Pulumi.production.yaml: mcp-platform:edge: expected exactly one of `worker` (the stack that serves traffic) or `switch` (the standby stack) (got ["accountId","hostname"])',
        ]);
    });

    it("keeps the Worker on the primary stack and the switch on the standby", () => {
        // Checked on the parsed section (parseConfig adds these lines once every section parses).
        const production = edgeOf("production");
        const dr = edgeOf("dr");
        expect(formatProblems("Pulumi.dr.yaml", edgeRoleProblems("standby", production))).toBe(
            "Pulumi.dr.yaml: mcp-platform:edge.worker: expected no `worker` on a standby stack: production deploys the Worker; set `switch.primaryStack` here (got a worker block)",
        );
        expect(formatProblems("Pulumi.production.yaml", edgeRoleProblems("primary", dr))).toBe(
            'Pulumi.production.yaml: mcp-platform:edge.switch: expected no `switch` on the primary stack: the standby stack owns the DR switch; set `worker` here (got {"primaryStack":"production","zoneId":"a1b2c3d4e5f60718293a4b5c6d7e8f90"})',
        );
    });

    it("rejects hostnames outside the zone and duplicated hostnames", () => {
        expect(
            problems("production", (ns) => {
                ns["mcp-platform"].edge.hostname = "mcp.example.org";
                ns["mcp-platform"].edge.worker.origins.dr.hostname =
                    "api-us-east-1.mcp-production.com";
            }),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:edge.hostname: expected a hostname inside the zone mcp-production.com (got "mcp.example.org")',
            'Pulumi.production.yaml: mcp-platform:edge.worker.origins: expected distinct hostnames for the edge, each origin and the load balancer (got ["api-us-east-1.mcp-production.com"])',
        ]);
    });

    it("explains malformed ids, origins, limits and stack names", () => {
        expect(
            problems("production", (ns) => {
                const edge = ns["mcp-platform"].edge;
                edge.accountId = "ACCOUNT";
                edge.worker.origins.primary.target = "https://alb.example.com:8443";
                edge.worker.originTimeoutMs = 50;
                edge.worker.maintenance = "yes";
                edge.worker.loadBalancing.enabeld = true;
            }),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:edge.accountId: expected a Cloudflare id: 32 lowercase hexadecimal characters (got "ACCOUNT")',
            'Pulumi.production.yaml: mcp-platform:edge.worker.origins.primary.target: expected a hostname (CNAME target) or an IPv4 address (got "https://alb.example.com:8443")',
            "Pulumi.production.yaml: mcp-platform:edge.worker.originTimeoutMs: expected a number >= 100 (got 50)",
            'Pulumi.production.yaml: mcp-platform:edge.worker.maintenance: expected a boolean (got "yes")',
            'Pulumi.production.yaml: mcp-platform:edge.worker.loadBalancing.enabeld: unknown key; did you mean "enabled"? (got true)',
        ]);
        expect(
            problems("dr", (ns) => {
                ns["mcp-platform"].edge.switch.primaryStack = "acme/production";
            }),
        ).toEqual([
            'Pulumi.dr.yaml: mcp-platform:edge.switch.primaryStack: expected a stack name such as dr (same organization and project) or acme/mcp-platform/dr (got "acme/production")',
        ]);
    });

    it("wants the DR target for Load Balancing and the zone on the standby", () => {
        expect(
            problems("production", (ns) => {
                ns["mcp-platform"].edge.worker.loadBalancing.enabled = true;
            }),
        ).toEqual([
            "Pulumi.production.yaml: mcp-platform:edge.worker.origins.dr.target: expected the DR ALB's DNS name when loadBalancing is enabled (the dr stack's albHostname output) (got nothing)",
        ]);
        expect(
            problems("production", (ns) => {
                ns["mcp-platform"].edge.worker.loadBalancing.enabled = true;
                ns["mcp-platform"].edge.worker.origins.dr.target =
                    "k8s-mcppublic-abc-123.us-west-2.elb.amazonaws.com";
            }),
        ).toEqual([]);
        expect(
            problems("dr", (ns) => {
                delete ns["mcp-platform"].edge.switch.zoneId;
            }),
        ).toHaveLength(1);
    });

    it("accepts the origin credential only as a secret", () => {
        const set = (ns: Record<string, any>) => (ns["mcp-platform"].edgeOriginToken = "t0ken");
        expect(problems("production", set)).toEqual([
            "Pulumi.production.yaml: mcp-platform:edgeOriginToken: a credential must be a secret: run `pulumi config set --secret mcp-platform:edgeOriginToken <value>` (got a plaintext value, not shown)",
        ]);
        expect(problems("production", set, ["mcp-platform:edgeOriginToken"])).toEqual([]);
        expect(credentialKeys).toContain("mcp-platform:edgeOriginToken");
    });
});
