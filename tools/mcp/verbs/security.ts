import { imageRegistryHost } from "../../../config/image-cache";
import { security as spec } from "../catalog";
import { choice } from "../../lib/cli/options";
import {
    CliError,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    table,
    UsageError,
} from "../lib/cli";
import type { Io } from "../lib/context";
import {
    atLeast,
    bySeverity,
    listImageFindings,
    type Severity,
    severities,
} from "../lib/image-findings";
import { loadStackConfig, resolveStackName } from "../lib/stack";
import { awsCli, SourceUnreachable } from "../lib/update-sources";
import type { Verb } from "./verb";

/**
 * `mcp security update --check`: the open Inspector findings of the images in the stack's
 * ECR pull-through cache, by severity (docs/operations.md, "Image scanning").
 */
export const security: Verb = {
    spec,
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, spec);
        const format = outputFormat(values);
        if (positionals[0] !== "update" || positionals.length > 1) {
            throw new UsageError("expected `mcp security update --check`");
        }
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
        const stack = await resolveStackName(values.stack, io.env);
        const cfg = loadStackConfig(stack);
        const registry = imageRegistryHost(cfg.cluster.imageCache, cfg.region);
        const account = registry.split(".")[0];
        io.err(`reading Inspector's open findings of ${registry}'s cached images…`);
        let findings;
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
                renderData(format, {
                    registry,
                    failOn,
                    summary: counts,
                    findings,
                }),
            );
        }
        return failing > 0 ? exitCodes.problem : exitCodes.ok;
    },
};
