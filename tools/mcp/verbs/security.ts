import * as fs from "node:fs";
import { imageRegistryHost } from "../../../config/image-cache";
import { suspiciousAccessQueries } from "../../../contracts/logging";
import { clusterName } from "../../../contracts/names";
import { security as spec } from "../catalog";
import { choice } from "../../lib/cli/options";
import {
    CliError,
    duration,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    table,
    UsageError,
} from "../lib/cli";
import {
    type AuditFinding,
    type AuditSection,
    packFindings,
    peerFindings,
    supportFindings,
    synthStack,
} from "../lib/audit";
import { type Io, type StackContext, stackContext } from "../lib/context";
import {
    atLeast,
    bySeverity,
    type ImageFinding,
    listImageFindings,
    type Severity,
    severities,
} from "../lib/image-findings";
import { type QueryOutcome, runInsightsQuery } from "../lib/insights-cli";
import { awsCli, SourceUnreachable } from "../lib/update-sources";
import type { Verb } from "./verb";

/**
 * `mcp security audit`, `mcp security access-log --suspicious` (docs/operations.md#security)
 * and `mcp security update --check` (docs/operations.md#image-scanning).
 * The IAM evaluation of test/iam (policies simulated against the calls each role's caller
 * makes) needs the test suite's request catalogue and simulator: it runs in `npm test`, not here.
 */
/** The day support dates are judged on: $MCP_POLICY_TODAY (as the pack reads it), else today. */
function today(env: NodeJS.ProcessEnv): string {
    return /^\d{4}-\d{2}-\d{2}$/.test(env.MCP_POLICY_TODAY ?? "")
        ? env.MCP_POLICY_TODAY!
        : new Date().toISOString().slice(0, 10);
}

