import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, requiredCredentialKeys } from "../../config";
import { groupConfig } from "../../config/lib/raw";
import { readStackConfig } from "../../tools/lib/stack-file";
import { projectDir, stackFileVariant, synth } from "../support/synth";
import { configProblems, parseStack, type RawNamespaces } from "../support/config";

/** The production stack's config as the CLI would pass it, with `edit` applied. */
const productionWith = (edit?: (ns: RawNamespaces) => void, secretKeys: string[] = []) =>
    parseStack("production", edit, { extraSecretKeys: secretKeys });

const problemsOf = (edit: (ns: RawNamespaces) => void, secretKeys: string[] = []) =>
    configProblems("production", edit, { extraSecretKeys: secretKeys });

describe("stack config", () => {
    it("accepts both committed stacks and fills documented defaults", () => {
        const production = productionWith();
        expect(production.region).toBe("us-east-1");
        expect(production.role).toBe("primary");
        expect(production.dr.name).toBe("primary");
        expect(production.network.natGateways).toBe("perAz");
        const { config, secretKeys } = readStackConfig(
            projectDir,
            path.join(projectDir, "Pulumi.dr.yaml"),
        );
        const dr = parseConfig(
            groupConfig(config, (key) => secretKeys.includes(key)),
            "dr",
        );
        expect(dr.region).toBe("us-west-2");
        expect(dr.dr.name).toBe("standby");
    });

    it("rejects a wrongly typed value with its key path", () => {
        expect(
            problemsOf((ns) => (ns["mcp-platform"].network.availabilityZoneCount = "three")),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:network.availabilityZoneCount: expected a number (got "three")',
        ]);
    });

    it("rejects a string where a list is expected", () => {
        expect(
            problemsOf(
                (ns) => (ns["mcp-platform"].cluster.adminRoleArns = "arn:aws:iam::1:role/x"),
            ),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:cluster.adminRoleArns: expected a list (got "arn:aws:iam::1:role/x")',
        ]);
    });

    it("rejects a boolean given as text", () => {
        expect(problemsOf((ns) => (ns["mcp-platform"].drActive = "yes"))).toEqual([
            'Pulumi.production.yaml: mcp-platform:drActive: expected a boolean (got "yes")',
        ]);
    });

    it("names the closest key for an unknown key", () => {
        expect(
            problemsOf((ns) => {
                ns["mcp-platform"].network.natGatways = "single";
            }),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:network.natGatways: unknown key; did you mean "natGateways"? (got "single")',
        ]);
    });

    it("names the closest top-level key and namespace", () => {
        const problems = problemsOf((ns) => {
            ns["mcp-platform"].clustr = {};
            ns["mcp-platfrom"] = { owner: "x" };
        });
        expect(problems).toContain(
            'Pulumi.production.yaml: mcp-platfrom:owner: unknown config namespace; did you mean "mcp-platform:owner"? (got "x")',
        );
        expect(problems).toContain(
            'Pulumi.production.yaml: mcp-platform:clustr: unknown key; did you mean "cluster"? (got {})',
        );
    });

    it("reports a missing required key", () => {
        expect(problemsOf((ns) => delete ns["mcp-platform"].owner)).toEqual([
            "Pulumi.production.yaml: mcp-platform:owner: is required: expected a string (got nothing)",
        ]);
    });

    it("reports a missing required nested key", () => {
        expect(problemsOf((ns) => delete ns["mcp-platform"].network.vpcCidr)).toEqual([
            "Pulumi.production.yaml: mcp-platform:network.vpcCidr: is required: expected a string (got nothing)",
        ]);
    });

    it("rejects out-of-range numbers", () => {
        expect(problemsOf((ns) => (ns["mcp-platform"].network.availabilityZoneCount = 9))).toEqual([
            "Pulumi.production.yaml: mcp-platform:network.availabilityZoneCount: expected a number <= 6 (got 9)",
        ]);
        expect(problemsOf((ns) => (ns["mcp-platform"].network.flowLogRetentionDays = 0))).toEqual([
            "Pulumi.production.yaml: mcp-platform:network.flowLogRetentionDays: expected a number >= 1 (got 0)",
        ]);
    });

    it("rejects a bad CIDR", () => {
        expect(problemsOf((ns) => (ns["mcp-platform"].network.vpcCidr = "10.10.0.1/16"))).toEqual([
            'Pulumi.production.yaml: mcp-platform:network.vpcCidr: expected an IPv4 CIDR block such as 10.0.0.0/16 (network address, prefix 0-32) (got "10.10.0.1/16")',
        ]);
    });

    it("refuses an API endpoint open to the internet", () => {
        expect(
            problemsOf(
                (ns) => (ns["mcp-platform"].cluster.endpointPublicAccessCidrs = ["0.0.0.0/0"]),
            ),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:cluster.endpointPublicAccessCidrs[0]: expected a restricted CIDR, /16 or narrower; wider ranges open the API to much of the internet (got "0.0.0.0/0")',
            'Pulumi.production.yaml: mcp-platform:cluster.endpointPublicAccessCidrs: expected CIDRs that leave most of the internet out; together these cover every address (got ["0.0.0.0/0"])',
        ]);
    });

    it("rejects a bad region", () => {
        expect(problemsOf((ns) => (ns.aws.region = "us-east-9"))).toEqual([
            'Pulumi.production.yaml: aws:region: expected an AWS region such as us-east-1 or us-west-2 (got "us-east-9")',
        ]);
    });

    it("rejects a bad cron expression", () => {
        expect(
            problemsOf((ns) => (ns["mcp-platform"].backups.schedules.postgres = "0 * * *")),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:backups.schedules.postgres: expected a 5-field cron schedule such as "0 * * * *" or a macro such as @daily (got "0 * * *")',
        ]);
    });

    it("rejects node-group sizes where min exceeds max", () => {
        const problems = problemsOf(
            (ns) => (ns["mcp-platform"].cluster.nodeGroups.system.minSize = 7),
        );
        expect(problems[0]).toBe(
            "Pulumi.production.yaml: mcp-platform:cluster.nodeGroups.system.minSize: expected minSize <= maxSize (6) (got 7)",
        );
    });

    it("rejects activated node-group sizes beyond maxSize", () => {
        expect(
            problemsOf(
                (ns) =>
                    (ns["mcp-platform"].cluster.nodeGroups.workload.activated = {
                        minSize: 6,
                        desiredSize: 40,
                    }),
            ),
        ).toEqual([
            "Pulumi.production.yaml: mcp-platform:cluster.nodeGroups.workload.activated.desiredSize: expected activated sizes with minSize (6) <= desiredSize <= maxSize (6) (got 40)",
        ]);
    });

    it("rejects an empty admin list", () => {
        expect(problemsOf((ns) => (ns["mcp-platform"].cluster.adminRoleArns = []))).toEqual([
            "Pulumi.production.yaml: mcp-platform:cluster.adminRoleArns: expected at least 1 item(s) (got [])",
        ]);
    });

    it("rejects a credential given in plaintext without echoing it", () => {
        const { config, secretKeys } = readStackConfig(
            projectDir,
            path.join(projectDir, "Pulumi.production.yaml"),
        );
        const raw = groupConfig(
            { ...config, "cloudflare:apiToken": "plain-token-value" },
            (key) => key !== "cloudflare:apiToken" && secretKeys.includes(key),
        );
        let message = "";
        try {
            parseConfig(raw, "production");
        } catch (error) {
            expect(error).toBeInstanceOf(ConfigError);
            message = (error as Error).message;
        }
        expect(message.split("\n").slice(1)).toEqual([
            "Pulumi.production.yaml: cloudflare:apiToken: a credential must be a secret: run `pulumi config set --secret cloudflare:apiToken <value>` (got a plaintext value, not shown)",
        ]);
        expect(message).not.toContain("plain-token-value");
    });

    it("requires the Cloudflare API token on a stack with an edge, naming the command", () => {
        expect(problemsOf((ns) => delete ns.cloudflare.apiToken)).toEqual([
            "Pulumi.production.yaml: cloudflare:apiToken: a required credential is not set: run `pulumi config set --secret cloudflare:apiToken <value>` (got nothing)",
        ]);
        const withoutEdge = productionWith((ns) => {
            delete ns.cloudflare.apiToken;
            delete ns["mcp-platform"].edge;
        });
        expect(Object.keys(withoutEdge.credentials)).not.toContain("cloudflare:apiToken");
    });

    it("fills an unset credential with a named placeholder offline only", () => {
        const stackConfig = readStackConfig(
            projectDir,
            path.join(projectDir, "Pulumi.production.yaml"),
        );
        expect(stackConfig.unsetCredentials).toEqual(requiredCredentialKeys(true));
        expect(stackConfig.config["cloudflare:apiToken"]).toBe("unset:cloudflare:apiToken");
        expect(stackConfig.secretKeys).toEqual(
            expect.arrayContaining(requiredCredentialKeys(true)),
        );
    });

    it("accepts a credential given as a secret and keeps it secret", () => {
        const config = productionWith(
            (ns) => (ns.cloudflare = { apiToken: "[secret]" }),
            ["cloudflare:apiToken"],
        );
        expect(Object.keys(config.credentials)).toContain("cloudflare:apiToken");
    });

    it("refuses drActive on a primary stack", () => {
        expect(problemsOf((ns) => (ns["mcp-platform"].drActive = true))).toEqual([
            "Pulumi.production.yaml: mcp-platform:drActive: expected false on a primary stack; only a standby (role: standby) is activated (got true)",
        ]);
    });

    it("lists every problem at once", () => {
        const problems = problemsOf((ns) => {
            ns.aws.region = "mars-1";
            delete ns["mcp-platform"].owner;
            ns["mcp-platform"].network.vpcCidr = "nope";
        });
        expect(problems).toHaveLength(3);
    });
});

describe("synth with bad config", () => {
    it("exits 1 with the key path and no stack trace", () => {
        const stackFile = stackFileVariant("production", (doc) => {
            (doc.config["mcp-platform:network"] as Record<string, unknown>).availabilityZoneCount =
                "three";
        });
        const result = synth("production", { stackFile });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            'Pulumi.production.yaml: mcp-platform:network.availabilityZoneCount: expected a number (got "three")',
        );
        expect(result.stderr).not.toMatch(/\n\s+at /);
    });

    it("exits non-zero for an unknown stack and names the stacks that exist", () => {
        const result = synth("nosuchstack");
        expect(result.status).not.toBe(0);
        expect(result.stderr).toContain(
            'unknown stack "nosuchstack"; stacks in this project: dr, production',
        );
    });
});
