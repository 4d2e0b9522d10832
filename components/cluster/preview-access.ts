import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    alertmanagerConfigSecret,
    alertmanagerReceiversSecret,
    grafanaAdminSecret,
} from "./addon-values";
import { standardLabels } from "../kit/labels";
import { postgresNames } from "../../contracts/data";
import { redisDiscovery } from "../../contracts/names";

export interface PreviewAccessArgs {
    /** The Kubernetes group the preview roles' access entries map to. */
    readonly group: string;
}

type PolicyRule = k8s.types.input.rbac.v1.PolicyRule;

/**
 * What `pulumi preview --refresh` reads, by API group: every kind the program declares, the
 * kinds the add-on charts install (their CRDs), and what the Kubernetes provider's refresh
 * reads beside each object (pulumi-kubernetes v4 `await` package: a Deployment's refresh lists
 * its namespace's ReplicaSets, Pods and PersistentVolumeClaims; a StatefulSet's, DaemonSet's and
 * Job's list Pods; a Service's lists Endpoints; an Ingress's lists Endpoints and Services).
 * Secrets are not here: see `previewSecretNames`.
 */
export const previewReadable: readonly { apiGroups: string[]; resources: string[] }[] = [
    {
        apiGroups: [""],
        resources: [
            "namespaces",
            "configmaps",
            "services",
            "endpoints",
            "pods",
            "serviceaccounts",
            "persistentvolumeclaims",
            "limitranges",
            "resourcequotas",
        ],
    },
    {
        apiGroups: ["apps"],
        resources: ["deployments", "statefulsets", "daemonsets", "replicasets"],
    },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"] },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"] },
    {
        apiGroups: ["autoscaling.k8s.io"],
        resources: ["verticalpodautoscalers", "verticalpodautoscalercheckpoints"],
    },
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
        resources: [
            "alertmanagerconfigs",
            "alertmanagers",
            "podmonitors",
            "probes",
            "prometheusagents",
            "prometheuses",
            "prometheusrules",
            "scrapeconfigs",
            "servicemonitors",
            "thanosrulers",
        ],
    },
    { apiGroups: ["karpenter.sh"], resources: ["nodepools", "nodeclaims"] },
    { apiGroups: ["karpenter.k8s.aws"], resources: ["ec2nodeclasses"] },
    { apiGroups: ["elbv2.k8s.aws"], resources: ["ingressclassparams", "targetgroupbindings"] },
];

/**
 * The Secrets a refresh reads: exactly those the program declares, each read by name (`get`),
 * never listed. A test keeps this list equal to the Secrets of both stacks' synth, so a new
 * Secret is readable by previews only once it is added here (docs/cluster.md, "Previews").
 */
export const previewSecretNames: readonly string[] = [
    "mcp-secrets",
    postgresNames.adminSecret,
    postgresNames.credentialsSecret,
    postgresNames.tlsSecret,
    redisDiscovery.credentialsSecret,
    alertmanagerConfigSecret,
    alertmanagerReceiversSecret,
    grafanaAdminSecret,
];

/** The preview ClusterRole's rules: read verbs on `previewReadable`, `get` on named Secrets. */
export function previewAccessRules(): PolicyRule[] {
    return [
        ...previewReadable.map((rule) => ({ ...rule, verbs: ["get", "list", "watch"] })),
        {
            apiGroups: [""],
            resources: ["secrets"],
            resourceNames: [...previewSecretNames],
            verbs: ["get"],
        },
    ];
}

/** The preview roles' read-only view of the cluster: one ClusterRole bound to their group. */
export class PreviewAccess extends pulumi.ComponentResource {
    constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:cluster:PreviewAccess", name, {}, opts);
        const labels = standardLabels({ name: "preview-access", component: "rbac" });
        const role = new k8s.rbac.v1.ClusterRole(
            `${name}-role`,
            { metadata: { name: "mcp-platform-preview", labels }, rules: previewAccessRules() },
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
