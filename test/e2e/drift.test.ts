import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, startControlPlane } from "../support/apiserver";
import { builtEngine } from "../support/engines";
import { projectDir } from "../support/synth";
import { shellInvocations } from "../support/shell-commands";

/**
 * The drift workflow's check, run as written in .github/workflows/drift.yml by the real Pulumi
 * CLI (built by `npm run engines`) against the test control plane: a merged change that has
 * not been deployed yet is not drift, a change made to the live object is. A Pulumi YAML
 * program with one ConfigMap stands in for the stack (the CLI runs it through the YAML language
 * host; the Node.js one is not buildable from the Go module proxy).
 */

const providerVersion = "4.25.0";
const stack = "drift";

/** The drift step's `pulumi …` arguments, with the stack name filled in. */
function driftArgs(): string[] {
    const workflow = parse(
        fs.readFileSync(path.join(projectDir, ".github/workflows/drift.yml"), "utf8"),
    ) as { jobs: { drift: { steps: { id?: string; run?: string }[] } } };
    const step = workflow.jobs.drift.steps.find((s) => s.id === "drift")!;
    const pulumi = shellInvocations(step.run!).find((i) => i.command === "pulumi")!;
    return pulumi.args.map((a) => (a === "$STACK_NAME" ? stack : a)).filter((a) => a !== "2>&1");
}

let plane: ControlPlane;
let tmp: string;
let cli: (args: string[]) => { status: number; out: string };

function writeProgram(value: string): void {
    const program = {
        name: "mcp-platform-drift",
        runtime: "yaml",
        resources: {
            k8s: {
                type: "pulumi:providers:kubernetes",
                properties: { kubeconfig: fs.readFileSync(plane.kubeconfig, "utf8") },
                options: { version: providerVersion },
            },
            probe: {
                type: "kubernetes:core/v1:ConfigMap",
                properties: {
                    metadata: { name: "drift-probe", namespace: "default" },
                    data: { value },
                },
                options: { provider: "${k8s}" },
            },
        },
    };
    fs.writeFileSync(path.join(tmp, "program", "Pulumi.yaml"), stringify(program));
}

beforeAll(async () => {
    const pulumi = builtEngine("pulumi");
    const provider = builtEngine("pulumi-resource-kubernetes");
    builtEngine("pulumi-language-yaml");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-drift-"));
    fs.mkdirSync(path.join(tmp, "program"));
    fs.mkdirSync(path.join(tmp, "state"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_HOME: path.join(tmp, "home"),
        PULUMI_CONFIG_PASSPHRASE: "drift",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
        NO_COLOR: "1",
    };
    cli = (args) => {
        const child = spawnSync(pulumi, args, {
            cwd: path.join(tmp, "program"),
            env,
            encoding: "utf8",
            timeout: 300_000,
        });
        return { status: child.status ?? -1, out: `${child.stdout}\n${child.stderr}` };
    };
    plane = await startControlPlane();
    writeProgram("deployed");
    for (const args of [
        ["plugin", "install", "resource", "kubernetes", providerVersion, "--file", provider],
        ["stack", "init", stack, "--non-interactive"],
        ["up", "--yes", "--skip-preview", "--non-interactive"],
    ]) {
        const result = cli(args);
        if (result.status !== 0) throw new Error(`pulumi ${args.join(" ")}:\n${result.out}`);
    }
}, 600_000);

afterAll(async () => {
    await plane?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("drift check (drift.yml) on the real Pulumi CLI", () => {
    it("is a refresh-only plan", () => {
        expect(driftArgs().slice(0, 1)).toEqual(["refresh"]);
        expect(driftArgs()).toEqual(
            expect.arrayContaining(["--preview-only", "--expect-no-changes"]),
        );
    });

    it("passes on a merged change that waits for its deploy; a preview --refresh would fail", () => {
        writeProgram("merged, not deployed");
        const drift = cli(driftArgs());
        expect(drift.status, drift.out).toBe(0);
        const preview = cli(["preview", "--refresh", "--expect-no-changes", "--non-interactive"]);
        expect(preview.status, "preview --refresh reports the pending merge").not.toBe(0);
        writeProgram("deployed");
    }, 300_000);

    it("fails on a change made to the live object, and changes nothing", async () => {
        const patched = await plane.client.request(
            "PATCH",
            "/api/v1/namespaces/default/configmaps/drift-probe",
            { data: { value: "edited by hand" } },
            "application/merge-patch+json",
        );
        expect(patched.status).toBe(200);
        const before = cli(["stack", "export"]).out;
        const drift = cli(driftArgs());
        expect(drift.status, drift.out).not.toBe(0);
        expect(drift.out).toMatch(/drift-probe/);
        // --preview-only: the state still holds the deployed value.
        expect(cli(["stack", "export"]).out).toBe(before);
    }, 300_000);
});
