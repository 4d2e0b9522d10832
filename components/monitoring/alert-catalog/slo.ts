import { formatDuration, num, selector } from "./promql";
import type { AlertRule, RecordingRule, RuleGroup } from "./types";

/** A service level objective and the indicator it is measured by (docs/monitoring.md). */
export interface Slo {
    /** Names the burn-rate alerts and recording rules. */
    readonly name: string;
    /** `availability`: non-5xx responses; `latency`: responses within the threshold. */
    readonly sli: "availability" | "latency";
    /** Percent of good requests over the period, e.g. 99.9. */
    readonly objective: number;
    /** Latency SLIs: a bucket boundary (`le`) of mcp_request_duration_seconds. */
    readonly latencyThresholdSeconds?: number;
    /** Equality matchers restricting the SLO to some services; empty: every MCP service. */
    readonly selector: Readonly<Record<string, string>>;
    /** The SLO period the burn-rate factors are computed for. */
    readonly periodDays: number;
}

/**
 * Multi-window, multi-burn-rate SLO alerts (Google SRE workbook, "Alerting on SLOs"),
 * generated from the SLO declarations in the stack config, per namespace and service.
 *
 * A window pair fires when the error ratio over both its long and its short window exceeds
 * `factor × error budget`; the factor is the share of the period's budget that burning at
 * that rate for the long window would spend: factor = budget share × period / long window.
 * For a 30-day period: 2 % in 1 h → 14.4, 5 % in 6 h → 6 (page); 10 % in 1 d → 3 and
 * 10 % in 3 d → 1 (ticket).
 */
export interface BurnWindow {
    /** Share of the period's error budget spent when this burn lasts the long window. */
    readonly budgetShare: number;
    readonly longSeconds: number;
    readonly shortSeconds: number;
}

export const pageWindows: readonly BurnWindow[] = [
    { budgetShare: 0.02, longSeconds: 3600, shortSeconds: 300 },
    { budgetShare: 0.05, longSeconds: 6 * 3600, shortSeconds: 1800 },
];

export const ticketWindows: readonly BurnWindow[] = [
    { budgetShare: 0.1, longSeconds: 86400, shortSeconds: 2 * 3600 },
    { budgetShare: 0.1, longSeconds: 3 * 86400, shortSeconds: 6 * 3600 },
];

/** Burn-rate factor of a window pair for an SLO period, e.g. 14.4 for 2 % in 1 h of 30 d. */
export function burnFactor(window: BurnWindow, periodDays: number): number {
    return Number(((window.budgetShare * periodDays * 86400) / window.longSeconds).toFixed(6));
}

/** Error budget as a ratio: 0.001 for 99.9 %. */
export function errorBudget(slo: Slo): number {
    return Number((1 - slo.objective / 100).toPrecision(12));
}

/** `AvailabilityErrorBudgetBurn` for the SLO `availability`. */
export function burnAlertName(slo: Slo): string {
    const pascal = slo.name
        .split("-")
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join("");
    return `${pascal}ErrorBudgetBurn`;
}

/** `slo:sli_error:ratio_rate1h` — the recording rule of one window. */
export function ratioRecord(seconds: number): string {
    return `slo:sli_error:ratio_rate${formatDuration(seconds)}`;
}

const by = "by (namespace, service)";

/** The error ratio of an SLO over a window, from the metrics contract. */
function errorRatioExpr(slo: Slo, window: string): string {
    if (slo.sli === "availability") {
        const all = selector(slo.selector);
        const bad = selector(slo.selector, 'status=~"5.."');
        return `sum ${by} (rate(mcp_requests_total${bad}[${window}])) / sum ${by} (rate(mcp_requests_total${all}[${window}]))`;
    }
    const fast = selector(slo.selector, `le="${num(slo.latencyThresholdSeconds!)}"`);
    const all = selector(slo.selector, 'le="+Inf"');
    const bucket = "mcp_request_duration_seconds_bucket";
    return `1 - (sum ${by} (rate(${bucket}${fast}[${window}])) / sum ${by} (rate(${bucket}${all}[${window}])))`;
}

function burnAlert(
    slo: Slo,
    severity: "critical" | "warning",
    windows: readonly BurnWindow[],
): AlertRule {
    const budget = errorBudget(slo);
    const only = `{slo="${slo.name}"}`;
    const terms = windows.map((w) => {
        const limit = `(${num(burnFactor(w, slo.periodDays))} * ${num(budget)})`;
        return `(${ratioRecord(w.longSeconds)}${only} > ${limit} and ${ratioRecord(w.shortSeconds)}${only} > ${limit})`;
    });
    const pairs = windows
        .map(
            (w) =>
                `${num(burnFactor(w, slo.periodDays))}x over ${formatDuration(w.longSeconds)} and ${formatDuration(w.shortSeconds)}`,
        )
        .join(" or ");
    const what =
        slo.sli === "availability"
            ? "5xx responses"
            : `requests slower than ${num(slo.latencyThresholdSeconds! * 1000)}ms`;
    const page = severity === "critical";
    return {
        alert: burnAlertName(slo),
        expr: terms.join("\nor\n"),
        // Short enough not to delay a page; the short window already filters blips.
        for: page ? "2m" : "15m",
        labels: { severity, burn: page ? "fast" : "slow" },
        annotations: {
            summary: page
                ? `The ${slo.name} SLO's error budget burns fast (page).`
                : `The ${slo.name} SLO's error budget burns slowly (ticket).`,
            description: `{{ $labels.service }} in {{ $labels.namespace }} burns its ${slo.name} error budget (${num(slo.objective)}% over ${slo.periodDays}d; bad = ${what}) at ${pairs} the sustainable rate; the error ratio is {{ $value | humanizePercentage }}.`,
        },
        symptom: true,
    };
}

/** Every window any alert reads, shortest first. */
export function sloWindows(): number[] {
    const seconds = [...pageWindows, ...ticketWindows].flatMap((w) => [
        w.longSeconds,
        w.shortSeconds,
    ]);
    return [...new Set(seconds)].sort((a, b) => a - b);
}

/** The recording rules and the page and ticket alerts of one SLO, as its own group. */
export function sloGroup(slo: Slo): RuleGroup {
    const recordings: RecordingRule[] = sloWindows().map((seconds) => ({
        record: ratioRecord(seconds),
        expr: errorRatioExpr(slo, formatDuration(seconds)),
        labels: { slo: slo.name },
    }));
    return {
        name: `slo-${slo.name}`,
        rules: [
            ...recordings,
            burnAlert(slo, "critical", pageWindows),
            burnAlert(slo, "warning", ticketWindows),
        ],
    };
}
