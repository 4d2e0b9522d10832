import * as fs from "node:fs";
import * as path from "node:path";
import { ESLint } from "eslint";
import * as ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * The floor plan as eslint.config.mjs enforces it: each case lints a small snippet as if it
 * were a file at that path (the file need not exist) with the repository's real ESLint config,
 * and expects `no-restricted-imports` to report it or not. The parser runs without type
 * information here (only the import rule is run), so a made-up path parses.
 */
const projectDir = path.resolve(__dirname, "../..");
const floorFolders = ["contracts", "components", "config", "platform", "tools", "policies"];

let eslint: ESLint;
beforeAll(() => {
    eslint = new ESLint({
        cwd: projectDir,
        overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
        ruleFilter: ({ ruleId }) => ruleId === "no-restricted-imports",
    });
});

/** The `no-restricted-imports` messages for `code` linted as the file `file`. */
async function restricted(file: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(projectDir, file) });
    const fatal = result.messages.filter((m) => m.fatal);
    expect(fatal, `${file}: ${fatal.map((m) => m.message).join("; ")}`).toEqual([]);
    return result.messages.map((m) => m.message);
}

/** [file, import specifier, a phrase of the rule's message] that must be reported. */
const violations: [string, string, string][] = [
    // contracts/ imports nothing of ours and no SDK or schema library
    ["contracts/probe.ts", "../config", "ground floor"],
    ["contracts/probe.ts", "../components/kit/labels", "ground floor"],
    ["contracts/probe.ts", "..", "ground floor"],
    ["contracts/deeper/probe.ts", "../../config/index", "ground floor"],
    ["contracts/probe.ts", "@pulumi/pulumi", "no @pulumi/* and no zod"],
    ["contracts/probe.ts", "zod", "no @pulumi/* and no zod"],
    // components/ never import config/, platform/, tools/, dev/, test/ — at every depth
    ["components/data/probe.ts", "../../config/data", "owns its args"],
    ["components/data/probe.ts", "./../../config", "owns its args"],
    ["components/monitoring/alert-catalog/probe.ts", "../../../config/monitoring", "owns its args"],
    ["components/cluster/probe.ts", "../../platform/in-cluster", "owns its args"],
    ["components/cluster/probe.ts", "../../tools/lib/records", "owns its args"],
    ["components/cluster/probe.ts", "../../dev/lib/wal-bench", "owns its args"],
    ["components/cluster/probe.ts", "../../test/support/synth", "owns its args"],
    // config/ never imports what is built from it or the tools
    ["config/probe.ts", "../components/kit/labels", "parses and checks the stack file"],
    ["config/lib/probe.ts", "../../platform", "parses and checks the stack file"],
    ["config/probe.ts", "../tools/lib/stack-file", "parses and checks the stack file"],
    ["config/probe.ts", "../dev/lib/wal-bench", "parses and checks the stack file"],
    // platform/ never imports the tools or test code
    ["platform/probe.ts", "../tools/lib/records", "composes components"],
    ["platform/probe.ts", "../test/support/synth", "composes components"],
    // what ships never imports component internals or develop-only code
    ["tools/mcp/verbs/probe.ts", "../../../components/data/postgres-pods", "ships to operators"],
    ["tools/probe.ts", "../platform", "ships to operators"],
    ["tools/lib/probe.ts", "../../test/support/ops", "ships to operators"],
    ["tools/lib/dr/probe.ts", "../../../dev/lib/wal-bench", "ships to operators"],
    // the policy pack imports contracts/ and nothing else of ours
    ["policies/probe.ts", "../config", "CrossGuard pack"],
    ["policies/lib/probe.ts", "../../components/kit/labels", "CrossGuard pack"],
    ["policies/lib/probe.ts", "../../tools/lib/records", "CrossGuard pack"],
];

