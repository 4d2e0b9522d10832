import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { projectDir } from "../support/synth";
import {
    kubeLinterFindings,
    kubeScoreFindings,
    objectName,
    type PeerFinding,
} from "../../tools/lib/peer-reports";

/**
 * The peer linters (kube-linter, kube-score, checkov) run over rendered manifests, their
 * findings reduced to one shape, and the reviewed exceptions they are compared with.
 * parliament (parliament.ts) judges the synthesized IAM policies the same way.
 */

export const toolsDir =
    process.env.MCP_TOOLS_DIR ?? path.join(os.homedir(), ".cache/mcp-platform/tools");

const installHint = "install the pinned peer linters with: bash dev/peers/install.sh";

export interface Tool {
    readonly name: "kube-linter" | "kube-score" | "checkov" | "parliament";
    readonly version: string;
    /** The files that pin it, hashed as dev/peers/install.sh hashes them. */
    readonly pins: readonly string[];
}

/** The linters of rendered manifests. */
export const tools: readonly Tool[] = [
    {
        name: "kube-linter",
        version: "v0.8.3",
        pins: ["dev/peers/kube-linter/go.mod", "dev/peers/kube-linter/go.sum"],
    },
    {
        name: "kube-score",
        version: "1.20.0",
        pins: ["dev/peers/kube-score/go.mod", "dev/peers/kube-score/go.sum"],
    },
    { name: "checkov", version: "3.3.30", pins: ["dev/peers/requirements.txt"] },
];

function pinHash(files: readonly string[]): string {
    const hash = createHash("sha256");
    for (const file of files) hash.update(fs.readFileSync(path.join(projectDir, file)));
    return hash.digest("hex").slice(0, 16);
}

/** The tool's binary; throws with the install command when it is missing or out of date. */
export function binaryOf(tool: Tool): string {
    const binary = path.join(toolsDir, "bin", tool.name);
    if (!fs.existsSync(binary)) {
        throw new Error(
            `${tool.name} ${tool.version} is not installed in ${toolsDir}; ${installHint}`,
        );
    }
    const installed = fs.existsSync(path.join(toolsDir, `${tool.name}.pin`))
        ? fs.readFileSync(path.join(toolsDir, `${tool.name}.pin`), "utf8").trim()
        : "";
    if (installed !== pinHash(tool.pins)) {
        throw new Error(
            `${tool.name} in ${toolsDir} was not built from the pins in ${tool.pins.join(", ")}; ${installHint}`,
        );
    }
    return binary;
}

export interface Finding {
    readonly tool: Tool["name"];
    readonly check: string;
    /** `Kind namespace/name` (cluster-scoped objects: `Kind name`). */
    readonly object: string;
}

function run(binary: string, args: string[]): { stdout: string; stderr: string; status: number } {
    const child = spawnSync(binary, args, {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
        env: { ...process.env, BC_SKIP_MAPPING: "TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: "false" },
    });
    if (child.error) throw child.error;
    return { stdout: child.stdout, stderr: child.stderr, status: child.status ?? -1 };
}

function yamlFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(dir, f))
        .sort();
}

export function kubeLinter(dir: string): Finding[] {
    // Exit 1 means "found problems"; anything else without JSON is a failure to run.
    const { stdout, stderr } = run(binaryOf(tools[0]), ["lint", dir, "--format", "json"]);
    let findings: PeerFinding[];
    try {
        findings = kubeLinterFindings(stdout);
    } catch {
        throw new Error(`kube-linter produced no report: ${stderr}`);
    }
    return findings.map((f) => ({ tool: "kube-linter" as const, ...f }));
}

export function kubeScore(dir: string): Finding[] {
    const { stdout, stderr } = run(binaryOf(tools[1]), [
        "score",
        "--output-format",
        "json",
        ...yamlFiles(dir),
    ]);
    let findings: PeerFinding[];
    try {
        findings = kubeScoreFindings(stdout);
    } catch {
        throw new Error(`kube-score produced no report: ${stderr}`);
    }
    return findings.map((f) => ({ tool: "kube-score" as const, ...f }));
}

type CheckovReport = { results: { failed_checks: { check_id: string; resource: string }[] } };

export function checkov(dir: string): Finding[] {
    const { stdout, stderr } = run(binaryOf(tools[2]), [
        "-d",
        dir,
        "--framework",
        "kubernetes",
        "--output",
        "json",
        "--quiet",
        "--compact",
        "--skip-download",
    ]);
    let parsed: CheckovReport | CheckovReport[];
    try {
        parsed = JSON.parse(stdout) as CheckovReport | CheckovReport[];
    } catch {
        throw new Error(`checkov produced no report: ${stderr}`);
    }
    return (Array.isArray(parsed) ? parsed : [parsed]).flatMap((report) =>
        (report.results?.failed_checks ?? []).map((f) => {
            // "Kind.namespace.name"; names may contain dots, namespaces do not.
            const [kind, namespace, ...name] = f.resource.split(".");
            return {
                tool: "checkov" as const,
                check: f.check_id,
                object:
                    name.length > 0
                        ? objectName(kind, namespace, name.join("."))
                        : objectName(kind, undefined, namespace),
            };
        }),
    );
}

export interface PeerException {
    readonly tool: Finding["tool"];
    readonly check: string;
    readonly objects: readonly string[];
    readonly reason: string;
}

export function readExceptions(): PeerException[] {
    const file = path.join(projectDir, "test/peers/exceptions.yaml");
    return (parse(fs.readFileSync(file, "utf8")) as { exceptions: PeerException[] }).exceptions;
}

export function keyOf(f: Finding): string {
    return `${f.tool} ${f.check} ${f.object}`;
}
