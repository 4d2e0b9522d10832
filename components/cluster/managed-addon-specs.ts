import type * as pulumi from "@pulumi/pulumi";
import type { ServiceAccountRef } from "../kit/irsa";
import { eksAddonNames } from "../../contracts/pinned-sources";

/**
 * The EKS managed add-ons the cluster runs, as data: name, pinned version, configuration
 * and, where the add-on calls AWS, the one service account its IRSA role trusts.
 */
export interface ManagedAddonSpec {
    /** EKS add-on name, e.g. `vpc-cni`. */
    readonly addonName: string;
    /** Pinned version, e.g. `v1.20.4-eksbuild.2`. */
    readonly version: string;
    /** The add-on's configuration values (JSON-encoded by the component). */
    readonly configuration?: Record<string, unknown>;
    /** The add-on's service account and the AWS permissions its IRSA role gets. */
    readonly serviceAccount?: ServiceAccountRef & {
        /** AWS-managed policy names, e.g. `AmazonEKS_CNI_Policy` (attached by ARN). */
        readonly managedPolicies: readonly string[];
        /** Extra inline permissions (an IAM policy document), if any. */
        readonly policy?: pulumi.Input<string>;
    };
}

export interface AddonVersions {
    readonly vpcCni: string;
    readonly coreDns: string;
    readonly kubeProxy: string;
    readonly ebsCsiDriver: string;
}

/**
 * Add-ons that must run before nodes can join: pod networking (with NetworkPolicy
 * enforcement, CIS 5.4.4) and kube-proxy. Both are DaemonSets, healthy with zero nodes.
 */
export function nodeBootstrapAddons(versions: AddonVersions): ManagedAddonSpec[] {
    return [
        {
            addonName: eksAddonNames.vpcCni,
            version: versions.vpcCni,
            // The VPC CNI's network policy agent enforces Kubernetes NetworkPolicies.
            configuration: { enableNetworkPolicy: "true" },
            serviceAccount: {
                namespace: "kube-system",
                name: "aws-node",
                managedPolicies: ["AmazonEKS_CNI_Policy"],
            },
        },
        { addonName: eksAddonNames.kubeProxy, version: versions.kubeProxy },
    ];
}

/** Add-ons that need running nodes: cluster DNS and the EBS CSI driver. */
export function workloadAddons(
    versions: AddonVersions,
    ebsCsiPolicy: pulumi.Input<string>,
): ManagedAddonSpec[] {
    return [
        { addonName: eksAddonNames.coreDns, version: versions.coreDns },
        {
            addonName: eksAddonNames.ebsCsiDriver,
            version: versions.ebsCsiDriver,
            serviceAccount: {
                namespace: "kube-system",
                name: "ebs-csi-controller-sa",
                managedPolicies: ["service-role/AmazonEBSCSIDriverPolicy"],
                policy: ebsCsiPolicy,
            },
        },
    ];
}
