import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { type ControlPlane, installCrds, startControlPlane } from "./apiserver";
import { upstreamCrds } from "./crds";
import { builtEngine } from "./engines";
import { stackFileVariant, synth } from "./synth";

/**
 * The real Pulumi engine deploying what the synth declares. The Node.js language host is not
 * served by the Go module proxy, so the real CLI cannot run the TypeScript program; instead a
 * Pulumi YAML program is generated in a temp dir whose one resource is a
 * `kubernetes:yaml/v2:ConfigGroup` over every manifest of the synth's out/<stack>/k8s, with an
 * explicit `pulumi:providers:kubernetes` on the test control plane's kubeconfig. The CLI
 * (pulumi), the provider (pulumi-resource-kubernetes) and the YAML language host
 * (pulumi-language-yaml) are the binaries `npm run engines` builds: the provider installed as
 * a plugin from its file into a private PULUMI_HOME, the YAML host found next to the CLI (the
 * CLI counts it as bundled); automatic plugin acquisition is off, so nothing is downloaded. The state lives in a local file backend.
 *
 * The flow: `pulumi up` of the production synth; a second synth with every image tag bumped,
 * one replica count and one resource limit changed, previewed (its steps parsed from
 * `pulumi preview --json`) and applied; a scratch copy with a StatefulSet's `serviceName`
 * changed, previewed only, which the engine must report as a replacement; `pulumi destroy`.
 */

type Obj = Record<string, any>;

const stack = "production";
const providerVersion = "4.25.0";

/** One step of `pulumi preview --json`. */
interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    readonly diffReasons?: string[];
    readonly replaceReasons?: string[];
    readonly detailedDiff?: Record<string, { kind: string }>;
}

/** A resource the engine would replace, and the fields that force it. */
export interface Replacement {
    readonly urn: string;
    readonly op: string;
    readonly fields: string[];
}

export interface E2eResult {
    /** Objects in the synth's out/<stack>/k8s. */
    readonly manifests: number;
    /** `create` operations of the first `pulumi up` (the stack, provider and group included). */
    readonly created: number;
    /** `update` operations of the second `pulumi up`. */
    readonly updated: number;
    /** `replace`/`create-replacement` steps of the second preview. */
    readonly replacements: Replacement[];
    /** Steps of the second preview by operation. */
    readonly secondPreviewOps: Record<string, number>;
    /** Replacements the scratch `serviceName` change produced (must name that StatefulSet). */
    readonly scratchReplacements: Replacement[];
    /** The StatefulSet whose `serviceName` the scratch copy changed. */
    readonly scratchStatefulSet: string;
    /** Pods the controllers created after the first up (each one admitted). */
    readonly podsCreated: number;
    /** Pods the controllers could not create (FailedCreate events: admission rejections). */
    readonly failedCreates: string[];
    /** Resources left in the stack after `pulumi destroy`. */
    readonly leftAfterDestroy: number;
    /** Seconds per phase. */
    readonly timings: Record<string, number>;
}

const replaceOps = new Set(["replace", "create-replacement", "delete-replaced"]);

/** Every image tag of a stack file's config bumped: each string value under a key naming an image. */
function bumpImages(node: unknown, key = ""): unknown {
    if (typeof node === "string") {
        if (!/image/i.test(key)) return node;
        // name[:tag][@digest] -> name:<tag>-e2e[@digest]
        const m = /^([^@]+?)(?::([^:/@]+))?(@.+)?$/.exec(node);
        if (!m) return node;
        return `${m[1]}:${m[2] ?? "latest"}-e2e${m[3] ?? ""}`;
    }
    if (Array.isArray(node)) return node.map((v) => bumpImages(v, key));
    if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node as Obj)) {
            (node as Obj)[k] = bumpImages(v, /image/i.test(key) ? key : k);
        }
    }
    return node;
}

/** The error and warning diagnostics of a `--json` event stream, one a line. */
function errorsOf(events: string): string {
    return events
        .split("\n")
        .flatMap((line) => {
            try {
                const d = (JSON.parse(line) as { diagnosticEvent?: Obj }).diagnosticEvent;
                return d && d.severity !== "info" && d.severity !== "info#err"
                    ? [`${d.severity}: ${d.urn ?? ""} ${String(d.message).trim()}`]
                    : [];
            } catch {
                return [];
            }
        })
        .join("\n");
}

