import * as cloudflare from "@pulumi/cloudflare";
import type { PlatformConfig } from "../config";
import { awsFoundation } from "./aws-foundation";
import { edgeLayer } from "./edge";
import { inCluster } from "./in-cluster";
import { type DeclaredOutputs, stackOutputs } from "./outputs";
import { providers as stackProviders } from "./providers";
import { platformSecrets } from "./secrets";

export type { DeclaredOutputs } from "./outputs";
export { type AwsDerived, inCluster } from "./in-cluster";

/**
 * The whole platform of one stack, layer by layer: providers, the AWS foundation (network,
 * cluster, storage, data-path IAM), the in-cluster layer, the edge, and the outputs.
 */
export function platform(cfg: PlatformConfig): DeclaredOutputs {
    const providers = stackProviders(cfg);
    const foundation = awsFoundation(cfg, providers);
    const kubernetes = foundation.cluster.kubernetesProvider;
    // The origin lock (docs/edge.md): the ALB accepts only Cloudflare's published ranges.
    const cloudflareRanges = cloudflare.getIpRangesOutput({}, { provider: providers.cloudflare });
    const cluster = inCluster(cfg, {
        kubernetes,
        addons: {
            all: foundation.clusterAddons,
            monitoringStack: foundation.clusterAddons.monitoringStack,
        },
        awsDerived: {
            backupBucketName: foundation.backupStorage.bucketName,
            backupRoleArns: foundation.backupRoles.roleArns,
            logWriterRoleArn: foundation.logStorage.writerRoleArn,
            artifactBucketName: foundation.artifactStore.bucketName,
            artifactRoleArns: foundation.artifactStore.roleArns,
            restoreRoleArn: foundation.restoreAccess?.roleArn,
            backupSigning: foundation.backupSigning,
            imageRegistry: foundation.imageCache.registryHost,
            walArchive: foundation.walArchive && {
                bucketArn: foundation.walArchive.bucketArn,
                region: foundation.walArchive.region,
                roleArn: foundation.walArchive.access.roleArn,
                checkRoleArn: foundation.walArchive.access.checkRoleArn,
            },
        },
        secrets: platformSecrets(cfg),
        sourceRanges: cloudflareRanges.apply((r) => ({ ipv4: r.ipv4Cidrs, ipv6: r.ipv6Cidrs })),
    });
    const edge = edgeLayer(cfg, providers.cloudflare, cluster);
    return stackOutputs(cfg, {
        providers: { ...providers, kubernetes },
        foundation,
        cluster,
        edge,
    });
}
