import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseStack } from "../../support/config";
import { projectDir, synth } from "../../support/synth";

/**
 * Every node-group and NodePool command the documentation shows works on the stacks as
 * configured: `eksctl scale nodegroup` names a cluster and group that exist and a node count
 * within the group's minSize..maxSize (EKS rejects any other), and `kubectl … nodepool <name>`
 * names a NodePool the program declares.
 */
const documents = fs
    .readdirSync(path.join(projectDir, "docs"), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".md"))
    .map((file) => `docs/${file}`)
    .concat("README.md");

/** The physical node group names (components/cluster/eks-cluster.ts) → config key. */
const groupKeys: Record<string, "system" | "workload"> = {
    "system-nodes": "system",
    "worker-nodes": "workload",
};

interface Found {
    readonly file: string;
    readonly command: string;
}

function commands(pattern: RegExp): Found[] {
    const found: Found[] = [];
    for (const file of documents) {
        const text = fs.readFileSync(path.join(projectDir, file), "utf8");
        for (const match of text.matchAll(pattern)) {
            found.push({ file, command: match[0].replace(/\s+/g, " ") });
        }
    }
    return found;
}

/** What is wrong with one `eksctl scale nodegroup` command, if anything. */
function scaleProblem(command: string): string | undefined {
    const flag = (name: string) => new RegExp(`--${name}[= ]([^\\s\`]+)`).exec(command)?.[1];
    const cluster = flag("cluster");
    const name = flag("name");
    const nodes = flag("nodes");
    const stack = cluster?.replace(/^mcp-/, "");
    if (!stack || !fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))) {
        return `no stack has the cluster ${cluster ?? "(none given)"}`;
    }
    const key = name === undefined ? undefined : groupKeys[name];
    if (!key) return `the cluster has no node group ${name ?? "(none given)"}`;
    const group = parseStack(stack).cluster.nodeGroups[key];
    const count = Number(nodes);
    if (!Number.isInteger(count)) return `--nodes must be a number (got ${nodes})`;
    if (count < group.minSize || count > group.maxSize) {
        return `--nodes=${count} is outside ${name}'s minSize..maxSize (${group.minSize}..${group.maxSize}) in Pulumi.${stack}.yaml`;
    }
    return undefined;
}

describe("node-group commands in the documentation", () => {
    const scales = commands(/eksctl\s+scale\s+nodegroup[^`|]*/g);

    it("finds the procedures' commands", () => {
        expect(scales.map((s) => s.file)).toContain("docs/operations.md");
        expect(scales.map((s) => s.file)).toContain("docs/cluster.md");
    });

    it("every eksctl scale nodegroup is within the group's bounds", () => {
        const problems = scales
            .map((s) => ({ ...s, problem: scaleProblem(s.command) }))
            .filter((s) => s.problem !== undefined)
            .map((s) => `${s.file}: ${s.command}: ${s.problem}`);
        expect(problems).toEqual([]);
    });

    it("the check refuses a count outside the bounds and an unknown group", () => {
        expect(
            scaleProblem(
                "eksctl scale nodegroup --cluster=mcp-production --name=worker-nodes --nodes=30",
            ),
        ).toBe(
            "--nodes=30 is outside worker-nodes's minSize..maxSize (2..6) in Pulumi.production.yaml",
        );
        expect(
            scaleProblem("eksctl scale nodegroup --cluster=mcp-production --name=gpu --nodes=1"),
        ).toBe("the cluster has no node group gpu");
        expect(
            scaleProblem("eksctl scale nodegroup --cluster=mcp-staging --name=worker-nodes"),
        ).toBe("no stack has the cluster mcp-staging");
    });

    it("every kubectl command on a named NodePool names one the program declares", () => {
        const pools = new Set(
            synth("production")
                .resources()
                .filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool")
                .map((r) => (r.inputs.metadata as { name: string }).name),
        );
        const named = commands(/kubectl\s+(?:patch|describe|edit|get)\s+nodepool\s+[a-z0-9-]+/g);
        expect(named.length).toBeGreaterThan(0);
        for (const { file, command } of named) {
            expect(pools, `${file}: ${command}`).toContain(command.split(" ").at(-1));
        }
    });
});