function run(
    cmd: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
    allowFail = false,
): { status: number; stdout: string; stderr: string } {
    const child = spawnSync(cmd, args, {
        cwd,
        env,
        encoding: "utf8",
        timeout: 900_000,
        maxBuffer: 256 * 1024 * 1024,
    });
    const res = { status: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
    if (res.status !== 0 && !allowFail) {
        throw new Error(
            `${path.basename(cmd)} ${args.join(" ")} exited ${res.status}:\n` +
                `${errorsOf(res.stdout) || res.stdout.slice(-8000)}\n${res.stderr.slice(-8000)}`,
        );
    }
    return res;
}

/** Copies the synth's k8s folder into `dest` (replacing it) and returns the manifest files. */
function copyManifests(outDir: string, dest: string): string[] {
    fs.rmSync(dest, { recursive: true, force: true });
    fs.cpSync(path.join(outDir, "k8s"), dest, { recursive: true });
    const files: string[] = [];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, e.name);
            if (e.isDirectory()) walk(full);
            else if (/\.ya?ml$/.test(e.name)) files.push(full);
        }
    };
    walk(dest);
    return files.sort();
}

function writeProgram(dir: string, kubeconfig: string, files: string[]): void {
    const program = {
        name: "mcp-platform-e2e",
        runtime: "yaml",
        description: "Generated by test/support/real-engine.ts: the synth's manifests.",
        resources: {
            k8s: {
                type: "pulumi:providers:kubernetes",
                properties: { kubeconfig: fs.readFileSync(kubeconfig, "utf8") },
                options: { version: providerVersion },
            },
            manifests: {
                type: "kubernetes:yaml/v2:ConfigGroup",
                // Namespaces and CRDs in a group are registered before the objects in them;
                // without kwok no Pod becomes Ready, so the provider does not await readiness.
                properties: { files, skipAwait: true },
                options: { provider: "${k8s}" },
            },
        },
    };
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(program));
}

function stepsOf(previewJson: string): PreviewStep[] {
    return (JSON.parse(previewJson) as { steps?: PreviewStep[] }).steps ?? [];
}

function replacementsOf(steps: PreviewStep[]): Replacement[] {
    return steps
        .filter((s) => replaceOps.has(s.op) && s.op !== "delete-replaced")
        .map((s) => ({
            urn: s.urn,
            op: s.op,
            fields: s.replaceReasons ?? Object.keys(s.detailedDiff ?? {}),
        }));
}

function countOps(steps: PreviewStep[]): Record<string, number> {
    const ops: Record<string, number> = {};
    for (const s of steps) ops[s.op] = (ops[s.op] ?? 0) + 1;
    return ops;
}

/** The `resourceChanges` of the summary event of `pulumi up --json` (an event stream). */
function summaryOf(upEvents: string): Record<string, number> {
    for (const line of upEvents.split("\n").reverse()) {
        if (!line.includes('"summaryEvent"')) continue;
        return (JSON.parse(line) as { summaryEvent: { resourceChanges: Record<string, number> } })
            .summaryEvent.resourceChanges;
    }
    throw new Error("pulumi up --json printed no summary event");
}

