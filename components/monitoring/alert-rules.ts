import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { renderGroups, type RuleGroup } from "./alert-catalog";
import { standardLabels } from "../kit/labels";

export interface AlertRulesArgs {
    /** The rule catalog (`ruleCatalog()` of components/monitoring/alert-catalog): one group per component. */
    readonly groups: readonly RuleGroup[];
    /** Where docs/runbooks/ is browsable; each alert links `<base>/<AlertName>.md`. */
    readonly runbookBaseUrl: string;
    /** Namespace of kube-prometheus-stack. @default "monitoring" */
    readonly namespace?: string;
    /**
     * Helm release of kube-prometheus-stack. Its Prometheus selects every PrometheusRule;
     * the `release` label also satisfies the chart's default selector. @default "kube-prometheus-stack"
     */
    readonly prometheusRelease?: string;
}

/**
 * The alerting and recording rules of the platform: one PrometheusRule per component group
 * of the typed catalog, named `mcp-platform-<group>-rules`, with `runbook_url` on every
 * alert. The synth writes the same groups to `out/<stack>/prometheus/rules.yaml`.
 */
export class AlertRules extends pulumi.ComponentResource {
    /** Names of the PrometheusRule objects. */
    public readonly ruleNames: string[];

    constructor(name: string, args: AlertRulesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:monitoring:AlertRules", name, {}, opts);

        const namespace = args.namespace ?? "monitoring";
        const release = args.prometheusRelease ?? "kube-prometheus-stack";
        const rendered = renderGroups(args.groups, args.runbookBaseUrl);
        this.ruleNames = rendered.map((group) => `mcp-platform-${group.name}-rules`);
        rendered.forEach((group, index) => {
            new k8s.apiextensions.CustomResource(
                `${name}-${group.name}`,
                {
                    apiVersion: "monitoring.coreos.com/v1",
                    kind: "PrometheusRule",
                    metadata: {
                        name: this.ruleNames[index],
                        namespace,
                        labels: {
                            ...standardLabels({
                                name: "mcp-platform-alerts",
                                component: "alerting",
                            }),
                            release,
                        },
                    },
                    spec: { groups: [group] },
                },
                { parent: this },
            );
        });

        this.registerOutputs({ ruleNames: this.ruleNames });
    }
}
