import * as pulumi from "@pulumi/pulumi";
import {
    CiRoles,
    ClusterAddons,
    DeployRunner,
    EksCluster,
    ImageCache,
    Karpenter,
} from "../components/cluster";
import {
    BackupJobRoles,
    BackupKeyPolicy,
    backupPeer,
    backupPeerStack,
    BackupStorage,
    PostgresRestoreAccess,
    replicationDestination,
    trustedSigningKeys,
    WalArchiveAccess,
} from "../components/data";
import { LogStorage } from "../components/logging";
import { Network } from "../components/network";
import { artifactServiceAccounts, ArtifactStore } from "../components/workloads";
import type { PlatformConfig } from "../config";
import { imageRegistryHost } from "../config/image-cache";
import { nodeGroupSizes } from "../contracts/dr-posture";
import { logGroupPrefix } from "../contracts/logging";
import { clusterName, storageClassName } from "../contracts/names";
import type { Providers } from "./providers";
import { stackName } from "./providers";
import { walArchiveLocation, type WalArchiveLocation } from "./wal-location";
import { collectorName, collectorNamespace } from "../contracts/logging";

/** What the AWS half of the platform gives the in-cluster layer and the stack's outputs. */
export interface AwsFoundation {
    readonly network: Network;
    readonly cluster: EksCluster;
    readonly clusterAddons: ClusterAddons;
    readonly karpenter: Karpenter;
    /** The ECR pull-through cache the pods' images are mapped to (docs/cluster.md). */
    readonly imageCache: ImageCache;
    readonly logStorage: LogStorage;
    readonly artifactStore: ArtifactStore;
    readonly backupStorage: BackupStorage;
    /** The backup CronJobs' IRSA roles, each limited to its prefixes. */
    readonly backupRoles: BackupJobRoles;
    /** Where postgres archives WAL and the roles that may, when this stack archives. */
    readonly walArchive?: WalArchiveLocation & { readonly access: WalArchiveAccess };
    /** The restore Job's role: on the whole dr stack, so activation creates no IAM. */
    readonly restoreAccess?: PostgresRestoreAccess;
    /** What the backup jobs sign with and the public keys restore and verify trust. */
    readonly backupSigning: {
        readonly keyArn: pulumi.Output<string>;
        readonly trustedPublicKeys: pulumi.Output<string>;
    };
}

/**
 * The network, the hardened EKS cluster with its add-ons and node autoscaling, and the AWS
 * resources the data path uses: log groups, the artifact bucket, the backup bucket, the WAL
 * archive's and the restore's IAM roles (docs/cluster.md, docs/data.md).
 */
