/**
 * A small Grafana dashboard builder: typed panels laid out on the 24-column grid, every query
 * against the Prometheus datasource chosen by the `datasource` variable. Dashboards are plain
 * JSON (schemaVersion 39) that Grafana's sidecar loads from ConfigMaps.
 */

export type Unit =
    | "reqps"
    | "percentunit"
    | "percent"
    | "s"
    | "bytes"
    | "Bps"
    | "short"
    | "ops"
    | "iops"
    | "opm"
    | "dtdurations";

export interface Query {
    readonly expr: string;
    readonly legend?: string;
}

export interface PanelSpec {
    readonly title: string;
    readonly description?: string;
    readonly kind?: "timeseries" | "stat";
    readonly unit: Unit;
    readonly queries: readonly Query[];
    /** Threshold lines: warning (orange) and critical (red) values of the matching alert. */
    readonly warning?: number;
    readonly critical?: number;
    /** Thresholds that are bad when the value is *below* them (e.g. cache hit rate). */
    readonly lowerIsWorse?: boolean;
    /** Grid width (of 24). @default 24 divided by the panels in its row */
    readonly width?: number;
}

export interface DashboardSpec {
    readonly uid: string;
    readonly title: string;
    readonly description: string;
    readonly tags: readonly string[];
    /** Rows of panels, laid out top to bottom. */
    readonly rows: readonly (readonly PanelSpec[])[];
    /** A `namespace` variable over this metric's namespaces, used as `$namespace`. */
    readonly namespaceVariable?: { readonly metric: string; readonly default?: string };
}

const datasource = { type: "prometheus", uid: "${datasource}" };
const panelHeight = 8;

function thresholdSteps(panel: PanelSpec) {
    const levels = [
        ...(panel.warning !== undefined ? [{ color: "orange", value: panel.warning }] : []),
        ...(panel.critical !== undefined ? [{ color: "red", value: panel.critical }] : []),
    ];
    if (!panel.lowerIsWorse) return [{ color: "green", value: null }, ...levels];
    // Bad below the thresholds: the lowest one is the most severe, green above them all.
    const sorted = [...levels].sort((a, b) => a.value - b.value);
    return [
        { color: sorted[0]?.color ?? "green", value: null },
        ...sorted.map((level, index) => ({
            color: sorted[index + 1]?.color ?? "green",
            value: level.value,
        })),
    ];
}

function panelJson(panel: PanelSpec, id: number, gridPos: Record<string, number>) {
    const kind = panel.kind ?? "timeseries";
    const hasThresholds = panel.warning !== undefined || panel.critical !== undefined;
    return {
        id,
        type: kind,
        title: panel.title,
        ...(panel.description ? { description: panel.description } : {}),
        datasource,
        gridPos,
        targets: panel.queries.map((query, index) => ({
            refId: String.fromCharCode(65 + index),
            datasource,
            expr: query.expr,
            legendFormat: query.legend ?? "__auto",
        })),
        fieldConfig: {
            defaults: {
                unit: panel.unit,
                thresholds: { mode: "absolute", steps: thresholdSteps(panel) },
                ...(kind === "timeseries"
                    ? {
                          custom: {
                              thresholdsStyle: { mode: hasThresholds ? "line+area" : "off" },
                          },
                      }
                    : {}),
            },
            overrides: [],
        },
        options:
            kind === "timeseries"
                ? {
                      legend: { displayMode: "list", placement: "bottom", showLegend: true },
                      tooltip: { mode: "multi", sort: "desc" },
                  }
                : {
                      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
                      colorMode: "background",
                  },
    };
}

/** The dashboard JSON Grafana imports. */
export function dashboard(spec: DashboardSpec): Record<string, unknown> {
    let id = 0;
    let y = 0;
    const panels: Record<string, unknown>[] = [];
    for (const row of spec.rows) {
        let x = 0;
        for (const panel of row) {
            const w = panel.width ?? Math.floor(24 / row.length);
            panels.push(panelJson(panel, ++id, { h: panelHeight, w, x, y }));
            x += w;
        }
        y += panelHeight;
    }
    const variables: Record<string, unknown>[] = [
        {
            name: "datasource",
            label: "Data source",
            type: "datasource",
            query: "prometheus",
            current: { text: "Prometheus", value: "prometheus" },
            hide: 0,
        },
    ];
    if (spec.namespaceVariable) {
        const chosen = spec.namespaceVariable.default;
        variables.push({
            name: "namespace",
            label: "Namespace",
            type: "query",
            datasource,
            query: {
                query: `label_values(${spec.namespaceVariable.metric}, namespace)`,
                refId: "namespace",
            },
            definition: `label_values(${spec.namespaceVariable.metric}, namespace)`,
            includeAll: true,
            multi: true,
            allValue: ".*",
            current: chosen
                ? { text: [chosen], value: [chosen] }
                : { text: ["All"], value: ["$__all"] },
            refresh: 2,
            hide: 0,
        });
    }
    return {
        uid: spec.uid,
        title: spec.title,
        description: spec.description,
        tags: [...spec.tags],
        timezone: "utc",
        editable: false,
        graphTooltip: 1,
        refresh: "30s",
        schemaVersion: 39,
        version: 1,
        time: { from: "now-6h", to: "now" },
        templating: { list: variables },
        annotations: { list: [] },
        panels,
    };
}
