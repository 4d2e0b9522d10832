import { describe, expect, it } from "vitest";
import { synth } from "../support/synth";

describe.each([
    ["production", "us-east-1"],
    ["dr", "us-west-2"],
])("npm run synth -- %s", (stack, region) => {
    const result = synth(stack);

    it("exits 0 and writes the output contract", () => {
        expect(result.stderr).toBe("");
        expect(result.status).toBe(0);
        expect(result.stdout.split("\n")[0]).toMatch(
            new RegExp(
                `^${stack}: \\d+ resources, \\d+ policies, 0 mandatory violations, 0 advisory$`,
            ),
        );
        expect(result.policyReport().ran.length).toBeGreaterThan(0);
    });

    it("records every resource with type, name, urn, parent and inputs", () => {
        for (const record of result.resources()) {
            expect(Object.keys(record)).toEqual(
                expect.arrayContaining(["type", "name", "urn", "inputs"]),
            );
            expect(record.urn).toMatch(new RegExp(`^urn:pulumi:${stack}::mcp-platform::`));
            expect(record.parent).toMatch(/^urn:pulumi:/);
        }
    });

    it("declares the stack's AWS provider in its region with the default tags", () => {
        const providers = result.resources().filter((r) => r.type === "pulumi:providers:aws");
        expect(providers).toHaveLength(1);
        expect(providers[0].inputs.region).toBe(region);
        const tags = JSON.parse(providers[0].inputs.defaultTags as string).tags;
        expect(tags).toEqual({
            environment: stack,
            stack,
            owner: "platform-sre",
            "managed-by": "pulumi",
        });
    });

    it("creates every AWS resource through the stack's provider, so each carries the tags", () => {
        const provider = result.resources().find((r) => r.type === "pulumi:providers:aws")!;
        const awsResources = result.resources().filter((r) => r.type.startsWith("aws:"));
        for (const resource of awsResources)
            expect(resource.provider, resource.urn).toBe(provider.urn);
    });

    it("redacts secret stack outputs such as the kubeconfig", () => {
        const outputs = JSON.parse(result.read("outputs.json"));
        expect(outputs.kubeconfig).toBe("[secret]");
        expect(outputs.region).toBe(region);
    });

    it("never writes a secret in plaintext", () => {
        const text = result.read("resources.json");
        expect(text).not.toMatch(
            /"(password|secret|token|apiToken|routingKey)"\s*:\s*"(?!\[secret\])[^"]+"/i,
        );
    });
});
