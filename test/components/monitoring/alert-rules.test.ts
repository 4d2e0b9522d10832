import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { describe, expect, it } from "vitest";
import type { SloConfig } from "../../../config/monitoring";
import { AlertRules } from "../../../components/monitoring/alert-rules";
import {
    alertsOf,
    isAlert,
    renderGroups,
    ruleCatalog,
    runbookUrl,
    symptomAlertNames,
} from "../../../components/monitoring/alert-catalog";
import {
    backupTargets,
    schedulePeriodSeconds,
} from "../../../components/monitoring/alert-catalog/backups";
import { inContract } from "../../../components/monitoring/alert-catalog/metrics";
import { formatDuration } from "../../../components/monitoring/alert-catalog/promql";
import {
    burnAlertName,
    burnFactor,
    errorBudget,
    pageWindows,
    ticketWindows,
} from "../../../components/monitoring/alert-catalog/slo";
import { recordResources } from "../../support/pulumi";
import { metricsOf } from "./alert-promql";
import { staleAfterSeconds } from "../../../contracts/backups";
import { parseDuration } from "../../../contracts/durations";

const slos: SloConfig[] = [
    { name: "availability", sli: "availability", objective: 99.9, selector: {}, periodDays: 30 },
    {
        name: "latency",
        sli: "latency",
        objective: 95,
        latencyThresholdSeconds: 0.1,
        selector: { namespace: "mcp-system" },
        periodDays: 30,
    },
];
const catalog = ruleCatalog({
    slos,
    backupSchedules: {
        postgres: "0 * * * *",
        appData: "0 3 * * *",
        redis: "30 * * * *",
        verify: "30 5 * * *",
    },
    backupStaleGrace: "30m",
    artifactStorageQuotaGiB: 1024,
});
const base = "https://github.com/mcp-platform/mcp-platform/blob/main/docs/runbooks";

describe("rule catalog", () => {
    it("names the manuals' alerts and the platform essentials", () => {
        const names = new Set(alertsOf(catalog).map((a) => a.alert));
        for (const name of [
            "HighErrorRate", // MCP Platform manual
            "ServiceDown",
            "HighMemoryUsage",
            "RegistryHighLatencyP99", // registry guide
            "RegistryThreatDetections",
            "ProductionHighErrorRate", // MCP servers runbook, P1
            "ProductionHighResponseTime", // MCP servers runbook, P2
            "PerformanceDegradation", // performance baseline
            "ValidationHighErrorRate", // Level 3 manual dashboards
            "PromotionRollback",
            "ArtifactStorageFull",
            "PodCrashLooping", // platform essentials
            "HpaMaxedOut",
            "PersistentVolumeFillingUp",
            "BackupStale",
            "PostgresReplicationLag",
            "RedisRejectedConnections",
            "CertificateExpiringSoon",
            "AvailabilityErrorBudgetBurn", // SLOs from config
            "LatencyErrorBudgetBurn",
            "Watchdog",
            "InfoInhibitor",
        ]) {
            expect(names, name).toContain(name);
        }
    });

    it("keeps the MCP Platform manual's three alerts with their exact semantics", () => {
        const rule = (name: string) => alertsOf(catalog).find((a) => a.alert === name)!;
        expect(rule("HighErrorRate")).toMatchObject({
            for: "5m",
            labels: { severity: "critical" },
        });
        expect(rule("HighErrorRate").expr).toMatch(
            /^sum by \(namespace, service\) \(rate\(mcp_errors_total\[5m\]\)\) \/ sum by \(namespace, service\) \(rate\(mcp_requests_total\[5m\]\)\) > 0\.01$/,
        );
        expect(rule("ServiceDown")).toMatchObject({
            expr: 'up{job="mcp-services"} == 0',
            for: "2m",
            labels: { severity: "critical" },
        });
        expect(rule("HighMemoryUsage")).toMatchObject({
            expr: "(1 - (node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)) > 0.85",
            for: "10m",
            labels: { severity: "warning" },
        });
    });

    it("reads only metrics of the contract and its own recording rules", () => {
        const records = new Set(
            catalog.flatMap((g) => g.rules).flatMap((r) => (isAlert(r) ? [] : [r.record])),
        );
        const unknown = catalog
            .flatMap((g) => g.rules)
            .flatMap((r) => metricsOf(r.expr).filter((m) => !inContract(m, records)));
        expect(unknown).toEqual([]);
    });

    it("lets InfoInhibitor start before any info alert turns firing", () => {
        const inhibitor = alertsOf(catalog).find((a) => a.alert === "InfoInhibitor")!;
        for (const alert of alertsOf(catalog)) {
            if (alert.labels.severity !== "info" || alert === inhibitor) continue;
            if (alert.alert === "Watchdog") continue;
            expect(parseDuration(alert.for), alert.alert).toBeGreaterThanOrEqual(
                parseDuration(inhibitor.for) + 5 * 60,
            );
        }
    });

    it("lists the symptom alerts ServiceDown mutes", () => {
        const symptoms = symptomAlertNames(catalog);
        expect(symptoms).toContain("HighErrorRate");
        expect(symptoms).toContain("AvailabilityErrorBudgetBurn");
        expect(symptoms).not.toContain("ServiceDown");
        expect(symptoms).not.toContain("BackupStale");
    });

    it("adds runbook_url from one pattern to every alert, and rejects duplicate groups", () => {
        const rendered = renderGroups(catalog, `${base}/`);
        for (const rule of rendered.flatMap((g) => g.rules)) {
            if (rule.alert) expect(rule.annotations?.runbook_url).toBe(`${base}/${rule.alert}.md`);
            else expect(rule.annotations).toBeUndefined();
        }
        expect(runbookUrl(base, "ServiceDown")).toBe(`${base}/ServiceDown.md`);
        expect(() => renderGroups([catalog[0], catalog[0]], base)).toThrow(
            'duplicate rule group "general"',
        );
    });
});

