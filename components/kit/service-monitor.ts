import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * A prometheus-operator ServiceMonitor: Prometheus scrapes the named port of every Service
 * that carries `matchLabels`, every 30 seconds. kube-prometheus-stack selects every
 * ServiceMonitor in the cluster (docs/monitoring.md).
 */
export interface ServiceMonitorArgs {
    readonly metadata: k8s.types.input.meta.v1.ObjectMeta;
    /** Labels of the Services to scrape. */
    readonly matchLabels: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The Services' port name. */
    readonly port: string;
    /** @default "/metrics" */
    readonly path?: string;
    /** The scheme, when it is to be stated. @default unset (Prometheus scrapes over http) */
    readonly scheme?: "http" | "https";
    /** A Service label whose value becomes the Prometheus `job`. @default the Service name */
    readonly jobLabel?: string;
    /** Namespaces to look for the Services in. @default the ServiceMonitor's own */
    readonly namespaces?: pulumi.Input<string>[];
}

export function serviceMonitor(
    name: string,
    args: ServiceMonitorArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "ServiceMonitor",
            metadata: args.metadata,
            spec: {
                ...(args.jobLabel === undefined ? {} : { jobLabel: args.jobLabel }),
                selector: { matchLabels: args.matchLabels },
                ...(args.namespaces === undefined
                    ? {}
                    : { namespaceSelector: { matchNames: args.namespaces } }),
                endpoints: [
                    {
                        port: args.port,
                        path: args.path ?? "/metrics",
                        interval: "30s",
                        ...(args.scheme === undefined ? {} : { scheme: args.scheme }),
                    },
                ],
            },
        },
        opts,
    );
}