export function awsFoundation(cfg: PlatformConfig, providers: Providers): AwsFoundation {
    const onAws = { providers: { aws: providers.aws } };
    // The cluster's name is what operators type (`eksctl scale nodegroup --cluster=mcp-production`).
    const eksClusterName = clusterName(cfg.environment);
    const network = new Network("network", { ...cfg.network, clusterName: eksClusterName }, onAws);
    // The roles this stack's GitHub workflows assume (docs/operations.md, "CI/CD setup"): the
    // deploy role administers the cluster, the read-only role previews it, apart from the
    // human administrators' roles.
    const ci = cfg.cluster.deployRunner
        ? new CiRoles(
              "ci",
              { repository: cfg.cluster.deployRunner.repository, stack: cfg.stack },
              onAws,
          )
        : undefined;
    const cluster = new EksCluster(
        "eks",
        {
            clusterName: eksClusterName,
            region: cfg.region,
            version: cfg.cluster.version,
            vpcId: network.vpcId,
            vpcCidr: network.vpcCidr,
            privateSubnetIds: network.privateSubnetIds,
            endpointPublicAccessCidrs: cfg.cluster.endpointPublicAccessCidrs,
            bootstrapOperatorCidr: cfg.cluster.bootstrap?.operatorCidr,
            adminRoleArns: [...cfg.cluster.adminRoleArns, ...(ci ? [ci.deployRoleArn] : [])],
            previewRoleArns: [...cfg.cluster.previewRoleArns, ...(ci ? [ci.readOnlyRoleArn] : [])],
            logRetentionDays: cfg.cluster.logRetentionDays,
            // An activated standby takes its node groups' `activated` sizes (docs/dr.md).
            nodeGroups: nodeGroupSizes(cfg.cluster.nodeGroups, cfg.dr),
            addonVersions: cfg.cluster.addons,
            awsProfile: cfg.awsProfile,
        },
        onAws,
    );
    const onCluster = {
        providers: { aws: providers.aws, kubernetes: cluster.kubernetesProvider },
    };

    // The self-hosted runner deploys run on, inside the VPC next to the private API endpoint
    // (docs/cluster.md, "First deploy").
    if (cfg.cluster.deployRunner) {
        new DeployRunner(
            "deploy-runner",
            {
                ...cfg.cluster.deployRunner,
                label: eksClusterName,
                region: cfg.region,
                vpcId: network.vpcId,
                privateSubnetIds: network.privateSubnetIds,
                volumeKmsKeyArn: cluster.volumeKeyArn,
            },
            onAws,
        );
    }

    // In-cluster add-ons (docs/cluster.md): metrics-server, the Vertical Pod Autoscaler,
    // kube-prometheus-stack in `monitoring` and the AWS Load Balancer Controller (IngressClass
    // `alb`). Components that create PrometheusRules or ServiceMonitors depend on
    // `clusterAddons.monitoringStack`, which installs their CRDs.
    const clusterAddons = new ClusterAddons(
        "cluster-addons",
        {
            clusterName: cluster.clusterName,
            region: cfg.region,
            vpcId: network.vpcId,
            vpcCidr: network.vpcCidr,
            oidc: cluster.oidc,
            charts: cfg.cluster.charts,
            prometheus: cfg.cluster.prometheus,
            storageClassName,
        },
        onCluster,
    );

    // Node autoscaling (docs/cluster.md, "Karpenter"): the controller on the system node group,
    // its interruption queue, and the NodePools the workloads and the data stores grow into.
    const karpenter = new Karpenter(
        "karpenter",
        {
            clusterName: eksClusterName,
            clusterEndpoint: cluster.endpoint,
            region: cfg.region,
            oidc: cluster.oidc,
            clusterSecurityGroupId: cluster.nodeSecurityGroupId,
            volumeKeyArn: cluster.volumeKeyArn,
            chartVersion: cfg.cluster.charts.karpenter,
            settings: cfg.cluster.karpenter,
            maintenanceWindows: cfg.monitoring.maintenanceWindows,
        },
        onCluster,
    );

    // The ECR pull-through cache every pod image is pulled through, with enhanced scanning
    // (docs/cluster.md, "Image cache"); both node roles may create its repositories.
    const imageCache = new ImageCache(
        "image-cache",
        {
            registryHost: imageRegistryHost(cfg.cluster.imageCache, cfg.region),
            upstreamCredentials: cfg.cluster.imageCache.upstreamCredentials,
            nodeRoleNames: {
                nodes: cluster.nodeRoleName,
                "karpenter-nodes": karpenter.nodeRoleName,
            },
        },
        onAws,
    );

    // One KMS-encrypted CloudWatch log group per namespace with retention, saved Logs Insights
    // queries, and the collector's IRSA role limited to exactly those groups (docs/logging.md).
    const logStorage = new LogStorage(
        "logs",
        {
            groupPrefix: logGroupPrefix(cfg.stack),
            namespaces: cfg.logging.namespaces,
            retentionDays: cfg.logging.retentionDays,
            slowRequestThresholdMs: cfg.logging.slowRequestThresholdMs,
            oidc: cluster.oidc,
            writer: { namespace: collectorNamespace, name: collectorName },
        },
        onAws,
    );

    // The semantic control plane's artifact bucket (`s3://mcp-artifacts-<account>-<region>`)
    // and the IRSA role of each service with `artifactAccess`.
    const workloads = cfg.workloads;
    const artifactStore = new ArtifactStore(
        "mcp-artifacts",
        {
            region: cfg.region,
            bucketPrefix: workloads.semanticConfig.artifactBucketPrefix,
            retentionDays: workloads.semanticConfig.artifactRetentionDays,
            oidc: cluster.oidc,
            serviceAccounts: artifactServiceAccounts(workloads.services),
        },
        onAws,
    );

    // The backup bucket; production replicates it to the dr bucket (docs/data.md).
    const backupReplication = replicationDestination(
        cfg.backups.replication && {
            ...cfg.backups.replication,
            fromStack:
                cfg.backups.replication.fromStack && stackName(cfg.backups.replication.fromStack),
        },
    );
    const walRetentionDays = cfg.data.postgres.archive.retentionDays;
    const backupStorage = new BackupStorage(
        "backups",
        {
            region: cfg.region,
            retention: {
                retentionDays: cfg.backups.retentionDays,
                archive: cfg.backups.archive,
                lockDays: cfg.backups.objectLock.days,
            },
            objectLockMode: cfg.backups.objectLock.mode,
            bucketPrefix: cfg.backups.bucketPrefix,
            keyAliasName: `mcp-platform-backups-${cfg.stack}`,
            replication: backupReplication,
            ownPrefixRoot: cfg.dr.backupRoot,
            // The dr bucket holds both WAL archives (production's and its own, docs/dr.md).
            walArchive: cfg.dr.holdsWalArchive
                ? {
                      prefixes: [cfg.dr.walSourcePrefix, cfg.dr.walArchivePrefix],
                      days: walRetentionDays,
                  }
                : undefined,
        },
        onAws,
    );

    const backupRoles = new BackupJobRoles(
        "backup-jobs",
        {
            region: cfg.region,
            bucketArn: backupStorage.bucketArn,
            kmsKeyArn: backupStorage.kmsKeyArn,
            oidc: cluster.oidc,
            posture: cfg.dr,
        },
        onAws,
    );

    const walLocation = walArchiveLocation(cfg.dr, cfg.region, backupStorage, backupReplication);
    const walAccess =
        walLocation &&
        new WalArchiveAccess(
            "wal-archive",
            {
                ...walLocation,
                archivePrefix: cfg.dr.walArchivePrefix,
                sourcePrefix: cfg.dr.walSourcePrefix,
                oidc: cluster.oidc,
            },
            onAws,
        );

    // The restore's IAM role exists on the whole dr stack, so activation adds Kubernetes
    // objects only (docs/dr.md).
    const restoreAccess = cfg.dr.restoreAccess
        ? new PostgresRestoreAccess(
              "postgres-restore",
              {
                  region: cfg.region,
                  bucketArn: backupStorage.bucketArn,
                  kmsKeyArn: backupStorage.kmsKeyArn,
                  oidc: cluster.oidc,
              },
              onAws,
          )
        : undefined;

    // The other stack of the pair: its signing key is trusted here, and on the dr stack its
    // WAL archive's roles read this bucket (docs/data.md, "Signed backups").
    const peerStack = backupPeerStack(cfg.backups);
    const peer = peerStack === undefined ? undefined : backupPeer(stackName(peerStack));
    // Only the roles that read this bucket may decrypt with its key: the backup jobs, the
    // restore, production's replication, the WAL archive's roles of both stacks where the
    // bucket holds the archives, and the operators' roles.
    const readers: pulumi.Input<string>[] = [
        ...Object.values(backupRoles.roleArns),
        ...(restoreAccess ? [restoreAccess.roleArn] : []),
        ...(backupStorage.replicationRoleArn ? [backupStorage.replicationRoleArn] : []),
        ...(cfg.dr.holdsWalArchive && walAccess ? [walAccess.roleArn, walAccess.checkRoleArn] : []),
        ...cfg.cluster.adminRoleArns,
    ];
    const peerReaders = cfg.dr.holdsWalArchive && peer ? peer.walArchiveRoleArns : [];
    new BackupKeyPolicy(
        "backups-key",
        {
            region: cfg.region,
            keyId: backupStorage.kmsKeyId,
            decryptRoleArns: pulumi
                .all([pulumi.all(readers), peerReaders])
                .apply(([own, theirs]) => [...own, ...theirs]),
        },
        onAws,
    );

    return {
        network,
        cluster,
        clusterAddons,
        karpenter,
        imageCache,
        logStorage,
        artifactStore,
        backupStorage,
        backupRoles,
        walArchive: walLocation && walAccess ? { ...walLocation, access: walAccess } : undefined,
        restoreAccess,
        backupSigning: {
            keyArn: backupRoles.signingKeyArn,
            trustedPublicKeys: trustedSigningKeys(
                backupRoles.signingPublicKeyPem,
                peer?.signingPublicKeyPem,
            ),
        },
    };
}
