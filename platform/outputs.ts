import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig } from "../config";
import type { StackOutputs } from "../contracts/stack-outputs";
import type { Providers } from "./providers";
import type { AwsFoundation } from "./aws-foundation";
import type { EdgeLayer } from "./edge";
import type { InCluster } from "./in-cluster";

/** {@link StackOutputs} as the program declares them: each value may still be an Output. */
export type DeclaredOutputs = {
    readonly [K in keyof StackOutputs]: pulumi.Input<StackOutputs[K]>;
};

/** The stack's outputs, named in contracts/stack-outputs.ts, from the layers' resources. */
export function stackOutputs(
    cfg: PlatformConfig,
    layers: {
        readonly providers: Providers & { readonly kubernetes: pulumi.ProviderResource };
        readonly foundation: AwsFoundation;
        readonly cluster: InCluster;
        readonly edge: EdgeLayer;
    },
): DeclaredOutputs {
    const { foundation, cluster } = layers;
    const firstRoute = cluster.ingressRoutes[0];
    return {
        stack: cfg.stack,
        region: cfg.region,
        role: cfg.role,
        drActive: cfg.drActive,
        awsProviderUrn: layers.providers.aws.urn,
        kubernetesProviderUrn: layers.providers.kubernetes.urn,
        clusterName: foundation.cluster.clusterName,
        clusterEndpoint: foundation.cluster.endpoint,
        oidcProviderArn: foundation.cluster.oidcProviderArn,
        loadBalancerControllerRoleArn: foundation.clusterAddons.loadBalancerControllerRoleArn,
        karpenterInterruptionQueue: foundation.karpenter.interruptionQueueName,
        kubeconfig: foundation.cluster.kubeconfig,
        logGroupNames: foundation.logStorage.logGroupNames,
        vpcId: foundation.network.vpcId,
        mcpNamespaceNames: cluster.namespaces.names,
        edgeHostname: cfg.edge?.hostname ?? null,
        edgeKvNamespaceId: layers.edge.kvNamespaceId,
        backupBucketName: foundation.backupStorage.bucketName,
        backupBucketArn: foundation.backupStorage.bucketArn,
        backupKmsKeyArn: foundation.backupStorage.kmsKeyArn,
        backupKmsAliasArn: foundation.backupStorage.kmsAliasArn,
        backupSigningKeyArn: foundation.backupRoles.signingKeyArn,
        backupSigningPublicKey: foundation.backupRoles.signingPublicKeyPem,
        walArchiveRoleArns: foundation.walArchive
            ? pulumi.all([
                  foundation.walArchive.access.roleArn,
                  foundation.walArchive.access.checkRoleArn,
              ])
            : [],
        postgresRestoreJobName: cluster.postgresRestore?.jobName ?? null,
        artifactBucketName: foundation.artifactStore.bucketName,
        albHostname: firstRoute ? cluster.ingresses.albHostnames[firstRoute.ingressName] : null,
    };
}
