import type { Severity } from "../../../contracts/monitoring";

export type { Severity };

/**
 * The typed rule catalog's building blocks. A rule is written once here, in TypeScript, and
 * rendered unchanged into a PrometheusRule (for the cluster) and into the plain rule file the
 * synth writes for promtool.
 */

/** An alerting rule as written in the catalog (no runbook_url: {@link withRunbookLinks} adds it). */
export interface AlertRule {
    readonly alert: string;
    readonly expr: string;
    /** Always set: an alert must hold for a while before it notifies anyone. */
    readonly for: string;
    readonly labels: { readonly severity: Severity } & Readonly<Record<string, string>>;
    readonly annotations: {
        /** A short sentence without label templates. */
        readonly summary: string;
        /** The templated details: which service, which value, which threshold. */
        readonly description: string;
    };
    /**
     * A symptom of a service's health (errors, latency, burn rate). While `ServiceDown` fires
     * for a service, its symptom alerts are inhibited. Not rendered into the rule.
     */
    readonly symptom?: boolean;
}

export interface RecordingRule {
    readonly record: string;
    readonly expr: string;
    readonly labels?: Readonly<Record<string, string>>;
}

export type Rule = AlertRule | RecordingRule;

/** One rule group per component (one PrometheusRule each). */
export interface RuleGroup {
    /** Kebab-case component name, e.g. `mcp-services`; the PrometheusRule is `<name>-rules`. */
    readonly name: string;
    readonly rules: readonly Rule[];
}

/** The rule as Prometheus reads it (snake_case, no catalog-only fields). */
export interface RenderedRule {
    alert?: string;
    record?: string;
    expr: string;
    for?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
}

export interface RenderedGroup {
    name: string;
    rules: RenderedRule[];
}

export function isAlert(rule: Rule): rule is AlertRule {
    return "alert" in rule;
}

/** Every alerting rule of the catalog. */
export function alertsOf(groups: readonly RuleGroup[]): AlertRule[] {
    return groups.flatMap((group) => group.rules.filter(isAlert));
}
