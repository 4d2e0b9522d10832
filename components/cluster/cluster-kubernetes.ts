import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { ebsVolumeType, storageClassName } from "../../contracts/names";

/**
 * The settings of the stack's Kubernetes provider, besides its kubeconfig. Server-side apply;
 * a ConfigMap or Secret whose data changes (an mcp-secrets rotation) is updated in place
 * instead of deleted and recreated under the same name, which left a window in which pods
 * reading it could not start; the pods that read one carry its version in an annotation, so
 * they roll after the update.
 */
export const kubernetesProviderSettings = {
    enableServerSideApply: true,
    enableConfigMapMutable: true,
    enableSecretMutable: true,
} as const satisfies Omit<k8s.ProviderArgs, "kubeconfig">;

/**
 * The default StorageClass: encrypted gp3 volumes of the EBS CSI driver, keyed by the
 * cluster's volume key, bound where the pod lands, growable in place, retained when released.
 */
export function gp3StorageClassArgs(
    volumeKeyArn: pulumi.Input<string>,
): k8s.storage.v1.StorageClassArgs {
    return {
        metadata: {
            name: storageClassName,
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
        },
        provisioner: "ebs.csi.aws.com",
        parameters: {
            type: ebsVolumeType,
            encrypted: "true",
            kmsKeyId: volumeKeyArn,
            "csi.storage.k8s.io/fstype": "ext4",
        },
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
        reclaimPolicy: "Retain",
    };
}
