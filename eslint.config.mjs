// ESLint flat config: typescript-eslint's recommended rules, Pulumi's rule against Outputs in
// template literals, no-unused-expressions (the `expect(x).toBeDefined` without `()` trap), and
// the floor plan: which folders may import which (test/architecture/floors.test.ts).
import pulumi from "@pulumi/eslint-plugin";
import tseslint from "typescript-eslint";

/** The files ESLint lints in a floor. */
const sources = "*.{ts,mts,cts,js,mjs,cjs}";
/** The deepest folder level a floor may have; test/architecture/floors.test.ts fails when a file is deeper. */
const floorDepth = 8;

/**
 * The floor plan. Each folder lists what it must not import and why. A rule names root
 * folders (`folders`), the root folders it may reach (`only`: any other relative import that
 * reaches the repository root is refused) or npm packages (`packages`, a regex).
 */
const floors = {
    contracts: [
        {
            only: ["contracts"],
            message:
                "contracts/ is the ground floor: the names, the DR posture and the constants several rooms share. It imports nothing of ours, so every room (components, config, platform, tools, policies) can import it without a cycle.",
        },
        {
            packages: "^(?:@pulumi/|zod(?:/|$))",
            message:
                "contracts/ is plain TypeScript: no @pulumi/* and no zod, so the shipped tools and the policy pack read it without loading a Pulumi SDK or the stack-file schema.",
        },
    ],
    components: [
        {
            folders: ["config", "platform", "tools", "dev", "test"],
            message:
                "A component owns its args (an interface in its own file); platform/ maps the stack file (config/) to them. Components import only contracts/, components/kit/ and their own domain: config/ would tie a component's API to the stack-file schema, and platform/, tools/, dev/ and test/ stand above the components.",
        },
    ],
    config: [
        {
            folders: ["components", "platform", "tools", "dev", "test"],
            message:
                "config/ parses and checks the stack file and nothing else: it knows neither the resources built from it (components/, platform/) nor the tools. Names it shares with them live in contracts/.",
        },
    ],
    platform: [
        {
            folders: ["tools", "dev", "test"],
            message:
                "platform/ composes components from config/ for index.ts; the tools run it, it never imports them (tools/, dev/) or test code (test/).",
        },
    ],
    // The synth runs index.ts (and through it platform/) by a dynamic import of its path,
    // which this rule does not see: what ships never depends on them at build time.
    tools: [
        {
            folders: ["components", "platform", "dev", "test"],
            message:
                "tools/ ships to operators (the mcp CLI, the DR procedures, synth, preflight). It reads shared names from contracts/ and the stack file through config/, never component internals (components/, platform/: a name both need belongs in contracts/) or develop-only code (dev/, test/).",
        },
    ],
    policies: [
        {
            only: ["policies", "contracts"],
            message:
                "policies/ is the CrossGuard pack, published with its own package.json: besides its own files it may import contracts/ only.",
        },
    ],
};

/** `a|b` for a regex, each name escaped. */
const alternatives = (names) =>
    names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");

/**
 * One config object per folder depth. A relative import from a file `depth` folders below the
 * repository root reaches the root after exactly `depth` `..` segments, so a regex anchored
 * there names the root folder the import lands in, whatever the importing file's depth: a glob
 * such as `**\/config` would also refuse a folder of that name inside the floor.
 */
function floorRules(folder, rules) {
    return Array.from({ length: floorDepth }, (_, level) => {
        const depth = level + 1;
        const toRoot = `^(?:\\./)?(?:\\.\\.(?:/|$)){${depth}}`;
        const patterns = rules.map((rule) => {
            const regex = rule.packages
                ? rule.packages
                : rule.only
                  ? `${toRoot}(?!(?:${alternatives(rule.only)})(?:/|$))`
                  : `${toRoot}(?:${alternatives(rule.folders)})(?:/|$)`;
            return { regex, caseSensitive: true, message: rule.message };
        });
        return {
            name: `floors/${folder}/depth-${depth}`,
            files: [`${folder}/${"*/".repeat(level)}${sources}`],
            rules: { "no-restricted-imports": ["error", { patterns }] },
        };
    });
}

export default tseslint.config(
    { ignores: ["node_modules/", "policies/node_modules/", "out/", "bin/", "worker/dist/"] },
    ...tseslint.configs.recommended,
    {
        files: ["**/*.ts"],
        plugins: { "@pulumi": pulumi },
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
        rules: {
            "@pulumi/no-output-in-template-literal": "error",
            "no-unused-expressions": "off",
            "@typescript-eslint/no-unused-expressions": "error",
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-non-null-assertion": "off",
        },
    },
    ...Object.entries(floors).flatMap(([folder, rules]) => floorRules(folder, rules)),
);
