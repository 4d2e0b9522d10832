import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDir, synth } from "../support/synth";

const fixture = (file: string) => path.join(projectDir, "test/fixtures/programs", file);
const stackTrace = /^\s+at /m;

describe("npm run synth -- production --program <a program calling an unmocked invoke>", () => {
    const result = synth("production", { program: fixture("unknown-invoke.ts") });

    it("fails with one line naming the token, without a stack trace", () => {
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(
            "mock invoke not implemented: aws:ec2/getVpc:getVpc (add it to tools/lib/mocks.ts)\n",
        );
        expect(result.stderr).not.toMatch(stackTrace);
    });
});

describe("npm run synth -- production --program <policy document, YAML, two Workers>", () => {
    const result = synth("production", { program: fixture("any-program.ts") });

    it("synthesizes", () => {
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
    });

    it("renders getPolicyDocument's statements as the provider does", () => {
        const outputs = JSON.parse(result.read("outputs.json")) as { policyJson: string };
        expect(JSON.parse(outputs.policyJson)).toEqual({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ReadBucket",
                    Effect: "Allow",
                    Action: "s3:GetObject",
                    Resource: "arn:aws:s3:::example/*",
                    Principal: { AWS: "arn:aws:iam::123456789012:root" },
                    Condition: { Bool: { "aws:SecureTransport": "true" } },
                },
                { Effect: "Deny", Action: ["s3:DeleteObject", "s3:PutObject"], Resource: "*" },
            ],
        });
        const policy = result.resources().find((r) => r.type === "aws:iam/policy:Policy");
        expect(policy?.inputs.policy).toBe(outputs.policyJson);
    });

    it("decodes the YAML stream into one object per document", () => {
        const configMaps = result
            .resources()
            .filter((r) => r.type === "kubernetes:core/v1:ConfigMap")
            .map((r) => r.name)
            .sort();
        expect(configMaps).toEqual(["mcp-platform/first", "mcp-platform/second"]);
        expect(result.read("k8s/mcp-platform/configmap-first.yaml")).toContain('a: "1"');
    });

    it("writes each Worker's module under its script's name", () => {
        expect(result.read("worker/blue/worker.js")).toContain('new Response("blue")');
        expect(result.read("worker/green/worker.js")).toContain('new Response("green")');
    });
});
