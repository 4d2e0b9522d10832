import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../config";
import { groupConfig } from "../../config/lib/raw";
import { readStackConfig, StackFileError } from "../../tools/lib/stack-file";
import { configProblems, parseStack } from "../support/config";
import { projectDir, stackFileVariant } from "../support/synth";

const secretValue = "s3cr3t-value-0123456789";

describe("an unknown key named like a credential", () => {
    it.each([["slackWebhokUrl"], ["PagerDutyTOKEN"], ["dbPassword"], ["clientSecret"], ["apiKey"]])(
        "%s is reported without its value",
        (key) => {
            const problems = configProblems("production", (ns) => {
                ns["mcp-platform"][key] = secretValue;
            });
            expect(problems).toHaveLength(1);
            expect(problems[0]).toMatch(
                new RegExp(
                    `^Pulumi\\.production\\.yaml: mcp-platform:${key}: unknown key; .* \\(value hidden\\)$`,
                ),
            );
            expect(problems[0]).not.toContain(secretValue);
        },
    );

    it("is hidden in a nested section and in an unknown namespace too", () => {
        const problems = configProblems("production", (ns) => {
            ns["mcp-platform"].network.routingToken = secretValue;
            ns.cloudfare = { apiToken: secretValue };
        });
        expect(problems).toEqual([
            'Pulumi.production.yaml: cloudfare:apiToken: unknown config namespace; did you mean "cloudflare:apiToken"? (value hidden)',
            expect.stringMatching(
                /^Pulumi\.production\.yaml: mcp-platform:network\.routingToken: unknown key; .* \(value hidden\)$/,
            ),
        ]);
    });

    it("other unknown keys still show what was written", () => {
        expect(
            configProblems(
                "production",
                (ns) => (ns["mcp-platform"].network.natGatways = "single"),
            ),
        ).toEqual([
            'Pulumi.production.yaml: mcp-platform:network.natGatways: unknown key; did you mean "natGateways"? (got "single")',
        ]);
    });
});

describe("secure: values", () => {
    it.each([['""'], ['"  "']])("secure: %s is refused, naming the key", (empty) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secure-"));
        const file = path.join(dir, "Pulumi.production.yaml");
        fs.writeFileSync(file, `config:\n  mcp-platform:slackWebhookUrl:\n    secure: ${empty}\n`);
        expect(() => readStackConfig(projectDir, file)).toThrow(StackFileError);
        expect(() => readStackConfig(projectDir, file)).toThrow(
            "Pulumi.production.yaml: mcp-platform:slackWebhookUrl: expected the ciphertext `pulumi config set --secret` writes (got an empty secure: value)",
        );
    });
});

/** Reads a stack file the way the program does: every top-level value as text. */
function parseFile(stack: string, file: string, stackDir?: string) {
    const { config, secretKeys } = readStackConfig(projectDir, file);
    const raw = groupConfig(config, (key) => secretKeys.includes(key));
    return parseConfig({ ...raw, stackDir }, stack);
}

describe("text that looks like a number", () => {
    it('keeps owner: "12345" a string', () => {
        const file = stackFileVariant("production", (doc) => {
            doc.config["mcp-platform:owner"] = "12345";
        });
        expect(fs.readFileSync(file, "utf8")).toContain('mcp-platform:owner: "12345"');
        expect(parseFile("production", file).owner).toBe("12345");
    });

    it("keeps text that is not a canonical number as written", () => {
        const raw = groupConfig(
            { "p:a": "007", "p:b": "1.50", "p:c": "42", "p:d": "true" },
            () => false,
        );
        expect(raw.byNamespace.p).toEqual({ a: "007", b: "1.50", c: 42, d: true });
    });

    it("still refuses a number where a boolean is expected", () => {
        expect(configProblems("production", (ns) => (ns["mcp-platform"].drActive = 1))).toEqual([
            "Pulumi.production.yaml: mcp-platform:drActive: expected a boolean (got 1)",
        ]);
    });
});

describe("default tag values", () => {
    it("accepts an owner of 256 characters and refuses 257", () => {
        expect(
            parseStack("production", (ns) => (ns["mcp-platform"].owner = "o".repeat(256))).owner,
        ).toHaveLength(256);
        expect(
            configProblems("production", (ns) => (ns["mcp-platform"].owner = "o".repeat(257))),
        ).toEqual([
            `Pulumi.production.yaml: mcp-platform:owner: expected at most 256 character(s) (got "${"o".repeat(56)}...)`,
        ]);
    });
});

describe("the production and dr VPC ranges", () => {
    it("are refused when production's overlaps the range in Pulumi.dr.yaml", () => {
        expect(
            configProblems(
                "production",
                (ns) => (ns["mcp-platform"].network.vpcCidr = "10.20.0.0/18"),
            ),
        ).toEqual([
            `Pulumi.production.yaml: mcp-platform:network.vpcCidr: expected a range that does not overlap the dr stack's 10.20.0.0/16 (Pulumi.dr.yaml) (got "10.20.0.0/18")`,
        ]);
    });

    it("are refused when dr's overlaps the range in Pulumi.production.yaml", () => {
        expect(
            configProblems("dr", (ns) => (ns["mcp-platform"].network.vpcCidr = "10.10.0.0/20")),
        ).toEqual([
            `Pulumi.dr.yaml: mcp-platform:network.vpcCidr: expected a range that does not overlap the production stack's 10.10.0.0/16 (Pulumi.production.yaml) (got "10.10.0.0/20")`,
        ]);
    });

    it("are not compared when the other stack's file is not beside this one", () => {
        const file = stackFileVariant("production", (doc) => {
            (doc.config["mcp-platform:network"] as { vpcCidr: string }).vpcCidr = "10.20.0.0/16";
        });
        expect(parseFile("production", file, path.dirname(file)).network.vpcCidr).toBe(
            "10.20.0.0/16",
        );
        expect(() => parseFile("production", file, projectDir)).toThrow(
            /does not overlap the dr stack/,
        );
    });
});
