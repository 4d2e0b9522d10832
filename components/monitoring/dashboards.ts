import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { dashboardUids } from "./dashboard-catalog";
import { standardLabels } from "../kit/labels";

export interface DashboardsArgs {
    /** Grafana dashboard JSON objects (`platformDashboards()`), each with a unique `uid`. */
    readonly dashboards: readonly Record<string, unknown>[];
    /** Namespace of kube-prometheus-stack's Grafana. @default "monitoring" */
    readonly namespace?: string;
    /**
     * Label (and value) Grafana's dashboard sidecar loads ConfigMaps by.
     * @default { grafana_dashboard: "1" }
     */
    readonly sidecarLabel?: Readonly<Record<string, string>>;
}

/**
 * The platform's Grafana dashboards as code: one ConfigMap per dashboard,
 * `grafana-dashboard-<uid>` with the key `<uid>.json`, labelled for the Grafana sidecar of
 * kube-prometheus-stack, which imports it. The uid is the `/d/<uid>` the manuals link to.
 */
export class Dashboards extends pulumi.ComponentResource {
    /** Dashboard uids, in order. */
    public readonly uids: string[];

    constructor(name: string, args: DashboardsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:monitoring:Dashboards", name, {}, opts);

        const namespace = args.namespace ?? "monitoring";
        const sidecarLabel = args.sidecarLabel ?? { grafana_dashboard: "1" };
        this.uids = dashboardUids(args.dashboards);

        args.dashboards.forEach((board, index) => {
            const uid = this.uids[index];
            new k8s.core.v1.ConfigMap(
                `${name}-${uid}`,
                {
                    metadata: {
                        name: `grafana-dashboard-${uid}`,
                        namespace,
                        labels: {
                            ...standardLabels({
                                name: `grafana-dashboard-${uid}`,
                                component: "dashboards",
                            }),
                            ...sidecarLabel,
                        },
                    },
                    data: { [`${uid}.json`]: `${JSON.stringify(board, null, 2)}\n` },
                },
                { parent: this },
            );
        });

        this.registerOutputs({ uids: this.uids });
    }
}