describe("SLO burn rates", () => {
    it("uses the SRE workbook factors for a 30-day SLO", () => {
        expect(pageWindows.map((w) => burnFactor(w, 30))).toEqual([14.4, 6]);
        expect(ticketWindows.map((w) => burnFactor(w, 30))).toEqual([3, 1]);
        expect(errorBudget(slos[0])).toBe(0.001);
        expect(errorBudget(slos[1])).toBe(0.05);
        expect(burnAlertName({ ...slos[0], name: "api-availability" })).toBe(
            "ApiAvailabilityErrorBudgetBurn",
        );
    });

    it("pages on 1h/5m and 6h/30m, tickets on 1d/2h and 3d/6h", () => {
        const burn = alertsOf(catalog).filter((a) => a.alert === "AvailabilityErrorBudgetBurn");
        const page = burn.find((a) => a.labels.severity === "critical")!;
        const ticket = burn.find((a) => a.labels.severity === "warning")!;
        expect(page.expr).toContain(
            'slo:sli_error:ratio_rate1h{slo="availability"} > (14.4 * 0.001)',
        );
        expect(page.expr).toContain(
            'slo:sli_error:ratio_rate5m{slo="availability"} > (14.4 * 0.001)',
        );
        expect(page.expr).toContain(
            'slo:sli_error:ratio_rate30m{slo="availability"} > (6 * 0.001)',
        );
        expect(ticket.expr).toContain(
            'slo:sli_error:ratio_rate2h{slo="availability"} > (3 * 0.001)',
        );
        expect(ticket.expr).toContain(
            'slo:sli_error:ratio_rate3d{slo="availability"} > (1 * 0.001)',
        );
    });

    it("derives the latency SLI from the threshold bucket, within the selector", () => {
        const group = catalog.find((g) => g.name === "slo-latency")!;
        const fiveMinutes = group.rules.find(
            (r) => !isAlert(r) && r.record === "slo:sli_error:ratio_rate5m",
        )!;
        expect(fiveMinutes.expr).toBe(
            '1 - (sum by (namespace, service) (rate(mcp_request_duration_seconds_bucket{namespace="mcp-system", le="0.1"}[5m])) / sum by (namespace, service) (rate(mcp_request_duration_seconds_bucket{namespace="mcp-system", le="+Inf"}[5m])))',
        );
    });
});

describe("backup staleness", () => {
    it("reads the period of the backup schedules", () => {
        expect(schedulePeriodSeconds("0 * * * *")).toBe(3600);
        expect(schedulePeriodSeconds("30 5 * * *")).toBe(86400);
        expect(schedulePeriodSeconds("0 3 * * 0")).toBe(7 * 86400);
        expect(schedulePeriodSeconds("0 4 1 * *")).toBe(31 * 86400);
        expect(staleAfterSeconds("0 * * * *", "30m")).toBe(5400);
        expect(formatDuration(5400)).toBe("1h30m");
        expect(formatDuration(88200)).toBe("1d30m");
        expect(formatDuration(7 * 86400)).toBe("1w");
    });

    it("watches the four backup CronJobs of mcp-production", () => {
        expect(
            backupTargets({
                postgres: "0 * * * *",
                appData: "0 3 * * *",
                redis: "30 * * * *",
                verify: "30 5 * * *",
            }),
        ).toEqual([
            { cronjob: "postgres-backup", schedule: "0 * * * *", severity: "critical" },
            { cronjob: "app-data-backup", schedule: "0 3 * * *", severity: "critical" },
            { cronjob: "redis-backup", schedule: "30 * * * *", severity: "warning" },
            { cronjob: "backup-verify", schedule: "30 5 * * *", severity: "warning" },
        ]);
        expect(backupTargets({ userUploads: "0 1 * * *" })[0].cronjob).toBe("user-uploads-backup");
    });
});

describe("AlertRules", () => {
    it("creates one PrometheusRule per group in monitoring, selected by kube-prometheus-stack", async () => {
        const recorded = await recordResources(
            () => new AlertRules("alert-rules", { groups: catalog, runbookBaseUrl: base }),
        );
        const rules = recorded.ofType("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
        expect(rules).toHaveLength(catalog.length);
        for (const record of rules) {
            const manifest = { ...record.inputs } as Record<string, any>;
            expect(manifest.metadata.namespace).toBe("monitoring");
            expect(manifest.metadata.name).toMatch(/^mcp-platform-[a-z0-9-]+-rules$/);
            expect(manifest.metadata.labels.release).toBe("kube-prometheus-stack");
            expect(manifest.spec.groups).toHaveLength(1);
            // The CRD's own schema (prometheus-operator), as the API server would check it.
            const model = new PrometheusRule(manifest as any) as unknown as { validate(): void };
            expect(() => model.validate()).not.toThrow();
        }
        const names = rules.map((r) => (r.inputs.metadata as { name: string }).name);
        expect(names).toContain("mcp-platform-mcp-services-rules");
        expect(new Set(names).size).toBe(names.length);
    });
});
