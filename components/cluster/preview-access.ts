import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "../kit/labels";

export interface PreviewAccessArgs {
    /** The Kubernetes group the preview roles' access entries map to. */
    readonly group: string;
}

/**
 * What `pulumi preview --refresh` reads, by API group: every kind the program declares.
 * Read verbs only; Secrets cluster-wide because Helm names its release Secrets per revision
 * (the reviewed exemption in policies/exemptions.ts).
 */
const readable: readonly { apiGroups: string[]; resources: string[] }[] = [
    {
        apiGroups: [""],
        resources: [
            "namespaces",
            "configmaps",
            "secrets",
            "services",
            "serviceaccounts",
            "persistentvolumeclaims",
            "limitranges",
            "resourcequotas",
        ],
    },
    { apiGroups: ["apps"], resources: ["deployments", "statefulsets", "daemonsets"] },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"] },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"] },
    { apiGroups: ["autoscaling.k8s.io"], resources: ["verticalpodautoscalers"] },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"] },
    {
        apiGroups: ["networking.k8s.io"],
        resources: ["ingresses", "ingressclasses", "networkpolicies"],
    },
    {
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
    },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"] },
    { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"] },
    {
        apiGroups: ["admissionregistration.k8s.io"],
        resources: ["mutatingwebhookconfigurations", "validatingwebhookconfigurations"],
    },
    {
        apiGroups: ["monitoring.coreos.com"],
        resources: ["servicemonitors", "podmonitors", "prometheusrules", "probes"],
    },
    { apiGroups: ["elbv2.k8s.aws"], resources: ["ingressclassparams", "targetgroupbindings"] },
];

/** The preview roles' read-only view of the cluster: one ClusterRole bound to their group. */
export class PreviewAccess extends pulumi.ComponentResource {
    constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:PreviewAccess", name, {}, opts);
        const labels = standardLabels({ name: "preview-access", component: "rbac" });
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-role`,
            {
                metadata: { name: "mcp-platform-preview", labels },
                rules: readable.map((rule) => ({ ...rule, verbs: ["get", "list", "watch"] })),
            },
            { parent: this },
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-binding`,
            {
                metadata: { name: "mcp-platform-preview", labels },
                roleRef: {
                    apiGroup: "rbac.authorization.k8s.io",
                    kind: "ClusterRole",
                    name: role.metadata.name,
                },
                subjects: [
                    { kind: "Group", name: args.group, apiGroup: "rbac.authorization.k8s.io" },
                ],
            },
            { parent: this },
        );
        this.registerOutputs({});
    }
}
