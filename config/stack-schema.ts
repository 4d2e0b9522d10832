import { z } from "zod";
import { projectName } from "../contracts/stack-outputs";
import { credentialKeys, platformSchema, providerSchemas } from ".";

/**
 * A JSON Schema of `Pulumi.<stack>.yaml`, generated from the zod schemas the program validates
 * with (`platformSchema`, `providerSchemas`), so editors (yaml-language-server, through the
 * `# yaml-language-server: $schema=…` line at the top of each stack file) complete keys and
 * flag typos as the program would. `npm run schema` writes it to {@link stackSchemaFile};
 * test/config/stack-schema.test.ts fails when the committed file is not a fresh generation.
 *
 * It describes the shape only: the program's cross-checks (quotas against services, one of
 * `replicas`/`autoscaling`, credentials in `env`, …) still run at validation
 * (`npm run synth -- <stack>`).
 */

/** Where the schema is committed, relative to the repository root. */
export const stackSchemaFile = "config/stack.schema.json";

type JsonSchema = Record<string, unknown>;

/** What Pulumi writes for `pulumi config set --secret`: the ciphertext under `secure`. */
const secureValue: JsonSchema = {
    type: "object",
    properties: { secure: { type: "string", minLength: 1 } },
    required: ["secure"],
    additionalProperties: false,
};

const secureRef = "#/definitions/secure";

/** One zod object's keys as `namespace:key` properties, plus the keys it requires. */
function namespaceProperties(
    namespace: string,
    schema: z.ZodObject,
): { properties: Record<string, JsonSchema>; required: string[] } {
    const generated = z.toJSONSchema(schema, {
        target: "draft-7",
        io: "input",
        unrepresentable: "throw",
    }) as { properties?: Record<string, JsonSchema>; required?: string[]; definitions?: object };
    // Shared sub-schemas would be emitted as `definitions` of the namespace's own document.
    if (generated.definitions) throw new Error(`${namespace}: shared definitions are not merged`);
    const properties: Record<string, JsonSchema> = {};
    for (const [key, value] of Object.entries(generated.properties ?? {})) {
        const fullKey = `${namespace}:${key}`;
        properties[fullKey] = credentialKeys.includes(fullKey)
            ? {
                  allOf: [{ $ref: secureRef }],
                  description: `A credential: only as a secret, \`pulumi config set --secret ${fullKey} <value>\`.`,
              }
            : // Any key may be stored encrypted (`pulumi config set --secret --path …`).
              { anyOf: [value, { $ref: secureRef }] };
    }
    return {
        properties,
        required: (generated.required ?? []).map((key) => `${namespace}:${key}`),
    };
}

/** The schema of a whole stack file. */
export function stackFileJsonSchema(): JsonSchema {
    const namespaces: [string, z.ZodObject][] = [
        [projectName, platformSchema],
        ...(Object.entries(providerSchemas) as [string, z.ZodObject][]),
    ];
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    for (const [namespace, schema] of namespaces) {
        const part = namespaceProperties(namespace, schema);
        Object.assign(properties, part.properties);
        required.push(...part.required);
    }
    return {
        $schema: "http://json-schema.org/draft-07/schema#",
        title: `Pulumi.<stack>.yaml of ${projectName}`,
        description:
            "Generated from the zod schemas in config/ by `npm run schema`; docs/ explains every section.",
        type: "object",
        properties: {
            config: { type: "object", properties, required, additionalProperties: false },
            // What the Pulumi CLI itself keeps in a stack file.
            secretsprovider: { type: "string" },
            encryptedkey: { type: "string" },
            encryptionsalt: { type: "string" },
            environment: {},
        },
        required: ["config"],
        additionalProperties: false,
        definitions: { secure: secureValue },
    };
}
