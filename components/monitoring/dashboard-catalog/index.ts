import { dashboard } from "./grafana";
import { infrastructure, servicePerformance, systemOverview } from "./platform";
import { artifacts, overview, promotion, validation } from "./semantic";

export interface DashboardOptions {
    /** `monitoring.artifactStorageQuotaGiB`, in bytes. */
    readonly artifactStorageQuotaBytes: number;
}

/**
 * Every dashboard of the operations procedures (system-overview, service-performance,
 * infrastructure; mcp-overview, mcp-validation, mcp-promotion, mcp-artifacts), as
 * Grafana JSON keyed by uid (the `/d/<uid>` of the manuals' URLs).
 */
export function platformDashboards(options: DashboardOptions): Record<string, unknown>[] {
    return [
        overview,
        systemOverview,
        servicePerformance,
        infrastructure,
        validation,
        promotion,
        artifacts(options.artifactStorageQuotaBytes),
    ].map(dashboard);
}

/** The uids of the dashboards, checked: kebab-case (they are URLs) and unique. */
export function dashboardUids(boards: readonly Record<string, unknown>[]): string[] {
    const uids = boards.map((board) => {
        const uid = board.uid;
        if (typeof uid !== "string" || !/^[a-z0-9-]{1,40}$/.test(uid)) {
            throw new Error(
                `dashboard uid must be kebab-case, at most 40 characters (got ${String(uid)})`,
            );
        }
        return uid;
    });
    const duplicate = uids.find((uid, index) => uids.indexOf(uid) !== index);
    if (duplicate !== undefined) throw new Error(`duplicate dashboard uid "${duplicate}"`);
    return uids;
}
