import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { configProblems, parseStack } from "../support/config";
import { stackFileVariant, synth } from "../support/synth";

const service = "mcp-typescript-api";

/** Credential-shaped values, assembled so no scanner mistakes this file for a leak. */
const credentials: [string, string][] = [
    [
        "a URL with a user:password@ part",
        ["postgres://app:", "hunter2", "@db.internal:5432/app"].join(""),
    ],
    ["an AWS access key id", ["AKIA", "IOSFODNN7EXAMPLE"].join("")],
    ["an AWS access key id", ["ASIA", "Y34FZKBOKMUTVV7A"].join("")],
    [
        "a PEM private key",
        ["-----BEGIN RSA PRIVATE", " KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"].join(""),
    ],
    ["a PEM private key", ["-----BEGIN PRIVATE", " KEY-----\nMIIEv"].join("")],
    ["a GitHub token", ["ghp_", "a".repeat(36)].join("")],
    ["a Slack token", ["xoxb-", "123456789012-abcdefghij"].join("")],
    ["a Slack token", ["xoxp-", "123456789012-abcdefghij"].join("")],
    ["a Stripe secret key", ["sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"].join("")],
    ["a JWT", ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0In0", "c2lnbmF0dXJl"].join(".")],
];

describe("a plaintext credential in a service's env", () => {
    it.each(credentials)("%s is refused by key path, without its value", (kind, value) => {
        const problems = configProblems("production", (ns) => {
            ns["mcp-platform"].workloads.services[service].env.DATABASE_URL = value;
        });
        expect(problems).toEqual([
            `Pulumi.production.yaml: mcp-platform:workloads.services.${service}.env.DATABASE_URL: expected no credential in env (this looks like ${kind}); store it in mcp-secrets and read it through secretEnv (value hidden)`,
        ]);
        expect(problems.join("\n")).not.toContain(value.slice(8, 20));
    });

    it.each([
        ["https://api.example.com/v1"],
        ["--max-old-space-size=3072"],
        ["user@example.com"],
        ["AKIA-not-a-key"],
        ["eyJ"],
        ["sk_test_4eC39HqLyjWDarjtT1zdp7dc"],
    ])("%s is an ordinary value", (value) => {
        const config = parseStack("production", (ns) => {
            ns["mcp-platform"].workloads.services[service].env.SETTING = value;
        });
        expect(config.workloads.services[service].env.SETTING).toBe(value);
    });

    it("fails the synth before anything is written to its output folder", () => {
        const value = ["postgres://app:", "hunter2", "@db.internal/app"].join("");
        const file = stackFileVariant("production", (doc) => {
            const workloads = doc.config["mcp-platform:workloads"] as {
                services: Record<string, { env: Record<string, string> }>;
            };
            workloads.services[service].env.DATABASE_URL = value;
        });
        const result = synth("production", { stackFile: file });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            `Pulumi.production.yaml: mcp-platform:workloads.services.${service}.env.DATABASE_URL: expected no credential in env`,
        );
        expect(result.stderr + result.stdout).not.toContain("hunter2");
        expect(fs.existsSync(path.join(result.outDir, "resources.json"))).toBe(false);
    });
});
