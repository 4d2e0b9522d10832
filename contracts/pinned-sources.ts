/**
 * Where the platform's pinned add-ons come from, by the keys of the stack file's
 * `cluster.charts` and `cluster.addons` (config/cluster.ts holds the pinned versions): the
 * cluster component installs from here, and `mcp update check` and Renovate ask the same
 * places what is newer (tools/mcp/lib/pins.ts, renovate.json).
 */

/** A Helm chart: an HTTP repository (its `index.yaml`) or an OCI repository (`oci://…`). */
export interface HelmChartSource {
    readonly chart: string;
    readonly repository: string;
}

/** The Helm charts of the in-cluster add-ons, by their key under `cluster.charts`. */
export const helmCharts = {
    metricsServer: {
        chart: "metrics-server",
        repository: "https://kubernetes-sigs.github.io/metrics-server/",
    },
    verticalPodAutoscaler: { chart: "vpa", repository: "https://charts.fairwinds.com/stable" },
    kubePrometheusStack: {
        chart: "kube-prometheus-stack",
        repository: "https://prometheus-community.github.io/helm-charts",
    },
    awsLoadBalancerController: {
        chart: "aws-load-balancer-controller",
        repository: "https://aws.github.io/eks-charts",
    },
    /** The controller; its CRD chart `karpenter-crd` shares the repository and the version. */
    karpenter: { chart: "karpenter", repository: "oci://public.ecr.aws/karpenter" },
} as const satisfies Readonly<Record<string, HelmChartSource>>;

/** Karpenter's CRDs, installed from the same repository at the controller's version. */
export const karpenterCrdChart = "karpenter-crd";

/** The chart reference Helm takes: `oci://<repository>/<chart>` for OCI, else the bare name. */
export function chartReference(source: HelmChartSource): string {
    return source.repository.startsWith("oci://")
        ? `${source.repository}/${source.chart}`
        : source.chart;
}

/** The EKS managed add-ons' names, by their key under `cluster.addons`. */
export const eksAddonNames = {
    vpcCni: "vpc-cni",
    coreDns: "coredns",
    kubeProxy: "kube-proxy",
    ebsCsiDriver: "aws-ebs-csi-driver",
} as const;
