import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import {
    alertmanagerConfig,
    type AlertmanagerSettings,
    receiverSecretKeys,
} from "./alert-catalog/alertmanager";
import { standardLabels } from "../kit/labels";

export interface AlertmanagerCredentials {
    readonly pagerdutyRoutingKey: pulumi.Input<string>;
    readonly slackWebhookUrl: pulumi.Input<string>;
    readonly smtpPassword: pulumi.Input<string>;
    readonly deadMansSwitchToken: pulumi.Input<string>;
}

export interface AlertmanagerConfigArgs {
    /** Routing, receivers, maintenance windows and the symptom alerts ServiceDown mutes. */
    readonly settings: Omit<AlertmanagerSettings, "secretsDir">;
    /** The receivers' credentials (Pulumi secrets from the stack config). */
    readonly credentials: AlertmanagerCredentials;
    /** Namespace of kube-prometheus-stack. @default "monitoring" */
    readonly namespace?: string;
    /** Secret the chart's Alertmanager reads `alertmanager.yaml` from. @default "alertmanager-mcp-platform" */
    readonly configSecretName?: string;
    /**
     * Secret of the credentials; the chart mounts it at
     * `/etc/alertmanager/secrets/<name>/`. @default "alertmanager-receivers"
     */
    readonly receiversSecretName?: string;
}

/**
 * Alertmanager's configuration as two Secrets: `alertmanager-mcp-platform` holds
 * `alertmanager.yaml` (routing, inhibitions, maintenance windows; no credential) and
 * `alertmanager-receivers` holds the credentials the receivers read from files.
 */
export class AlertmanagerConfig extends pulumi.ComponentResource {
    /** The rendered `alertmanager.yaml`; it contains no credential. */
    public readonly configYaml: string;
    public readonly configSecretName: string;
    public readonly receiversSecretName: string;

    constructor(
        name: string,
        args: AlertmanagerConfigArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        const namespace = args.namespace ?? "monitoring";
        const configSecretName = args.configSecretName ?? "alertmanager-mcp-platform";
        const receiversSecretName = args.receiversSecretName ?? "alertmanager-receivers";
        const configYaml = stringify(
            alertmanagerConfig({
                ...args.settings,
                secretsDir: `/etc/alertmanager/secrets/${receiversSecretName}`,
            }),
            // YAML 1.1 quoting: Alertmanager's Go YAML parser must not read "02:00" or "1:7"
            // as numbers.
            { lineWidth: 0, version: "1.1" },
        );
        // The rendered configuration is recorded as this component's input: Kubernetes
        // Secret data is always secret to Pulumi, and the synth writes this (credential-free)
        // text to out/<stack>/alertmanager/alertmanager.yaml for amtool.
        super(
            "mcp-platform:monitoring:AlertmanagerConfig",
            name,
            { alertmanagerYaml: configYaml },
            opts,
        );
        this.configYaml = configYaml;
        this.configSecretName = configSecretName;
        this.receiversSecretName = receiversSecretName;

        const labels = standardLabels({ name: "alertmanager-mcp-platform", component: "alerting" });
        new k8s.core.v1.Secret(
            `${name}-receivers`,
            {
                metadata: { name: receiversSecretName, namespace, labels },
                type: "Opaque",
                stringData: {
                    [receiverSecretKeys.pagerdutyRoutingKey]: args.credentials.pagerdutyRoutingKey,
                    [receiverSecretKeys.slackWebhookUrl]: args.credentials.slackWebhookUrl,
                    [receiverSecretKeys.smtpPassword]: args.credentials.smtpPassword,
                    [receiverSecretKeys.deadMansSwitchToken]: args.credentials.deadMansSwitchToken,
                },
            },
            { parent: this },
        );
        new k8s.core.v1.Secret(
            `${name}-config`,
            {
                metadata: { name: configSecretName, namespace, labels },
                type: "Opaque",
                stringData: { "alertmanager.yaml": configYaml },
            },
            { parent: this },
        );

        this.registerOutputs({
            configSecretName: this.configSecretName,
            receiversSecretName: this.receiversSecretName,
        });
    }
}
