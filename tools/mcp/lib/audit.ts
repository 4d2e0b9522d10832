import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { eksStandardSupportEnds } from "../../../contracts/eks-support";
import { CliError } from "./cli";
import { kubeLinterFindings, kubeScoreFindings, type PeerFinding } from "../../lib/peer-reports";

/**
 * What `mcp security audit` judges (docs/operations.md#security): the stack's synth with the
 * CrossGuard pack, the peer linters over its manifests, the Kubernetes minor's support dates.
 * Each finding is mandatory (exit 1) or advisory.
 */
export interface AuditFinding {
    readonly source: "policy-pack" | "kube-linter" | "kube-score" | "eks-support";
    readonly level: "mandatory" | "advisory";
    readonly check: string;
    /** The resource or object (`Kind namespace/name`, a URN, `cluster`). */
    readonly object: string;
    readonly message: string;
}

export interface AuditSection {
    readonly source: AuditFinding["source"] | "iam";
    /** "ran" with what it checked, or "not run" and why. */
    readonly ran: boolean;
    readonly detail: string;
}

const projectDir = path.resolve(__dirname, "..", "..", "..");

/** The synth of `stack` into a fresh directory: its policy report and manifests. */
export function synthStack(
    stack: string,
    env: NodeJS.ProcessEnv,
): { dir: string; summary: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mcp-audit-${stack}-`));
    const child = spawnSync(
        process.execPath,
        [
            path.join(projectDir, "node_modules/tsx/dist/cli.mjs"),
            "tools/synth.ts",
            stack,
            "--out",
            dir,
            "--quiet",
        ],
        { cwd: projectDir, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 600_000 },
    );
    if (!fs.existsSync(path.join(dir, "policy-report.json"))) {
        throw new CliError(
            `the synth of ${stack} did not finish (exit ${child.status ?? child.signal}): ${(child.stderr || child.stdout || String(child.error)).trim().split("\n").slice(-5).join(" / ")}`,
            `run it to see why: npm run synth -- ${stack}`,
        );
    }
    return { dir, summary: child.stdout.split("\n")[0] ?? "" };
}

/** The pack's violations from the synth's policy-report.json. */
export function packFindings(dir: string): { findings: AuditFinding[]; detail: string } {
    const report = JSON.parse(fs.readFileSync(path.join(dir, "policy-report.json"), "utf8")) as {
        ran: unknown[];
        results: { policy: string; resource: string; level: string; message: string }[];
    };
    const findings = report.results
        .filter((r) => r.level !== "disabled")
        .map((r): AuditFinding => ({
            source: "policy-pack",
            level: r.level === "mandatory" ? "mandatory" : "advisory",
            check: r.policy,
            object: r.resource,
            message: r.message,
        }));
    return { findings, detail: `${report.ran.length} policies` };
}

/** The peer linters' reviewed exceptions (test/peers/exceptions.yaml, the one list). */
function exceptions(): Set<string> {
    const file = path.join(projectDir, "test", "peers", "exceptions.yaml");
    const listed = new Set<string>();
    if (!fs.existsSync(file)) return listed;
    const doc = parse(fs.readFileSync(file, "utf8")) as {
        exceptions?: { tool: string; check: string; objects: string[] }[];
    };
    for (const e of doc.exceptions ?? []) {
        for (const object of e.objects ?? []) listed.add(`${e.tool}\t${e.check}\t${object}`);
    }
    return listed;
}

function kubeLinter(binDir: string, dir: string): PeerFinding[] {
    const child = spawnSync("kube-linter", ["lint", dir, "--format", "json"], {
        env: { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
    });
    return kubeLinterFindings(child.stdout);
}

function kubeScore(binDir: string, dir: string): PeerFinding[] {
    const files = fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => path.join(dir, f))
        .sort();
    const child = spawnSync("kube-score", ["score", "--output-format", "json", ...files], {
        env: { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}` },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
    });
    return kubeScoreFindings(child.stdout);
}

/**
 * kube-linter and kube-score over the synth's manifests, where `bash dev/peers/install.sh`
 * installed them (`$MCP_TOOLS_DIR`, else ~/.cache/mcp-platform/tools). A finding the reviewed
 * list excepts is left out (and counted); any other is mandatory, as test/peers holds it.
 */
export function peerFindings(
    dir: string,
    env: NodeJS.ProcessEnv,
): { findings: AuditFinding[]; sections: AuditSection[] } {
    const toolsDir =
        env.MCP_TOOLS_DIR ?? path.join(env.HOME || os.homedir(), ".cache", "mcp-platform", "tools");
    const listed = exceptions();
    const findings: AuditFinding[] = [];
    const sections: AuditSection[] = [];
    const linters = [
        ["kube-linter", kubeLinter],
        ["kube-score", kubeScore],
    ] as const;
    for (const [tool, run] of linters) {
        const binDir = path.join(toolsDir, "bin");
        if (!fs.existsSync(path.join(binDir, tool))) {
            sections.push({
                source: tool,
                ran: false,
                detail: `not installed in ${toolsDir} (bash dev/peers/install.sh installs it)`,
            });
            continue;
        }
        let raw: PeerFinding[];
        try {
            raw = run(binDir, path.join(dir, "k8s"));
        } catch (error) {
            sections.push({
                source: tool,
                ran: false,
                detail: `produced no report: ${(error as Error).message}`,
            });
            continue;
        }
        const open = raw.filter((f) => !listed.has(`${tool}\t${f.check}\t${f.object}`));
        for (const f of open) {
            findings.push({
                source: tool,
                level: "mandatory",
                check: f.check,
                object: f.object,
                message: "not in the reviewed exceptions (test/peers/exceptions.yaml)",
            });
        }
        sections.push({
            source: tool,
            ran: true,
            detail: `${raw.length} findings, ${raw.length - open.length} reviewed exceptions`,
        });
    }
    return { findings, sections };
}

/**
 * The Kubernetes minor against contracts/eks-support.ts on `today`: past its standard
 * support is mandatory (extended support is billed, and AWS upgrades at its end); within
 * 90 days advisory.
 */
export function supportFindings(version: string, today: string): AuditFinding[] {
    const end = eksStandardSupportEnds[version];
    const base = {
        source: "eks-support",
        check: "eks-standard-support",
        object: `Kubernetes ${version}`,
    } as const;
    if (!end) {
        return [
            {
                ...base,
                level: "advisory",
                message: `contracts/eks-support.ts has no standard-support end for ${version}: add it`,
            },
        ];
    }
    const days = Math.round(
        (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / 86_400_000,
    );
    if (days < 0) {
        return [
            {
                ...base,
                level: "mandatory",
                message: `standard support ended ${end} (${-days} days before ${today}): upgrade (docs/cluster.md, "Upgrading Kubernetes")`,
            },
        ];
    }
    if (days <= 90) {
        return [
            {
                ...base,
                level: "advisory",
                message: `standard support ends ${end} (${days} days after ${today}): plan the upgrade`,
            },
        ];
    }
    return [];
}