/** [file, import specifier] that the floors allow. */
const allowed: [string, string][] = [
    ["contracts/probe.ts", "./names"],
    ["contracts/deeper/probe.ts", "../names"],
    ["contracts/probe.ts", "node:path"],
    ["components/data/probe.ts", "../../contracts/names"],
    ["components/data/probe.ts", "../kit/labels"],
    ["components/data/probe.ts", "./postgres"],
    // a folder inside a floor that is named like a root folder is not that folder
    ["components/data/probe.ts", "./config"],
    ["components/monitoring/alert-catalog/probe.ts", "../../../contracts/cron"],
    ["components/data/probe.ts", "@pulumi/pulumi"],
    ["config/probe.ts", "../contracts/quantity"],
    ["config/probe.ts", "./lib/raw"],
    ["config/probe.ts", "zod"],
    ["platform/probe.ts", "../components/data"],
    ["platform/probe.ts", "../config"],
    ["tools/mcp/verbs/probe.ts", "../../../contracts/names"],
    ["tools/mcp/verbs/probe.ts", "../../../config"],
    ["tools/mcp/verbs/probe.ts", "../lib/kube"],
    ["tools/probe.ts", "../policies/policies"],
    ["policies/probe.ts", "./lib/cidr"],
    ["policies/lib/probe.ts", "../aws"],
    ["policies/lib/probe.ts", "../../contracts/quantity"],
];

describe("the floor plan (eslint.config.mjs)", () => {
    it.each(violations)("%s may not import %s", async (file, specifier, why) => {
        for (const code of [
            `import { x } from "${specifier}";\nexport const y = x;\n`,
            `import type { X } from "${specifier}";\nexport type Y = X;\n`,
            `export * from "${specifier}";\n`,
        ]) {
            const messages = await restricted(file, code);
            expect(messages, code).toHaveLength(1);
            expect(messages[0], code).toContain(`'${specifier}'`);
            expect(messages[0], code).toContain(why);
        }
    });

    it.each(allowed)("%s may import %s", async (file, specifier) => {
        expect(
            await restricted(file, `import { x } from "${specifier}";\nexport const y = x;\n`),
        ).toEqual([]);
    });

    it("covers every source file of every floor, however deep", async () => {
        const files = floorFolders.flatMap((folder) =>
            fs.existsSync(path.join(projectDir, folder))
                ? fs
                      .readdirSync(path.join(projectDir, folder), { recursive: true })
                      .map((f) => path.join(folder, String(f)))
                      .filter((f) => /\.[cm]?[jt]s$/.test(f) && !f.includes("node_modules"))
                : [],
        );
        expect(files.length).toBeGreaterThan(150);
        for (const file of files) {
            const config = await eslint.calculateConfigForFile(path.join(projectDir, file));
            const depth = file.split(path.sep).length - 1;
            const [severity, options] = config.rules?.["no-restricted-imports"] ?? [];
            expect(severity, file).toBe(2);
            // the rule's regexes count exactly as many `..` as the file is deep
            expect(JSON.stringify(options.patterns), file).toContain(`{${depth}}`);
        }
    });
});

describe("contracts/ (read from the files themselves, independent of ESLint)", () => {
    const dir = path.join(projectDir, "contracts");
    const sources = fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".ts"));

    it("imports only other contracts/ files, and no @pulumi/* or zod", () => {
        expect(sources.length).toBeGreaterThan(0);
        for (const file of sources) {
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            const { importedFiles } = ts.preProcessFile(text, true, true);
            for (const { fileName } of importedFiles) {
                const where = `contracts/${file} imports ${fileName}`;
                if (fileName.startsWith(".")) {
                    const target = path.resolve(path.dirname(path.join(dir, file)), fileName);
                    expect(path.relative(dir, target).startsWith(".."), where).toBe(false);
                } else {
                    expect(fileName, where).not.toMatch(/^(@pulumi\/|zod(\/|$))/);
                }
            }
        }
    });
});
