import { isAlert, type RenderedGroup, type RenderedRule, type RuleGroup } from "./types";

/**
 * Every alert's `runbook_url` comes from this one pattern, added to every alerting rule in
 * one place (as kubernetes-mixin's add-runbook-links does), never written by hand.
 */
export function runbookUrl(baseUrl: string, alert: string): string {
    return `${baseUrl.replace(/\/+$/, "")}/${alert}.md`;
}

/** Renders the catalog as Prometheus rule groups, adding `runbook_url` to every alert. */
export function renderGroups(
    groups: readonly RuleGroup[],
    runbookBaseUrl: string,
): RenderedGroup[] {
    const names = groups.map((group) => group.name);
    const duplicate = names.find((name, index) => names.indexOf(name) !== index);
    if (duplicate !== undefined) throw new Error(`duplicate rule group "${duplicate}"`);
    return groups.map((group) => ({
        name: group.name,
        rules: group.rules.map((rule): RenderedRule => {
            if (!isAlert(rule)) {
                const recording: RenderedRule = { record: rule.record, expr: rule.expr };
                if (rule.labels) recording.labels = { ...rule.labels };
                return recording;
            }
            return {
                alert: rule.alert,
                expr: rule.expr,
                for: rule.for,
                labels: { ...rule.labels },
                annotations: {
                    ...rule.annotations,
                    runbook_url: runbookUrl(runbookBaseUrl, rule.alert),
                },
            };
        }),
    }));
}
