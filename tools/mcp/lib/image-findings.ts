import { cachePrefixes } from "../../../contracts/image-cache";
import type { AwsCli } from "./update-sources";

/**
 * Amazon Inspector's findings for the images in the stack's ECR pull-through cache
 * (docs/cluster.md, "Image cache"), read with `aws inspector2 list-findings` (the CLI follows
 * `nextToken` itself).
 */

/** Inspector's severities, most severe first. */
export const severities = [
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNTRIAGED",
] as const;
export type Severity = (typeof severities)[number];

export interface ImageFinding {
    readonly severity: Severity;
    /** CVE-2024-1234, GHSA-…, or the finding's title. */
    readonly vulnerability: string;
    readonly title: string;
    /** `openssl 3.0.11-1~deb12u1`, each vulnerable package of the finding. */
    readonly packages: readonly { name: string; version: string; fixedIn?: string }[];
    /** YES, NO or PARTIAL. */
    readonly fixAvailable?: string;
    /** `ghcr/mcp-platform/mcp-router:v2.4.1` (repository and tags in the cache). */
    readonly image: string;
    readonly imageDigest?: string;
    readonly firstObservedAt?: string;
    readonly findingArn: string;
}

/** The filter: active findings of container images in `account`'s registry, cache prefixes only. */
export function findingsFilter(account: string, prefixes: readonly string[] = cachePrefixes) {
    return {
        findingStatus: [{ comparison: "EQUALS", value: "ACTIVE" }],
        resourceType: [{ comparison: "EQUALS", value: "AWS_ECR_CONTAINER_IMAGE" }],
        ecrImageRegistry: [{ comparison: "EQUALS", value: account }],
        ecrImageRepositoryName: prefixes.map((p) => ({ comparison: "PREFIX", value: `${p}/` })),
    };
}

type Obj = Record<string, any>;

const text = (value: unknown): string | undefined =>
    value === undefined || value === null ? undefined : String(value);

/** One finding of the API's shape (ListFindings `findings[]`) in ours. */
export function imageFinding(raw: Obj): ImageFinding {
    const resource = ((raw.resources ?? []) as Obj[]).find(
        (r) => r.type === "AWS_ECR_CONTAINER_IMAGE",
    );
    const image = (resource?.details?.awsEcrContainerImage ?? {}) as Obj;
    const tags = (image.imageTags ?? []) as string[];
    const vuln = (raw.packageVulnerabilityDetails ?? {}) as Obj;
    const severity = (severities as readonly string[]).includes(raw.severity)
        ? (raw.severity as Severity)
        : "UNTRIAGED";
    return {
        severity,
        vulnerability: text(vuln.vulnerabilityId) ?? text(raw.title) ?? "unknown",
        title: text(raw.title) ?? "",
        packages: ((vuln.vulnerablePackages ?? []) as Obj[]).map((p) => ({
            name: String(p.name),
            version: String(p.version),
            fixedIn:
                p.fixedInVersion && p.fixedInVersion !== "NotAvailable"
                    ? String(p.fixedInVersion)
                    : undefined,
        })),
        fixAvailable: text(raw.fixAvailable),
        image: `${image.repositoryName ?? resource?.id ?? "?"}${tags.length ? `:${tags.join(",")}` : ""}`,
        imageDigest: text(image.imageHash),
        firstObservedAt: text(raw.firstObservedAt),
        findingArn: String(raw.findingArn),
    };
}

/** Every open finding of the cache's images, most severe first, then by image. */
export async function listImageFindings(aws: AwsCli, account: string): Promise<ImageFinding[]> {
    const answer = (await aws([
        "inspector2",
        "list-findings",
        "--filter-criteria",
        JSON.stringify(findingsFilter(account)),
    ])) as { findings?: Obj[] };
    return (answer.findings ?? [])
        .map(imageFinding)
        .sort(
            (a, b) =>
                severities.indexOf(a.severity) - severities.indexOf(b.severity) ||
                a.image.localeCompare(b.image) ||
                a.vulnerability.localeCompare(b.vulnerability),
        );
}

/** Counts by severity, every severity present (0 when none). */
export function bySeverity(findings: readonly ImageFinding[]): Record<Severity, number> {
    const counts = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
    for (const f of findings) counts[f.severity] += 1;
    return counts;
}

/** Whether `severity` is at least as severe as `threshold` (UNTRIAGED counts as below all). */
export function atLeast(severity: Severity, threshold: Severity): boolean {
    return (
        severity !== "UNTRIAGED" && severities.indexOf(severity) <= severities.indexOf(threshold)
    );
}
