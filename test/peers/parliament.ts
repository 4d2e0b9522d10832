import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PolicyDocument, Statement } from "../iam/model";
import { binaryOf, type Finding, type PeerException, type Tool } from "./peers";

/**
 * parliament (PyPI) over the IAM policy documents the synth writes: identity policies, trust
 * policies, bucket, key and queue policies (test/iam/model.ts reads them from resources.json).
 * Its findings take the peers' shape: `check` is parliament's issue, `object` names the
 * document by its logical name and, for a finding inside a statement, the statement (its Sid,
 * else `#<index>`) and what the finding is about (the action, the condition key …).
 */

export const parliamentTool: Tool = {
    name: "parliament",
    version: "1.6.4",
    pins: ["dev/peers/parliament/requirements.txt"],
};

export interface LintedDocument {
    /** Stable across stacks: `role <logical> trust`, `inline <logical>`, `key policy <logical>` … */
    readonly name: string;
    readonly document: PolicyDocument;
    /** For a trust policy: its role's ARN. */
    readonly trustOf?: string;
}

function statementsOf(document: PolicyDocument): Statement[] {
    return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

/**
 * The text parliament reads: the document with one statement per line, so that the line of a
 * finding names its statement (line 2 is statement 0).
 *
 * A trust policy is the role's resource policy: AWS authorizes `sts:AssumeRole*` with the role
 * as the resource, and a trust statement may not name one. parliament 1.6.4 has no
 * trust-policy mode; given a statement without `Resource` it reports MALFORMED and checks
 * neither the actions nor the conditions. So each trust statement is linted with the role's
 * ARN as its `Resource`, the resource AWS evaluates it against.
 */
function layout(doc: LintedDocument): string {
    const rest: Record<string, unknown> = { ...doc.document };
    delete rest.Statement;
    const statements = statementsOf(doc.document).map((s) =>
        doc.trustOf === undefined ? s : { ...s, Resource: doc.trustOf },
    );
    const head = JSON.stringify(rest).slice(0, -1);
    return [
        `${head}${head.length > 1 ? "," : ""} "Statement": [`,
        statements.map((s) => JSON.stringify(s)).join(",\n"),
        "]}",
    ].join("\n");
}

type Report = {
    issue: string;
    detail: unknown;
    location: { filepath?: string; line?: number; lineno?: number; string?: unknown };
};

/** The EKS OIDC issuer differs per cluster and region; findings name it generically. */
function generic(text: string): string {
    return text
        .replace(/arn:[a-z-]+:iam::\d{12}:oidc-provider\//g, "oidc-provider/")
        .replace(/oidc\.eks\.[a-z0-9-]+\.amazonaws\.com\/id\/[A-Za-z0-9]+/g, "<eks-oidc-issuer>");
}

/** What a finding is about, for the checks whose detail names it. */
function subjectOf(report: Report): string | undefined {
    const detail = report.detail;
    switch (report.issue) {
        case "UNKNOWN_ACTION":
        case "UNKNOWN_PREFIX":
            return String(report.location.string);
        case "UNKNOWN_CONDITION_FOR_ACTION":
            return /^Unknown condition (\S+) for action/.exec(String(detail))?.[1];
        case "UNKNOWN_FEDERATION_SOURCE":
        case "UNKNOWN_PRINCIPAL":
            return String(detail);
        case "RESOURCE_MISMATCH":
            return [...new Set((detail as { action: string }[]).map((d) => d.action))]
                .sort()
                .join(", ");
        default:
            return undefined;
    }
}

function objectOf(doc: LintedDocument, report: Report): string {
    const line = report.location.line ?? report.location.lineno;
    const statements = statementsOf(doc.document);
    let object = doc.name;
    if (typeof line === "number" && line >= 2 && line - 2 < statements.length) {
        const index = line - 2;
        const sid = statements[index].Sid;
        object += ` statement ${typeof sid === "string" && sid !== "" ? sid : `#${index}`}`;
    }
    const subject = subjectOf(report);
    return generic(subject === undefined ? object : `${object} (${subject})`);
}

/** Runs parliament once over every document; the findings, one per issue and place. */
export function parliament(documents: readonly LintedDocument[]): Finding[] {
    const binary = binaryOf(parliamentTool);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parliament-"));
    try {
        const files = documents.map((doc, i) => {
            const file = path.join(dir, `${i}.json`);
            fs.writeFileSync(file, layout(doc));
            return file;
        });
        // `--files` takes a comma-separated list; the temporary names have no commas.
        const child = spawnSync(
            binary,
            ["--files", files.join(","), "--json", "--minimum_severity", "INFO"],
            { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: 300_000, input: "" },
        );
        if (child.error) throw child.error;
        // Exit 0: no findings; 1: findings, one JSON object a line; anything else: it failed.
        if (child.status !== 0 && child.status !== 1) {
            throw new Error(`parliament exited ${child.status}: ${child.stderr}`);
        }
        const byFile = new Map(files.map((file, i) => [file, documents[i]]));
        const findings = child.stdout
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => {
                const report = JSON.parse(l) as Report;
                const doc = byFile.get(String(report.location.filepath));
                if (!doc) throw new Error(`parliament reported an unknown file: ${l}`);
                return {
                    tool: "parliament" as const,
                    check: report.issue,
                    object: objectOf(doc, report),
                };
            });
        if (child.status === 1 && findings.length === 0) {
            throw new Error(`parliament exited 1 without a finding: ${child.stderr}`);
        }
        return findings;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export function isExcepted(finding: Finding, exceptions: readonly PeerException[]): boolean {
    return exceptions.some(
        (e) =>
            e.tool === finding.tool &&
            e.check === finding.check &&
            e.objects.includes(finding.object),
    );
}
