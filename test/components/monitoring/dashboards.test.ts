import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { Dashboards } from "../../../components/monitoring/dashboards";
import { isAlert, ruleCatalog } from "../../../components/monitoring/alert-catalog";
import { inContract } from "../../../components/monitoring/alert-catalog/metrics";
import { semanticThresholds } from "../../../components/monitoring/alert-catalog/semantic";
import {
    dashboardUids,
    platformDashboards,
} from "../../../components/monitoring/dashboard-catalog";
import { recordResources } from "../../support/pulumi";
import { metricsOf } from "./alert-promql";

const quotaBytes = 1024 * 2 ** 30;
const boards = platformDashboards({ artifactStorageQuotaBytes: quotaBytes });

interface Panel {
    id: number;
    title: string;
    gridPos: { h: number; w: number; x: number; y: number };
    targets: { refId: string; expr: string }[];
    fieldConfig: { defaults: { thresholds: { steps: { color: string; value: number | null }[] } } };
}

const panelsOf = (board: Record<string, unknown>) => board.panels as Panel[];
const boardOf = (uid: string) => boards.find((b) => b.uid === uid)!;
const panelOf = (uid: string, title: string) =>
    panelsOf(boardOf(uid)).find((p) => p.title === title)!;

const recordingRules = new Set(
    ruleCatalog({
        slos: [
            {
                name: "availability",
                sli: "availability",
                objective: 99.9,
                selector: {},
                periodDays: 30,
            },
            {
                name: "latency",
                sli: "latency",
                objective: 95,
                latencyThresholdSeconds: 0.1,
                selector: { namespace: "mcp-system" },
                periodDays: 30,
            },
        ],
        backupSchedules: { postgres: "0 * * * *" },
        backupStaleGrace: "30m",
        artifactStorageQuotaGiB: 1024,
    })
        .flatMap((g) => g.rules)
        .flatMap((r) => (isAlert(r) ? [] : [r.record])),
);

describe("platform dashboards", () => {
    it("are the manuals' dashboards, under the uids of their URLs", () => {
        expect(boards.map((b) => b.uid).sort()).toEqual([
            "infrastructure", // /d/infrastructure
            "mcp-artifacts", // /d/mcp-artifacts
            "mcp-overview", // /d/mcp-overview
            "mcp-promotion", // /d/mcp-promotion
            "mcp-validation", // /d/mcp-validation
            "service-performance", // /d/service-performance
            "system-overview", // /d/system-overview
        ]);
    });

    it.each(boards.map((b) => [b.uid as string, b]))(
        "%s is valid JSON with unique panels on the 24-column grid",
        (_uid, board) => {
            const roundTrip = JSON.parse(JSON.stringify(board));
            expect(roundTrip).toEqual(board);
            const panels = panelsOf(board);
            expect(panels.length).toBeGreaterThan(2);
            expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
            for (const panel of panels) {
                expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
                expect(panel.targets.length, panel.title).toBeGreaterThan(0);
            }
        },
    );

    it("query only metrics of the contract or the catalog's recording rules", () => {
        const unknown: string[] = [];
        for (const board of boards) {
            for (const panel of panelsOf(board)) {
                for (const target of panel.targets) {
                    for (const metric of metricsOf(target.expr)) {
                        if (!inContract(metric, recordingRules)) {
                            unknown.push(`${board.uid} / ${panel.title}: ${metric}`);
                        }
                    }
                }
            }
        }
        expect(unknown).toEqual([]);
    });

    it("the contract check rejects a metric outside the contract", () => {
        expect(metricsOf("rate(http_requests_total[5m])")).toEqual(["http_requests_total"]);
        expect(inContract("http_requests_total", recordingRules)).toBe(false);
        expect(inContract("slo:sli_error:ratio_rate1h", recordingRules)).toBe(true);
        expect(() => metricsOf("sum(rate(mcp_requests_total[5m])")).toThrow(/syntax error/);
    });

    it("every query is accepted by promtool's PromQL parser", () => {
        const rules = boards.flatMap((board) =>
            panelsOf(board).flatMap((panel) =>
                panel.targets.map((target, index) => ({
                    record: `dashboard:${String(board.uid).replace(/-/g, "_")}:p${panel.id}_${index}`,
                    // Grafana substitutes $namespace before the query reaches Prometheus.
                    expr: target.expr.replace(/\$namespace/g, "mcp-system"),
                })),
            ),
        );
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboards-"));
        const file = path.join(dir, "queries.yaml");
        fs.writeFileSync(file, stringify({ groups: [{ name: "dashboards", rules }] }));
        const result = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
        if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
            throw new Error(
                "promtool is not installed; install it with: apt-get install -y --no-install-recommends prometheus",
            );
        }
        expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
        expect(result.stdout).toContain(`SUCCESS: ${rules.length} rules found`);
    });

    it("draw the alert thresholds of the catalog", () => {
        const steps = (uid: string, title: string) =>
            panelOf(uid, title).fieldConfig.defaults.thresholds.steps;
        expect(steps("mcp-validation", "Validation error rate")).toEqual([
            { color: "green", value: null },
            { color: "orange", value: semanticThresholds.validationErrorRatioWarning },
            { color: "red", value: semanticThresholds.validationErrorRatioCritical },
        ]);
        // Lower is worse: orange below 70 %, green above.
        expect(steps("mcp-validation", "Validation cache hit rate")).toEqual([
            { color: "orange", value: null },
            { color: "green", value: 0.7 },
        ]);
        expect(steps("mcp-promotion", "Promotion time (p95, 1h)")[1].value).toBe(300);
        expect(panelOf("mcp-artifacts", "Storage used / quota").targets[0].expr).toContain(
            `/ ${quotaBytes}`,
        );
        // The "MCP Service Overview" panel, as the manual writes it.
        expect(panelOf("service-performance", "Response Time (p95)").targets[0].expr).toBe(
            'histogram_quantile(0.95, sum(rate(mcp_request_duration_seconds_bucket{namespace=~"$namespace"}[5m])) by (le, service))',
        );
    });
});

describe("Dashboards", () => {
    it("provisions one sidecar ConfigMap per dashboard in monitoring", async () => {
        const recorded = await recordResources(
            () => new Dashboards("dashboards", { dashboards: boards }),
        );
        const maps = recorded.ofType("kubernetes:core/v1:ConfigMap");
        expect(maps).toHaveLength(boards.length);
        for (const map of maps) {
            const metadata = map.inputs.metadata as {
                name: string;
                namespace: string;
                labels: Record<string, string>;
            };
            const uid = metadata.name.replace(/^grafana-dashboard-/, "");
            expect(metadata.namespace).toBe("monitoring");
            expect(metadata.labels.grafana_dashboard).toBe("1");
            const data = map.inputs.data as Record<string, string>;
            expect(Object.keys(data)).toEqual([`${uid}.json`]);
            expect(JSON.parse(data[`${uid}.json`]).uid).toBe(uid);
        }
    });

    it("rejects two dashboards with one uid, and a uid that is not a URL segment", () => {
        expect(() => dashboardUids([boards[0], { ...boards[1], uid: boards[0].uid }])).toThrow(
            'duplicate dashboard uid "mcp-overview"',
        );
        expect(() => dashboardUids([{ ...boards[0], uid: "MCP Overview" }])).toThrow(/kebab-case/);
        expect(dashboardUids(boards)).toHaveLength(7);
    });
});
