import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { projectDir } from "./support/synth";

/**
 * renovate.json: the groups cover the packages this repository really has, and the custom
 * managers' patterns still find the versions they are meant to update (a pattern that stops
 * matching silently stops updating). Renovate's own check of the keys and values is
 * `npx --package renovate renovate-config-validator --strict renovate.json` (it compiles the
 * native re2 module, minutes on a small machine).
 */
type Rule = {
    groupName?: string;
    matchPackageNames?: string[];
    matchUpdateTypes?: string[];
    automerge?: boolean;
    dependencyDashboardApproval?: boolean;
};
type CustomManager = {
    managerFilePatterns: string[];
    matchStrings: string[];
    depNameTemplate: string;
};
const read = (file: string) => fs.readFileSync(path.join(projectDir, file), "utf8");
const config = JSON.parse(read("renovate.json")) as {
    enabledManagers: string[];
    rangeStrategy: string;
    automerge: boolean;
    postUpdateOptions: string[];
    customManagers: CustomManager[];
    packageRules: Rule[];
};

/** Renovate's matchPackageNames: an exact name, or a glob ending in "/**" for a scope. */
const matches = (pattern: string, name: string) =>
    pattern.endsWith("/**") ? name.startsWith(pattern.slice(0, -2)) : pattern === name;
const groupOf = (name: string) =>
    config.packageRules
        .filter((rule) => rule.groupName && rule.matchPackageNames?.some((p) => matches(p, name)))
        .map((rule) => rule.groupName);

const npmPackages = ["package.json", "policies/package.json"].flatMap((file) => {
    const manifest = JSON.parse(read(file));
    return Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
});
const sdkVersion = JSON.parse(read("package.json")).dependencies["@pulumi/pulumi"] as string;
const ciNodeVersion = /^NODE_VERSION=(\S+)$/m.exec(read(".ci/run"))?.[1];

/** The files a custom manager reads (its managerFilePatterns are /regex/ strings). */
const filesOf = (manager: CustomManager) => {
    const candidates = [
        ".ci/run",
        "dev/engines/build.sh",
        ...fs
            .readdirSync(path.join(projectDir, ".github/workflows"))
            .map((f) => `.github/workflows/${f}`),
    ];
    const patterns = manager.managerFilePatterns.map((p) => new RegExp(p.slice(1, -1)));
    return candidates.filter((file) => patterns.some((p) => p.test(file)));
};
/** Every currentValue a custom manager finds in its files. */
const valuesFoundBy = (manager: CustomManager) =>
    filesOf(manager).flatMap((file) =>
        manager.matchStrings.flatMap((source) =>
            [...read(file).matchAll(new RegExp(source, "g"))].map((m) => ({
                file,
                value: m.groups!.currentValue,
            })),
        ),
    );
const managerFor = (depName: string) =>
    config.customManagers.find((m) => m.depNameTemplate === depName)!;

describe("renovate.json", () => {
    it("opens pull requests with exact pins and merges nothing by itself", () => {
        expect(config.rangeStrategy).toBe("pin");
        expect(config.automerge).toBe(false);
        expect(config.packageRules.filter((rule) => rule.automerge === true)).toEqual([]);
        const majors = config.packageRules.find((r) => r.matchUpdateTypes?.includes("major"));
        expect(majors?.dependencyDashboardApproval).toBe(true);
    });

    it("updates npm, the Go modules (tidied), the actions, pip and the custom versions", () => {
        expect(config.enabledManagers).toEqual(
            expect.arrayContaining(["npm", "gomod", "github-actions", "pip_requirements"]),
        );
        expect(config.enabledManagers).toContain("custom.regex");
        expect(config.postUpdateOptions).toContain("gomodTidy");
    });

    it("groups every Pulumi, Kubernetes-models and Cloudflare package of both package.json", () => {
        const expected: [RegExp, string][] = [
            [/^@pulumi\//, "Pulumi"],
            [/^(kubernetes-models$|@kubernetes-models\/)/, "Kubernetes models"],
            [/^(@cloudflare\/|miniflare$|wrangler$)/, "Cloudflare"],
        ];
        let grouped = 0;
        for (const name of npmPackages) {
            const [, group] = expected.find(([pattern]) => pattern.test(name)) ?? [];
            if (!group) continue;
            expect(groupOf(name), name).toEqual([group]);
            grouped += 1;
        }
        expect(grouped).toBeGreaterThanOrEqual(10);
        expect(groupOf("@kubernetes-models/karpenter")).toEqual(["Kubernetes models"]);
    });

    it("puts the Go-built Pulumi CLI in the Pulumi group", () => {
        const goMod = read("dev/engines/pulumi/go.mod");
        const module = /^require (github\.com\/pulumi\/pulumi\/pkg\/v3) v(\S+)$/m.exec(goMod);
        expect(module?.[2]).toBe(sdkVersion);
        expect(groupOf(module![1])).toEqual(["Pulumi"]);
    });

    it("finds the Pulumi CLI version of every workflow and of build.sh, all the SDK's", () => {
        const found = valuesFoundBy(managerFor("@pulumi/pulumi"));
        const files = new Set(found.map((f) => f.file));
        expect(files).toEqual(
            new Set([
                "dev/engines/build.sh",
                ".github/workflows/pull-request.yml",
                ".github/workflows/deploy.yml",
                ".github/workflows/dr.yml",
                ".github/workflows/drift.yml",
            ]),
        );
        for (const { file, value } of found) expect(value, file).toBe(sdkVersion);
        expect(groupOf("@pulumi/pulumi")).toEqual(["Pulumi"]);
    });

    it("finds the Node.js version of .ci/run, every setup-node and the container", () => {
        const found = valuesFoundBy(managerFor("node"));
        expect(found.map((f) => f.file)).toContain(".ci/run");
        expect(found.filter((f) => f.file.startsWith(".github/")).length).toBeGreaterThanOrEqual(5);
        for (const { file, value } of found) expect(value, file).toBe(ciNodeVersion);
    });
});
