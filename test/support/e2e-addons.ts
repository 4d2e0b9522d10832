import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    monitoringPolicies,
    type NamedPolicy,
    nodeExporterPolicies,
    verticalPodAutoscalerPolicies,
} from "../../components/cluster/addon-network-policies";
import {
    addonNamespaceArgs,
    addonNamespaces,
    gp3StorageClassArgs,
    karpenterServiceAccount,
    karpenterValues,
} from "../../components/cluster";
import { crdSourceDir, crdSources, upstreamCrds } from "./crds";

/**
 * What the AWS foundation installs in the cluster and the in-cluster layer relies on, as far
 * as it can be had without AWS: the gp3 StorageClass (the same args as EksCluster's), the
 * CustomResourceDefinitions of kube-prometheus-stack and the Vertical Pod Autoscaler (read
 * from their upstream Go modules, test/support/crds.ts) and Karpenter, installed through the
 * real Helm release path from the charts its Go module ships at the pinned version, served
 * from a chart repository on loopback (test/support/helm-repo.ts): the karpenter-crd chart,
 * then the controller with the platform's own values.
 *
 * Left out: kube-prometheus-stack, the VPA and metrics-server charts (published only in Helm
 * HTTP repositories, no registry package holds them) and the AWS Load Balancer Controller
 * (its Go module is served at v1.1.9 only; v3.5.0 answers 403, and its admission webhooks would
 * need the controller running). Their CRDs are here; the Ingress status its controller writes
 * comes from kwok (test/support/apiserver.ts).
 */

type Obj = Record<string, any>;

/** The CRDs and chart directories, read from the Go module cache. */
export interface AddonSources {
    /** prometheus-operator's and the VPA's CustomResourceDefinitions. */
    readonly crds: readonly Obj[];
    /** Karpenter's chart directories in its module. */
    readonly karpenterCharts: { readonly crds: string; readonly controller: string };
}

export function addonSources(): AddonSources {
    const karpenter = crdSources.find((s) => s.module === "github.com/aws/karpenter-provider-aws");
    if (!karpenter) throw new Error("test/support/crds.ts pins no Karpenter module");
    const charts = path.join(crdSourceDir(karpenter), "charts");
    return {
        // Karpenter's come from its own chart below, as on the cluster.
        crds: upstreamCrds().filter((crd) => !/karpenter/.test(crd.spec.group)),
        karpenterCharts: {
            crds: path.join(charts, "karpenter-crd"),
            controller: path.join(charts, "karpenter"),
        },
    };
}

export interface E2eAddonsArgs {
    readonly sources: AddonSources;
    /** The chart repository serving the Karpenter charts, and their versions. */
    readonly karpenterRepo: {
        readonly url: string;
        readonly charts: Readonly<Record<string, string>>;
    };
    /** The VPC range the add-ons' NetworkPolicies admit (the API server, the ALB). */
    readonly vpcCidr: string;
    /** The fixed AWS-derived values the charts and the StorageClass are given. */
    readonly volumeKeyArn: string;
    readonly clusterName: string;
    readonly clusterEndpoint: string;
    readonly karpenterRoleArn: string;
    readonly karpenterInterruptionQueue: string;
}

export class E2eAddons extends pulumi.ComponentResource {
    /** The monitoring namespace and CRDs (PrometheusRule, ServiceMonitor, Probe…). */
    public readonly monitoringStack: pulumi.Resource;

    constructor(name: string, args: E2eAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:e2e:Addons", name, {}, opts);
        const child = { parent: this };
        new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            gp3StorageClassArgs(args.volumeKeyArn),
            child,
        );
        // What the in-cluster layer's monitoring objects wait for: their namespace and CRDs.
        const monitoring = new pulumi.ComponentResource(
            "mcp-platform:e2e:MonitoringStack",
            `${name}-monitoring-stack`,
            {},
            child,
        );
        // The add-ons' namespaces and their NetworkPolicies, as ClusterAddons declares them.
        const policies: Record<string, NamedPolicy[]> = {
            [addonNamespaces.monitoring]: monitoringPolicies(args.vpcCidr),
            [addonNamespaces.nodeExporter]: nodeExporterPolicies(),
            [addonNamespaces.verticalPodAutoscaler]: verticalPodAutoscalerPolicies(args.vpcCidr),
        };
        for (const [namespace, enforce] of [
            [addonNamespaces.monitoring, "restricted"],
            [addonNamespaces.nodeExporter, "privileged"],
            [addonNamespaces.verticalPodAutoscaler, "restricted"],
        ] as const) {
            const parent = namespace === addonNamespaces.monitoring ? monitoring : this;
            const ns = new k8s.core.v1.Namespace(
                `${name}-${namespace}`,
                addonNamespaceArgs(namespace, enforce),
                { parent },
            );
            for (const policy of policies[namespace]) {
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-${namespace}-${policy.name}`,
                    {
                        metadata: { name: policy.name, namespace: ns.metadata.name },
                        spec: policy.spec,
                    },
                    { parent },
                );
            }
        }
        for (const crd of args.sources.crds) {
            const { status, ...spec } = crd;
            void status;
            new k8s.apiextensions.v1.CustomResourceDefinition(
                `${name}-${crd.metadata.name}`,
                spec as k8s.apiextensions.v1.CustomResourceDefinitionArgs,
                { parent: crd.spec.group === "monitoring.coreos.com" ? monitoring : this },
            );
        }
        this.monitoringStack = monitoring;

        const karpenterCrds = new k8s.helm.v3.Release(
            `${name}-karpenter-crd`,
            {
                name: "karpenter-crd",
                chart: "karpenter-crd",
                version: args.karpenterRepo.charts["karpenter-crd"],
                repositoryOpts: { repo: args.karpenterRepo.url },
                namespace: karpenterServiceAccount.namespace,
                createNamespace: false,
                atomic: true,
                cleanupOnFail: true,
            },
            child,
        );
        new k8s.helm.v3.Release(
            `${name}-karpenter`,
            {
                name: "karpenter",
                chart: "karpenter",
                version: args.karpenterRepo.charts.karpenter,
                repositoryOpts: { repo: args.karpenterRepo.url },
                namespace: karpenterServiceAccount.namespace,
                createNamespace: false,
                skipCrds: true,
                values: karpenterValues({
                    clusterName: args.clusterName,
                    clusterEndpoint: args.clusterEndpoint,
                    interruptionQueue: args.karpenterInterruptionQueue,
                    roleArn: args.karpenterRoleArn,
                }),
                atomic: true,
                cleanupOnFail: true,
                timeout: 600,
            },
            { parent: this, dependsOn: [karpenterCrds] },
        );
        this.registerOutputs({});
    }
}
