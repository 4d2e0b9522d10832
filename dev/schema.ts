/**
 * `npm run schema`: writes config/stack.schema.json, the JSON Schema of `Pulumi.<stack>.yaml`
 * generated from the zod schemas in config/ (config/stack-schema.ts), formatted as prettier
 * formats the repository. Run it after changing a schema in config/ and commit the file;
 * test/config/stack-schema.test.ts fails until then.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as prettier from "prettier";
import { stackFileJsonSchema, stackSchemaFile } from "../config/stack-schema";

const projectDir = path.resolve(__dirname, "..");

/** The file's text as `npm run schema` writes it. */
export async function stackSchemaText(): Promise<string> {
    const file = path.join(projectDir, stackSchemaFile);
    const options = (await prettier.resolveConfig(file)) ?? {};
    return prettier.format(JSON.stringify(stackFileJsonSchema()), {
        ...options,
        filepath: file,
    });
}

async function main(): Promise<void> {
    const file = path.join(projectDir, stackSchemaFile);
    const text = await stackSchemaText();
    const before = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
    if (before === text) {
        console.log(`${stackSchemaFile} is up to date`);
        return;
    }
    fs.writeFileSync(file, text);
    console.log(`wrote ${stackSchemaFile} (${text.length} bytes)`);
}

if (require.main === module) {
    main().catch((error: unknown) => {
        console.error(`schema: ${(error as Error).stack ?? String(error)}`);
        process.exit(1);
    });
}