export async function runE2e(log: (line: string) => void = () => {}): Promise<E2eResult> {
    const pulumi = builtEngine("pulumi");
    const provider = builtEngine("pulumi-resource-kubernetes");
    builtEngine("pulumi-language-yaml");
    const timings: Record<string, number> = {};
    const timed = async <T>(name: string, f: () => T | Promise<T>): Promise<T> => {
        const t = Date.now();
        log(`e2e: ${name}…`);
        try {
            return await f();
        } finally {
            timings[name] = (Date.now() - t) / 1000;
            log(`e2e: ${name} took ${timings[name].toFixed(1)} s`);
        }
    };

    const first = await timed("synth", () => synth(stack));
    if (first.status !== 0) throw new Error(`synth ${stack} failed:\n${first.stderr}`);

    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-e2e-"));
    const work = path.join(tmp, "program");
    fs.mkdirSync(work);
    fs.mkdirSync(path.join(tmp, "state"));
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PULUMI_HOME: path.join(tmp, "home"),
        PULUMI_CONFIG_PASSPHRASE: "e2e",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // Only the plugins installed below, never a pulumi-* binary found on PATH.
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
        NO_COLOR: "1",
    };
    const cli = (args: string[], allowFail = false) => run(pulumi, args, env, work, allowFail);

    let plane: ControlPlane | undefined;
    try {
        plane = await timed("control plane", async () => {
            const p = await startControlPlane();
            await installCrds(p.client, upstreamCrds());
            return p;
        });
        const manifestDir = path.join(work, "manifests");
        const files = copyManifests(first.outDir, manifestDir);
        const manifests = files.reduce(
            (n, f) =>
                n +
                fs
                    .readFileSync(f, "utf8")
                    .split(/^---$/m)
                    .filter((d) => d.trim()).length,
            0,
        );
        writeProgram(work, plane.kubeconfig, files);
        cli(["plugin", "install", "resource", "kubernetes", providerVersion, "--file", provider]);
        // The CLI treats the YAML host as bundled: it refuses `plugin install language yaml`
        // and runs the pulumi-language-yaml found next to its own executable, which is where
        // `npm run engines` puts it (builtEngine above checked it is there).
        cli(["stack", "init", stack, "--non-interactive"]);

        const up1 = await timed("first up", () =>
            cli(["up", "--yes", "--skip-preview", "--json", "--non-interactive"]),
        );
        const created = summaryOf(up1.stdout).create ?? 0;

        // Pods the controllers create are admitted (or not) by PodSecurity in each namespace.
        await new Promise((r) => setTimeout(r, 5000));
        const events = await plane.client.request(
            "GET",
            "/api/v1/events?fieldSelector=reason%3DFailedCreate",
        );
        const pods = await plane.client.request("GET", "/api/v1/pods");
        const podsCreated = ((pods.body.items ?? []) as Obj[]).length;
        // A ConfigGroup orders only Namespaces and CRDs first, so a controller may try a Pod
        // before its ServiceAccount exists; it retries, so that failure counts only while the
        // ServiceAccount is still missing. Every other FailedCreate (PodSecurity, quota,
        // LimitRange) counts.
        const failedCreates: string[] = [];
        for (const e of (events.body.items ?? []) as Obj[]) {
            const sa = /error looking up service account ([^/\s]+)\/([^:\s]+)/.exec(e.message);
            if (sa) {
                const res = await plane.client.request(
                    "GET",
                    `/api/v1/namespaces/${sa[1]}/serviceaccounts/${sa[2]}`,
                );
                if (res.status === 200) continue;
            }
            const o = e.involvedObject;
            failedCreates.push(`${o.kind} ${o.namespace}/${o.name}: ${e.message}`);
        }

        // Second synth: every image tag bumped, one replica count and one limit changed.
        const variant = stackFileVariant(stack, (doc) => {
            bumpImages(doc.config);
            const data = doc.config["mcp-platform:data"] as Obj;
            data.postgres.replicas = (data.postgres.replicas as number) + 1;
            const workloads = doc.config["mcp-platform:workloads"] as Obj;
            const api = workloads.services["mcp-typescript-api"];
            api.resources.limits.cpu = "2500m";
        });
        const second = await timed("second synth", () => synth(stack, { stackFile: variant }));
        if (second.status !== 0) throw new Error(`second synth failed:\n${second.stderr}`);
        writeProgram(work, plane.kubeconfig, copyManifests(second.outDir, manifestDir));
        const preview2 = await timed("second preview", () =>
            cli(["preview", "--json", "--non-interactive"]),
        );
        const steps2 = stepsOf(preview2.stdout);
        const replacements = replacementsOf(steps2);
        const up2 = await timed("second up", () =>
            cli(["up", "--yes", "--skip-preview", "--json", "--non-interactive"]),
        );
        const updated = summaryOf(up2.stdout).update ?? 0;

        // Scratch: a StatefulSet's serviceName is immutable, so the engine must replace it.
        const setFile = files.find((f) => /statefulset-/.test(path.basename(f)));
        if (!setFile) throw new Error("no StatefulSet manifest in the synth");
        const set = parse(fs.readFileSync(setFile, "utf8")) as Obj;
        set.spec.serviceName = `${set.spec.serviceName}-scratch`;
        fs.writeFileSync(setFile, stringify(set));
        const scratch = await timed("scratch preview", () =>
            cli(["preview", "--json", "--non-interactive"], true),
        );
        // The provider plans the replacement, then its dry run of the new object's apply (same
        // name, the old one still there) is refused by the API server, so this preview exits 1.
        const scratchReplacements = replacementsOf(stepsOf(scratch.stdout));
        // Back to what is deployed, so destroy sees the second synth.
        copyManifests(second.outDir, manifestDir);

        await timed("destroy", () =>
            cli(["destroy", "--yes", "--skip-preview", "--non-interactive"]),
        );
        const exported = JSON.parse(cli(["stack", "export"]).stdout) as {
            deployment?: { resources?: unknown[] };
        };
        return {
            manifests,
            created,
            updated,
            replacements,
            secondPreviewOps: countOps(steps2),
            scratchReplacements,
            scratchStatefulSet: `${set.metadata.namespace}/${set.metadata.name}`,
            podsCreated,
            failedCreates,
            leftAfterDestroy: exported.deployment?.resources?.length ?? 0,
            timings,
        };
    } finally {
        await plane?.stop();
        if (process.env.MCP_E2E_KEEP) log(`e2e: kept ${tmp}`);
        else fs.rmSync(tmp, { recursive: true, force: true });
    }
}
