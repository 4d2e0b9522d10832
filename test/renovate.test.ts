import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { upstreamImage } from "../contracts/image-cache";
import { helmCharts } from "../contracts/pinned-sources";
import { parseImageRef, platformPins } from "../tools/mcp/lib/pins";
import { projectDir, synth } from "./support/synth";

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
    depNameTemplate?: string;
    datasourceTemplate?: string;
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
const ciNodeVersion = /^NODE_VERSION=(\S+)$/m.exec(read("dev/node.sh"))?.[1];

/** The files a custom manager reads (its managerFilePatterns are /regex/ strings). */
const filesOf = (manager: CustomManager) => {
    const candidates = [
        "dev/node.sh",
        ".nvmrc",
        ".node-version",
        "dev/engines/build.sh",
        ...fs.readdirSync(projectDir).filter((f) => /^Pulumi\..+\.yaml$/.test(f)),
        ...fs.readdirSync(path.join(projectDir, "config")).map((f) => `config/${f}`),
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

    it("finds the trivy version of the pull-request workflow's image scan", () => {
        const found = valuesFoundBy(managerFor("github.com/aquasecurity/trivy"));
        expect(found).toEqual([
            {
                file: ".github/workflows/pull-request.yml",
                value: /TRIVY_VERSION: (v\S+)/.exec(read(".github/workflows/pull-request.yml"))![1],
            },
        ]);
        expect(managerFor("github.com/aquasecurity/trivy").datasourceTemplate).toBe("go");
    });

    it("finds the Node.js version of dev/node.sh, .nvmrc, .node-version, every setup-node and the container", () => {
        const found = valuesFoundBy(managerFor("node"));
        expect(found.map((f) => f.file)).toEqual(
            expect.arrayContaining(["dev/node.sh", ".nvmrc", ".node-version"]),
        );
        expect(found.filter((f) => f.file.startsWith(".github/")).length).toBeGreaterThanOrEqual(5);
        for (const { file, value } of found) expect(value, file).toBe(ciNodeVersion);
    });

    /** Every match of the managers `pick` selects, with the datasource each names. */
    type Match = {
        file: string;
        datasource?: string;
        depName?: string;
        registryUrl?: string;
        currentValue?: string;
        currentDigest?: string;
    };
    const found = (pick: (manager: CustomManager) => boolean): Match[] =>
        config.customManagers.filter(pick).flatMap((manager) =>
            filesOf(manager).flatMap((file) =>
                manager.matchStrings.flatMap((source) =>
                    [...read(file).matchAll(new RegExp(source, "g"))].map((m) => ({
                        file,
                        ...m.groups,
                        datasource: m.groups!.datasource ?? manager.datasourceTemplate,
                    })),
                ),
            ),
        );
    const imageManagers = (m: CustomManager) => m.datasourceTemplate === "docker";
    const chartManagers = (m: CustomManager) =>
        m.matchStrings.some((source) => source.includes("renovate: datasource="));
    const pins = platformPins();

    it("finds every image the platform pins (stack files and config defaults), tag and digest, and nothing else", () => {
        const images = found(imageManagers);
        const matched = new Set(
            images.map(
                (m) =>
                    `${m.depName}:${m.currentValue}${m.currentDigest ? `@${m.currentDigest}` : ""}`,
            ),
        );
        const pinned = new Set(
            pins
                .filter((p) => p.kind === "image")
                .map((p) => `${p.name}:${p.current}${p.digest ? `@${p.digest}` : ""}`),
        );
        expect([...matched].sort()).toEqual([...pinned].sort());
        // The Fluent Bit default is written once (its @default names the constant).
        expect(
            images.filter((m) => m.file === "config/logging.ts").map((m) => m.currentValue),
        ).toEqual(["5.1.1"]);
        // Both stack files are read, and the defaults of config/ (haproxy, blackbox exporter,
        // the releases' smoke test).
        expect(new Set(images.map((m) => m.file))).toEqual(
            new Set([
                "Pulumi.production.yaml",
                "Pulumi.dr.yaml",
                "config/data.ts",
                "config/logging.ts",
                "config/monitoring.ts",
                "config/workloads.ts",
            ]),
        );
    });

    it("finds every Helm chart with the repository contracts/pinned-sources.ts installs it from", () => {
        const charts = found(chartManagers).map((m) => ({
            datasource: m.datasource,
            depName: m.depName,
            registryUrl: m.registryUrl,
            currentValue: m.currentValue,
        }));
        const expected = pins
            .filter((p) => p.kind === "helm-chart")
            .map((p) =>
                p.source.type === "helm-index"
                    ? {
                          datasource: "helm",
                          depName: p.name,
                          registryUrl: p.source.repository,
                          currentValue: p.current,
                      }
                    : p.source.type === "oci-tags"
                      ? {
                            datasource: "docker",
                            depName: `${p.source.registry}/${p.source.repository}`,
                            registryUrl: undefined,
                            currentValue: p.current,
                        }
                      : undefined,
            );
        expect(charts).toEqual(expected);
        expect(charts.length).toBe(Object.keys(helmCharts).length);
    });

    it("the inventory holds every image the production synth's manifests run", () => {
        const production = synth("production");
        expect(production.status).toBe(0);
        const run = new Set<string>();
        const walk = (node: unknown) => {
            if (node === null || typeof node !== "object") return;
            const o = node as Record<string, unknown>;
            for (const key of ["containers", "initContainers"]) {
                for (const c of (o[key] as { image?: string }[] | undefined) ?? [])
                    if (c.image) run.add(c.image);
            }
            Object.values(o).forEach(walk);
        };
        const k8sDir = path.join(production.outDir, "k8s");
        for (const ns of fs.readdirSync(k8sDir)) {
            for (const file of fs.readdirSync(path.join(k8sDir, ns)))
                walk(parse(production.read(`k8s/${ns}/${file}`)));
        }
        const pinned = new Set(
            pins
                .filter((p) => p.kind === "image")
                .map((p) => `${p.name}:${p.current}${p.digest ? `@${p.digest}` : ""}`),
        );
        expect(run.size).toBeGreaterThan(10);
        // The pods run the ECR cache's copies (docs/cluster.md, "Image cache"): by upstream name.
        for (const image of [...run].map(upstreamImage))
            expect(pinned, image).toContain(
                `${parseImageRef(image).name}:${parseImageRef(image).tag}${parseImageRef(image).digest ? `@${parseImageRef(image).digest}` : ""}`,
            );
    });
});