async function audit(stack: string, version: string, io: Io, format: string): Promise<number> {
    const day = today(io.env);
    io.err(`synthesizing the ${stack} stack with the policy pack (20-60 s)…`);
    const { dir, summary } = synthStack(stack, io.env);
    try {
        const pack = packFindings(dir);
        io.err("running the peer linters over its manifests…");
        const peers = peerFindings(dir, io.env);
        const support = supportFindings(version, day);
        const findings: AuditFinding[] = [...pack.findings, ...peers.findings, ...support];
        const sections: AuditSection[] = [
            { source: "policy-pack", ran: true, detail: `${pack.detail} (${summary})` },
            ...peers.sections,
            { source: "eks-support", ran: true, detail: `Kubernetes ${version} on ${day}` },
            {
                source: "iam",
                ran: false,
                detail: "the IAM evaluation (test/iam) is part of the test suite, not shipped: npx vitest run test/iam",
            },
        ];
        const mandatory = findings.filter((f) => f.level === "mandatory").length;
        const result = {
            stack,
            sections,
            findings,
            summary: { mandatory, advisory: findings.length - mandatory },
        };
        if (format === "text") {
            for (const s of sections) {
                io.out(`${s.ran ? "ran    " : "not run"}  ${s.source}: ${s.detail}`);
            }
            if (findings.length) {
                io.out("");
                const rows = table([
                    ["LEVEL", "SOURCE", "CHECK", "OBJECT", "MESSAGE"],
                    ...findings.map((f) => [f.level, f.source, f.check, f.object, f.message]),
                ]);
                for (const line of rows) io.out(line);
            }
            io.out(
                `${stack}: ${mandatory} mandatory, ${findings.length - mandatory} advisory findings`,
            );
        } else {
            io.out(renderData(format as "json" | "yaml", result));
        }
        return mandatory > 0 ? exitCodes.problem : exitCodes.ok;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function accessLog(
    group: string,
    region: string,
    sinceMs: number,
    io: Io,
    format: string,
): Promise<number> {
    const aws = awsCli(io.env, region);
    const outcomes: QueryOutcome[] = [];
    for (const query of suspiciousAccessQueries()) {
        io.err(`running ${query.key} over ${group}…`);
        outcomes.push(await runInsightsQuery(aws, group, query, sinceMs));
    }
    const found = outcomes.reduce((n, o) => n + o.rows.length, 0);
    if (format === "text") {
        for (const o of outcomes) {
            io.out(
                `${o.key}: ${o.rows.length === 0 ? "nothing" : `${o.rows.length} found`} — ${o.description}`,
            );
            if (o.rows.length > 0) {
                const fields = [...new Set(o.rows.flatMap((r) => Object.keys(r)))];
                for (const line of table([
                    fields,
                    ...o.rows.map((r) => fields.map((f) => r[f] ?? "")),
                ])) {
                    io.out(`  ${line}`);
                }
            }
        }
    } else {
        io.out(
            renderData(format as "json" | "yaml", { logGroup: group, queries: outcomes, found }),
        );
    }
    return found > 0 ? exitCodes.problem : exitCodes.ok;
}

/**
 * `update --check`: the open Inspector findings of the images in the stack's ECR pull-through
 * cache, by severity; exit 1 at `failOn` or above.
 */
async function updateCheck(
    cfg: StackContext["cfg"],
    failOn: Severity,
    io: Io,
    format: string,
): Promise<number> {
    const registry = imageRegistryHost(cfg.cluster.imageCache, cfg.region);
    const account = registry.split(".")[0];
    io.err(`reading Inspector's open findings of ${registry}'s cached images…`);
    let findings: ImageFinding[];
    try {
        findings = await listImageFindings(awsCli(io.env, cfg.region), account);
    } catch (error) {
        if (error instanceof SourceUnreachable) {
            throw new CliError(error.message, error.remedy, exitCodes.unreachable);
        }
        throw error;
    }
    const counts = bySeverity(findings);
    const failing = findings.filter((f) => atLeast(f.severity, failOn)).length;
    if (format === "text") {
        io.out(
            `${registry}: ${findings.length} open finding(s): ` +
                severities.map((s) => `${counts[s]} ${s}`).join(", "),
        );
        if (findings.length > 0) {
            const rows = findings.map((f) => [
                f.severity,
                f.vulnerability,
                f.packages
                    .map(
                        (p) =>
                            `${p.name} ${p.version}${p.fixedIn ? ` → ${p.fixedIn}` : " (no fix)"}`,
                    )
                    .join("; ") || "-",
                f.image,
            ]);
            for (const line of table([
                ["SEVERITY", "VULNERABILITY", "PACKAGE → FIXED IN", "IMAGE"],
                ...rows,
            ]))
                io.out(line);
        }
        if (failing > 0) {
            io.err(
                `${failing} finding(s) at ${failOn} or above: move the image to a fixed tag in the stack file (mcp update check lists newer tags)`,
            );
        }
    } else {
        io.out(
            renderData(format as "json" | "yaml", {
                registry,
                failOn,
                summary: counts,
                findings,
            }),
        );
    }
    return failing > 0 ? exitCodes.problem : exitCodes.ok;
}

export const security: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        const [action, ...rest] = positionals;
        if (rest.length > 0 || !(spec.actions as readonly string[]).includes(action ?? "")) {
            throw new UsageError(
                `expected mcp security audit or mcp security access-log --suspicious, or mcp security update --check${action && !(spec.actions as readonly string[]).includes(action) ? ` (rotate-keys is not this verb's yet: docs/operations.md#security)` : ""}`,
            );
        }
        if (action === "update") {
            if (!values.check) {
                throw new UsageError(
                    "`mcp security update` only checks: add --check (a fix arrives as a new image tag in the stack file, through a pull request)",
                );
            }
            const failOn = choice(
                "--fail-on",
                values["fail-on"] ?? "HIGH",
                spec.options["fail-on"].choices,
            ) as Severity;
            const context = await stackContext(values.stack, io);
            return updateCheck(context.cfg, failOn, io, format);
        }
        if (values.check || values["fail-on"]) {
            throw new UsageError("--check and --fail-on go with update");
        }
        const context = await stackContext(values.stack, io);
        if (action === "audit") {
            if (values.suspicious || values.since) {
                throw new UsageError("--suspicious and --since go with access-log");
            }
            return audit(context.stack, context.cfg.cluster.version, io, format);
        }
        if (!values.suspicious) {
            throw new UsageError(
                "access-log runs the suspicious-access searches: give --suspicious (other searches: mcp logs)",
            );
        }
        const sinceMs = duration("--since", values.since ?? "24h", { positive: true });
        const group = `/aws/eks/${clusterName(context.cfg.environment)}/cluster`;
        return accessLog(group, context.cfg.region, sinceMs, io, format);
    },
};
