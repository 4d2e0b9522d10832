import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { eksStandardSupportEnds } from "../contracts/eks-support";
import { configOf } from "./lib/config";

/**
 * EKS standard support, as data: the day each Kubernetes minor leaves standard support
 * (contracts/eks-support.ts, which `mcp update check` reads too).
 */
export { eksStandardSupportEnds };

const supportSchema = {
    properties: {
        standardSupportEnds: {
            type: "object" as const,
            description:
                'Kubernetes minor → last day of EKS standard support (YYYY-MM-DD), e.g. { "1.35": "2027-03-27" }.',
            additionalProperties: { type: "string" as const, pattern: "^\\d{4}-\\d{2}-\\d{2}$" },
            default: eksStandardSupportEnds,
        },
        warningDays: {
            type: "integer" as const,
            minimum: 1,
            description: "How many days before the end the advisory policy starts reporting.",
            default: 90,
        },
        today: {
            type: "string" as const,
            pattern: "^(\\d{4}-\\d{2}-\\d{2})?$",
            description:
                'The date to judge against (YYYY-MM-DD); "" is $MCP_POLICY_TODAY if set, else the day the policy runs. For tests and for planning ahead.',
            default: "",
        },
    },
};

interface SupportConfig {
    standardSupportEnds: Record<string, string>;
    warningDays: number;
    today: string;
}

const dayMs = 24 * 60 * 60 * 1000;
const days = (n: number) => `${n} ${n === 1 ? "day" : "days"}`;

/** Midnight UTC of a YYYY-MM-DD date; undefined when it is not one. */
function utcDay(date: string): number | undefined {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
    const time = Date.parse(`${date}T00:00:00Z`);
    return Number.isNaN(time) ? undefined : time;
}

export type SupportStatus =
    | { readonly kind: "unknown" }
    | { readonly kind: "ended"; readonly end: string; readonly daysAgo: number }
    | { readonly kind: "ending"; readonly end: string; readonly daysLeft: number }
    | { readonly kind: "supported"; readonly end: string; readonly daysLeft: number };

/**
 * Where `version` stands on `today`: past its end date (ended), within `warningDays` of it
 * (ending; the end day itself is still supported), supported, or not in the table (unknown).
 */
export function supportStatus(
    version: string,
    today: string,
    ends: Readonly<Record<string, string>>,
    warningDays: number,
): SupportStatus {
    const end = ends[version];
    const endDay = end === undefined ? undefined : utcDay(end);
    const now = utcDay(today);
    if (end === undefined || endDay === undefined || now === undefined) return { kind: "unknown" };
    const daysLeft = Math.round((endDay - now) / dayMs);
    if (daysLeft < 0) return { kind: "ended", end, daysAgo: -daysLeft };
    if (daysLeft <= warningDays) return { kind: "ending", end, daysLeft };
    return { kind: "supported", end, daysLeft };
}

function settingsOf(args: Parameters<typeof configOf>[1]): SupportConfig {
    const config = configOf<SupportConfig>(supportSchema, args);
    const today =
        config.today || process.env.MCP_POLICY_TODAY || new Date().toISOString().slice(0, 10);
    if (utcDay(today) === undefined) {
        throw new Error(
            `EKS support-date policies: today (config, or MCP_POLICY_TODAY) must be a date as YYYY-MM-DD (got ${today})`,
        );
    }
    return { ...config, today };
}

/** The newest minor in the table still in standard support on `today`, for the remediation. */
function newestSupported(config: SupportConfig): string | undefined {
    return Object.keys(config.standardSupportEnds)
        .filter(
            (v) =>
                supportStatus(v, config.today, config.standardSupportEnds, 0).kind !== "ended" &&
                supportStatus(v, config.today, config.standardSupportEnds, 0).kind !== "unknown",
        )
        .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]))
        .at(-1);
}

export const eksStandardSupport: ResourceValidationPolicy = {
    name: "aws-eks-version-standard-support",
    description:
        "Checks whether an EKS cluster runs a Kubernetes minor that is still in EKS standard support (by the dates in policies/aws-eks-support.ts) and sets upgradePolicy.supportType explicitly.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["eks-lifecycle"],
    configSchema: supportSchema,
    remediationSteps:
        "Upgrade one minor at a time (docs/cluster.md, Upgrading Kubernetes): set mcp-platform:cluster.version and the add-on versions for it, deploy, then the next minor. A minor missing from the table gets its end date from the AWS EKS version lifecycle page.",
    validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
        const config = settingsOf(args);
        const version = cluster.version;
        if (cluster.upgradePolicy?.supportType === undefined) {
            reportViolation(
                `EKS cluster ${args.name} must set upgradePolicy.supportType explicitly (STANDARD: when standard support ends EKS upgrades the cluster instead of billing extended support unnoticed).`,
            );
        }
        if (version === undefined) {
            reportViolation(
                `EKS cluster ${args.name} must pin its Kubernetes version so its support can be checked.`,
            );
            return;
        }
        const status = supportStatus(
            version,
            config.today,
            config.standardSupportEnds,
            config.warningDays,
        );
        const target = newestSupported(config);
        const upgrade = target ? ` Upgrade towards ${target}.` : "";
        if (status.kind === "unknown") {
            reportViolation(
                `EKS cluster ${args.name} runs Kubernetes ${version}, which has no standard-support end date in the policy's table: it must be added (policies/aws-eks-support.ts) before the version is used.`,
            );
        } else if (status.kind === "ended") {
            reportViolation(
                `EKS cluster ${args.name} must run a Kubernetes minor in standard support: ${version} left it on ${status.end} (${days(status.daysAgo)} before ${config.today}).${upgrade}`,
            );
        }
    }),
};

export const eksStandardSupportEnding: ResourceValidationPolicy = {
    name: "aws-eks-version-support-ending",
    description:
        "Checks whether an EKS cluster's Kubernetes minor leaves EKS standard support within the next 90 days (configurable), so the upgrade is planned before extended-support billing starts.",
    enforcementLevel: "advisory",
    severity: "medium",
    tags: ["eks-lifecycle"],
    configSchema: supportSchema,
    remediationSteps:
        "Plan the next minor upgrade now (docs/cluster.md, Upgrading Kubernetes): the mandatory aws-eks-version-standard-support fails the day after the end date.",
    validateResource: validateResourceOfType(aws.eks.Cluster, (cluster, args, reportViolation) => {
        const config = settingsOf(args);
        if (cluster.version === undefined) return;
        const status = supportStatus(
            cluster.version,
            config.today,
            config.standardSupportEnds,
            config.warningDays,
        );
        if (status.kind === "ending") {
            reportViolation(
                `EKS cluster ${args.name} should be upgraded soon: Kubernetes ${cluster.version} leaves standard support on ${status.end}, in ${days(status.daysLeft)}.`,
            );
        }
    }),
};

export const eksSupportPolicies: ResourceValidationPolicy[] = [
    eksStandardSupport,
    eksStandardSupportEnding,
];
