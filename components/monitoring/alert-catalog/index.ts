import { backupsGroup } from "./backups";
import { baselineGroup } from "./baseline";
import { certificatesGroup, postgresGroup, redisGroup } from "./datastores";
import { generalGroup } from "./general";
import { kubernetesGroup } from "./kubernetes";
import { logCollectorGroup } from "./log-collector";
import { mcpServicesGroup } from "./mcp-services";
import { nodesGroup } from "./nodes";
import { productionGroup } from "./production";
import { recordingGroup } from "./recording";
import { registryGroup } from "./registry";
import { semanticGroup } from "./semantic";
import { sloGroup } from "./slo";
import { alertsOf, type RuleGroup } from "./types";
import type { Slo } from "./slo";

export { renderGroups, runbookUrl } from "./runbooks";
export * from "./types";

/** What the catalog needs from the stack config. */
export interface CatalogOptions {
    readonly slos: readonly Slo[];
    /** `cfg.backups.schedules`: CronJob schedules by key. */
    readonly backupSchedules: Readonly<Record<string, string>>;
    /** `monitoring.backupStaleGrace`. */
    readonly backupStaleGrace: string;
    /** `monitoring.artifactStorageQuotaGiB`. */
    readonly artifactStorageQuotaGiB: number;
}

/** The whole rule catalog: one group per component, in a stable order. */
export function ruleCatalog(options: CatalogOptions): RuleGroup[] {
    return [
        generalGroup,
        recordingGroup,
        mcpServicesGroup,
        nodesGroup,
        registryGroup,
        productionGroup,
        baselineGroup,
        semanticGroup({ artifactStorageQuotaBytes: options.artifactStorageQuotaGiB * 2 ** 30 }),
        kubernetesGroup,
        backupsGroup({ schedules: options.backupSchedules, grace: options.backupStaleGrace }),
        postgresGroup,
        redisGroup,
        certificatesGroup,
        logCollectorGroup,
        ...options.slos.map(sloGroup),
    ];
}

/**
 * Alert names whose alerts are symptoms of a service's health: muted while ServiceDown
 * fires for that service.
 */
export function symptomAlertNames(groups: readonly RuleGroup[]): string[] {
    return [
        ...new Set(
            alertsOf(groups)
                .filter((a) => a.symptom)
                .map((a) => a.alert),
        ),
    ].sort();
}
