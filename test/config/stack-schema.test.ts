import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { stackFileJsonSchema, stackSchemaFile } from "../../config/stack-schema";
import { stackSchemaText } from "../../dev/schema";
import { listStacks } from "../../tools/lib/stack-file";
import { projectDir } from "../support/synth";

/**
 * The committed JSON Schema of the stack files (config/stack.schema.json) is what
 * `npm run schema` generates from the zod schemas today, every stack file points editors at
 * it, and it accepts the committed stack files and refuses what the program refuses by shape.
 */
const committed = JSON.parse(fs.readFileSync(path.join(projectDir, stackSchemaFile), "utf8"));
// Formats (email, uri) are the program's to check: zod validates them at load; ajv here checks
// the structure editors see.
const ajv = new Ajv({ allErrors: true, strict: true, validateFormats: false });
const validate = ajv.compile(committed);

const stackFile = (stack: string) => path.join(projectDir, `Pulumi.${stack}.yaml`);
const stackDoc = (stack: string) => parse(fs.readFileSync(stackFile(stack), "utf8"));

/** ajv's errors as `<instance path> <message>` lines. */
function errors(doc: unknown): string[] {
    return validate(doc)
        ? []
        : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe("the stack files' JSON Schema", () => {
    it("is committed exactly as `npm run schema` generates it", async () => {
        expect(committed, `run \`npm run schema\` and commit ${stackSchemaFile}`).toEqual(
            stackFileJsonSchema(),
        );
        expect(fs.readFileSync(path.join(projectDir, stackSchemaFile), "utf8")).toBe(
            await stackSchemaText(),
        );
    });

    it.each(listStacks(projectDir))(
        "Pulumi.%s.yaml names it on its first line and is valid",
        (stack) => {
            const firstLine = fs.readFileSync(stackFile(stack), "utf8").split("\n")[0];
            expect(firstLine).toBe(`# yaml-language-server: $schema=./${stackSchemaFile}`);
            expect(errors(stackDoc(stack))).toEqual([]);
        },
    );

    it("refuses unknown keys, wrong types and plaintext credentials, as the program does", () => {
        const doc = stackDoc("production");
        doc.config["mcp-platform:enviroment"] = "production";
        doc.config["mcp-platform:drActive"] = "yes";
        doc.config["mcp-platform:slackWebhookUrl"] = "https://hooks.example.com/x";
        doc.config["aws:regoin"] = "us-east-1";
        doc.config["mcp-platform:workloads"].services["mcp-registry"].replicaz = 2;
        const found = errors(doc);
        expect(found).toContain("/config must NOT have additional properties");
        expect(found).toContain("/config/mcp-platform:drActive must be boolean");
        expect(found).toContain("/config/mcp-platform:slackWebhookUrl must be object");
        expect(found).toContain(
            "/config/mcp-platform:workloads/services/mcp-registry must NOT have additional properties",
        );
        const extra = validate.errors!.filter((e) => e.keyword === "additionalProperties");
        expect(extra.map((e) => e.params.additionalProperty)).toEqual(
            expect.arrayContaining(["mcp-platform:enviroment", "aws:regoin", "replicaz"]),
        );
    });

    it("accepts any key as a secure: value, and a credential only so", () => {
        const doc = stackDoc("production");
        doc.config["mcp-platform:slackWebhookUrl"] = { secure: "v1:AAAA" };
        doc.config["mcp-platform:workloads"] = { secure: "v1:BBBB" };
        expect(errors(doc)).toEqual([]);
        delete doc.config["mcp-platform:network"];
        expect(errors(doc)).toContain("/config must have required property 'mcp-platform:network'");
    });
});
