import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { qualifiedStackName } from "./config/lib/stack-ref";
import { nodeGroupSizes } from "./config/dr";
import { storageClassName } from "./config/names";
import {
    ClusterAddons,
    DeployRunner,
    EksCluster,
    Karpenter,
    PreviewAccess,
    previewGroup,
} from "./components/cluster";
import {
    archiveUrl,
    BackupJobs,
    BackupStorage,
    parseKmsArn,
    Postgres,
    PostgresRestoreAccess,
    PostgresRestoreJob,
    Redis,
    replicationDestination,
    WalArchiveAccess,
    WalBaseBackupCheck,
} from "./components/data";
import { Edge, EdgeSwitch, IngressDns, ownedIngressHosts } from "./components/edge";
import { defaultTags } from "./components/kit";
import { collectorName, collectorNamespace, LogCollector, LogStorage } from "./components/logging";
import {
    AlertmanagerConfig,
    AlertRules,
    BlackboxExporter,
    Dashboards,
    platformDashboards,
    publicHostnames,
    ruleCatalog,
    symptomAlertNames,
} from "./components/monitoring";
import { Network } from "./components/network";
import {
    AppConfig,
    artifactServiceAccounts,
    ArtifactStore,
    McpCatalog,
    McpNamespaces,
    PublicIngresses,
    publicRoutes,
} from "./components/workloads";
import { edgeCredentialKeys } from "./config/edge";
import { alertingCredentialKeys } from "./config/monitoring";

// Read and validate the whole stack configuration once; a mistake stops here with every
// problem listed, before anything is declared.
const cfg = loadConfig();
// Stacks named in the config (`dr`, `production`) live in this organization and project.
const stackName = (ref: string) =>
    qualifiedStackName(ref, pulumi.getOrganization(), pulumi.getProject());

// One explicit AWS provider per stack: its region comes from the stack file and its default
// tags reach every taggable resource that components create under it.
const awsProvider = new aws.Provider(`${cfg.stack}-aws`, {
    region: cfg.region as aws.Region,
    defaultTags: { tags: defaultTags(cfg) },
});

// The network and the hardened EKS cluster (docs/cluster.md). The cluster's name is what
// operators type (`eksctl scale nodegroup --cluster=mcp-production --name=worker-nodes`).
const eksClusterName = `mcp-${cfg.environment}`;
const network = new Network(
    "network",
    { ...cfg.network, clusterName: eksClusterName },
    { providers: { aws: awsProvider } },
);
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
        adminRoleArns: cfg.cluster.adminRoleArns,
        previewRoleArns: cfg.cluster.previewRoleArns,
        logRetentionDays: cfg.cluster.logRetentionDays,
        // An activated standby takes its node groups' `activated` sizes (docs/dr.md).
        nodeGroups: nodeGroupSizes(cfg.cluster.nodeGroups, cfg.dr),
        addonVersions: cfg.cluster.addons,
        awsProfile: cfg.awsProfile,
    },
    { providers: { aws: awsProvider } },
);

// The Kubernetes provider every in-cluster component is created with: built from the
// cluster (kubeconfig via `aws eks get-token`).
const kubernetesProvider: k8s.Provider = cluster.kubernetesProvider;

// The self-hosted runner deploys run on, inside the VPC next to the private API endpoint
// (docs/cluster.md, "First deploy"), and the preview roles' read-only view of the cluster.
if (cfg.cluster.deployRunner) {
    new DeployRunner(
        "deploy-runner",
        {
            ...cfg.cluster.deployRunner,
            label: `mcp-${cfg.environment}`,
            region: cfg.region,
            vpcId: network.vpcId,
            privateSubnetIds: network.privateSubnetIds,
            volumeKmsKeyArn: cluster.volumeKeyArn,
        },
        { providers: { aws: awsProvider } },
    );
}
if (cfg.cluster.previewRoleArns.length > 0) {
    new PreviewAccess(
        "preview-access",
        { group: previewGroup },
        { provider: kubernetesProvider, dependsOn: [cluster] },
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
    { providers: { aws: awsProvider, kubernetes: kubernetesProvider } },
);

// Node autoscaling (docs/cluster.md, "Karpenter"): the controller on the system node group, its
// interruption queue, and the NodePools the workloads and the data stores grow into.
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
    { providers: { aws: awsProvider, kubernetes: kubernetesProvider } },
);

// Cluster-wide logs (docs/logging.md): one KMS-encrypted CloudWatch log group per namespace
// with retention, saved Logs Insights queries, and Fluent Bit on every node writing to them
// through an IRSA role limited to exactly those groups.
const logGroupPrefix = `/mcp-platform/${cfg.stack}`;
const logStorage = new LogStorage(
    "logs",
    {
        groupPrefix: logGroupPrefix,
        namespaces: cfg.logging.namespaces,
        retentionDays: cfg.logging.retentionDays,
        slowRequestThresholdMs: cfg.logging.slowRequestThresholdMs,
        oidc: cluster.oidc,
        writer: { namespace: collectorNamespace, name: collectorName },
    },
    { providers: { aws: awsProvider } },
);
new LogCollector(
    "log-collector",
    {
        image: cfg.logging.collectorImage,
        region: cfg.region,
        groupPrefix: logGroupPrefix,
        namespaces: cfg.logging.namespaces,
        roleArn: logStorage.writerRoleArn,
        monitoringDependsOn: [clusterAddons.monitoringStack],
    },
    { provider: kubernetesProvider },
);

// The MCP workloads (docs/workloads.md). The namespaces come first: every in-cluster component
// depends on them (`mcpNamespaces.byName["mcp-production"]`). Then the shared app config, the
// service catalog (sized for standby on an idle dr stack) and the public ingresses.
// They wait for the cluster add-ons: the VPA and ServiceMonitor CRDs, and the ALB controller
// (IngressClass `alb`, the pod readiness-gate webhook).
const workloads = cfg.workloads;
const mcpNamespaces = new McpNamespaces(
    "mcp-namespaces",
    { namespaces: workloads.namespaces },
    { provider: kubernetesProvider },
);
// The semantic control plane's artifact bucket (`s3://mcp-artifacts-<account>-<region>`) and the IRSA
// role of each service with `artifactAccess`.
const artifactStore = new ArtifactStore(
    "mcp-artifacts",
    {
        region: cfg.region,
        bucketPrefix: workloads.semanticConfig.artifactBucketPrefix,
        retentionDays: workloads.semanticConfig.artifactRetentionDays,
        oidc: cluster.oidc,
        serviceAccounts: artifactServiceAccounts(workloads.services),
    },
    { providers: { aws: awsProvider } },
);
const appConfig = new AppConfig(
    "mcp-app-config",
    {
        jwtSecretRotation: workloads.secrets.jwtSecretRotation,
        semanticConfig: {
            ...workloads.semanticConfig,
            artifactBucket: artifactStore.bucketName,
            region: cfg.region,
        },
    },
    { provider: kubernetesProvider, dependsOn: [mcpNamespaces] },
);
const mcpCatalog = new McpCatalog(
    "mcp-catalog",
    {
        services: workloads.services,
        servicesAtMinimum: cfg.dr.servicesAtMinimum,
        albSourceCidr: cfg.network.vpcCidr,
        secretVersion: appConfig.secretVersion,
        semanticConfigVersion: appConfig.semanticConfigVersion,
        serviceAccountRoleArns: artifactStore.roleArns,
    },
    { provider: kubernetesProvider, dependsOn: [mcpNamespaces, appConfig, clusterAddons] },
);
// The stack's Cloudflare provider (the edge below, the ingresses' DNS records and the origin
// lock's address ranges).
const cloudflareProvider = new cloudflare.Provider(`${cfg.stack}-cloudflare`, {
    apiToken: cfg.credentials["cloudflare:apiToken"],
});
// The origin lock (docs/edge.md): the ALB accepts only Cloudflare's published ranges.
const cloudflareRanges = cloudflare.getIpRangesOutput({}, { provider: cloudflareProvider });
const { sharedHosts, ...ingressSettings } = workloads.ingress;
const ingressRoutes = publicRoutes(workloads.services);
const publicIngresses = new PublicIngresses(
    "mcp-ingresses",
    {
        routes: ingressRoutes,
        ...ingressSettings,
        sourceRanges: cloudflareRanges.apply((r) => ({ ipv4: r.ipv4Cidrs, ipv6: r.ipv6Cidrs })),
        tags: defaultTags(cfg),
    },
    { provider: kubernetesProvider, dependsOn: [mcpCatalog, clusterAddons] },
);
/** The ALB DNS name of the Ingress that serves `host`, if one does. */
const albOf = (host: string) => {
    const route = ingressRoutes.find((r) => r.hosts.includes(host));
    return route ? publicIngresses.albHostnames[route.ingressName] : undefined;
};

// Monitoring (docs/monitoring.md): the typed alert catalog as PrometheusRules, Alertmanager's
// routing with its receivers' credentials, and the manuals' Grafana dashboards, all in
// kube-prometheus-stack's namespace (the chart selects every PrometheusRule, reads
// Alertmanager's config from our Secrets and loads dashboards through its sidecar).
const alertCatalog = ruleCatalog({
    slos: cfg.monitoring.slos,
    backupSchedules: cfg.backups.schedules,
    backupStaleGrace: cfg.monitoring.backupStaleGrace,
    artifactStorageQuotaGiB: cfg.monitoring.artifactStorageQuotaGiB,
    drPosture: cfg.dr.name,
});
new AlertRules(
    "alert-rules",
    { groups: alertCatalog, runbookBaseUrl: cfg.monitoring.runbookBaseUrl },
    { provider: kubernetesProvider, dependsOn: [clusterAddons.monitoringStack] },
);
new AlertmanagerConfig(
    "alertmanager",
    {
        settings: {
            receivers: cfg.monitoring.receivers,
            maintenanceWindows: cfg.monitoring.maintenanceWindows,
            symptomAlerts: symptomAlertNames(alertCatalog),
        },
        credentials: {
            pagerdutyRoutingKey: cfg.credentials[alertingCredentialKeys.pagerdutyRoutingKey],
            slackWebhookUrl: cfg.credentials[alertingCredentialKeys.slackWebhookUrl],
            smtpPassword: cfg.credentials[alertingCredentialKeys.smtpPassword],
            deadMansSwitchToken: cfg.credentials[alertingCredentialKeys.deadMansSwitchToken],
        },
    },
    { provider: kubernetesProvider, dependsOn: [clusterAddons.monitoringStack] },
);
new Dashboards(
    "dashboards",
    {
        dashboards: platformDashboards({
            artifactStorageQuotaBytes: cfg.monitoring.artifactStorageQuotaGiB * 2 ** 30,
        }),
    },
    { provider: kubernetesProvider, dependsOn: [clusterAddons.monitoringStack] },
);
// The blackbox exporter and its Probe of the public HTTPS endpoints (ingress hosts and the
// edge hostname): the source of CertificateExpiringSoon's probe_ssl_earliest_cert_expiry.
new BlackboxExporter(
    "blackbox-exporter",
    {
        image: cfg.monitoring.blackboxExporter.image,
        hostnames: publicHostnames(publicRoutes(workloads.services), cfg.edge?.hostname),
        egressExceptCidrs: [cfg.network.vpcCidr],
    },
    { provider: kubernetesProvider, dependsOn: [clusterAddons.monitoringStack] },
);

// The data layer and its backups (docs/data.md): the backup bucket (production replicates it
// to the dr bucket), Postgres and Redis in mcp-production, the backup CronJobs, and — on an
// activated dr stack only — the restore Job that loads the latest replicated dump; the
// CronJobs wait for it, so no backup runs before the data is back.
const backupReplication = replicationDestination(
    cfg.backups.replication && {
        ...cfg.backups.replication,
        fromStack:
            cfg.backups.replication.fromStack && stackName(cfg.backups.replication.fromStack),
    },
);
const walArchive = cfg.data.postgres.archive;
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
        walArchive:
            cfg.role === "standby"
                ? {
                      prefixes: [cfg.dr.walSourcePrefix, cfg.dr.walArchivePrefix],
                      days: walArchive.retentionDays,
                  }
                : undefined,
    },
    { providers: { aws: awsProvider } },
);
const dataLayer = { provider: kubernetesProvider, dependsOn: [mcpNamespaces] };
// The continuous WAL archive lives in the dr region's bucket: production archives straight
// there (its replication destination), so the RPO carries no replication delay; the dr stack
// reads production's archive and, once promoted, writes its own next to it. Production
// archives nothing until the dr stack exists (first deploy, no replication configured).
const walLocation =
    cfg.role === "standby"
        ? {
              bucketArn: backupStorage.bucketArn,
              kmsKeyArn: backupStorage.kmsKeyArn,
              region: pulumi.output(cfg.region),
          }
        : backupReplication && {
              bucketArn: pulumi.output(backupReplication.destinationBucketArn),
              kmsKeyArn: pulumi.output(backupReplication.destinationKmsKeyArn),
              region: pulumi
                  .output(backupReplication.destinationKmsKeyArn)
                  .apply((arn) => parseKmsArn(arn).region),
          };
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
        { providers: { aws: awsProvider } },
    );
const postgres = new Postgres(
    "postgres",
    {
        ...cfg.data.postgres,
        // The servers' image from the first deploy on, archiving or not (docs/data.md).
        image: walArchive.image,
        walArchive:
            walLocation && walAccess
                ? {
                      timeoutSeconds: walArchive.timeoutSeconds,
                      maxBacklogPercent: walArchive.maxBacklogPercent,
                      region: walLocation.region,
                      archiveUrl: archiveUrl(walLocation.bucketArn, cfg.dr.walArchivePrefix),
                      sourceUrl: archiveUrl(walLocation.bucketArn, cfg.dr.walSourcePrefix),
                      standby: cfg.dr.postgresStandby || walArchive.reseedFromDr,
                      baseBackupIntervalHours: walArchive.baseBackupIntervalHours,
                      roleArn: walAccess.roleArn,
                  }
                : undefined,
        storageClass: cfg.data.storageClass,
        serviceMonitorDependsOn: [clusterAddons.monitoringStack],
    },
    dataLayer,
);
const redis = new Redis(
    "redis",
    {
        ...cfg.data.redis,
        storageClass: cfg.data.storageClass,
        serviceMonitorDependsOn: [clusterAddons.monitoringStack],
    },
    dataLayer,
);
const backupAccess = {
    region: cfg.region,
    bucketName: backupStorage.bucketName,
    bucketArn: backupStorage.bucketArn,
    kmsKeyArn: backupStorage.kmsKeyArn,
    oidc: cluster.oidc,
    scratchSize: cfg.backups.scratchSize,
};
// The restore's IAM role exists on the whole dr stack, so activation adds Kubernetes objects
// only (docs/dr.md).
const restoreAccess = cfg.dr.restoreAccess
    ? new PostgresRestoreAccess(
          "postgres-restore",
          { ...backupAccess },
          { providers: { aws: awsProvider } },
      )
    : undefined;
const postgresRestore =
    cfg.dr.restoreLatestBackup && restoreAccess
        ? new PostgresRestoreJob(
              "postgres-restore",
              {
                  region: cfg.region,
                  bucketName: backupStorage.bucketName,
                  roleArn: restoreAccess.roleArn,
                  scratchSize: cfg.backups.scratchSize,
                  ...cfg.backups.restore,
                  images: {
                      postgres: cfg.data.postgres.image,
                      awsCli: cfg.backups.images.awsCli,
                  },
                  resources: cfg.backups.resources,
              },
              { provider: kubernetesProvider, dependsOn: [postgres] },
          )
        : undefined;
if (walLocation && walAccess) {
    new WalBaseBackupCheck(
        "postgres-base-backup-check",
        {
            image: walArchive.image,
            archiveUrl: archiveUrl(walLocation.bucketArn, cfg.dr.walArchivePrefix),
            region: walLocation.region,
            roleArn: walAccess.checkRoleArn,
            // The sidecar's interval plus two hours for the backup itself.
            maxAgeHours: walArchive.baseBackupIntervalHours + 2,
            resources: cfg.backups.resources,
            // An idle standby's server is a standby: production's base backups serve it.
            suspend: cfg.dr.backupsOnStandby,
        },
        { provider: kubernetesProvider, dependsOn: [postgres] },
    );
}
new BackupJobs(
    "backup-jobs",
    {
        ...backupAccess,
        schedules: cfg.backups.schedules,
        tiers: cfg.backups.tiers,
        images: {
            postgres: cfg.data.postgres.image,
            redis: cfg.data.redis.image,
            ...cfg.backups.images,
        },
        resources: cfg.backups.resources,
        verifyResources: cfg.backups.verifyResources,
        verifyMaxAgeMinutes: cfg.backups.verifyMaxAgeMinutes,
        redisReplicas: cfg.data.redis.replicas,
        posture: cfg.dr,
        appNamespaces: mcpNamespaces.names,
    },
    {
        providers: { aws: awsProvider, kubernetes: kubernetesProvider },
        dependsOn: [mcpNamespaces, postgres, redis, ...(postgresRestore ? [postgresRestore] : [])],
    },
);

// The Cloudflare edge (docs/edge.md). The stack that serves traffic deploys the Worker; the
// standby stack owns only the DR switch in that Worker's KV namespace (found through a
// StackReference), set to "dr" once drActive is true.
const edgeCfg = cfg.edge;
// The primary origin's record points at this stack's ALB unless a target is configured.
const edgeOrigins = edgeCfg?.worker
    ? {
          primary: {
              hostname: edgeCfg.worker.origins.primary.hostname,
              target:
                  edgeCfg.worker.origins.primary.target ??
                  albOf(edgeCfg.worker.origins.primary.hostname) ??
                  missingOriginTarget(edgeCfg.worker.origins.primary.hostname),
          },
          dr: edgeCfg.worker.origins.dr,
      }
    : undefined;
function missingOriginTarget(host: string): never {
    throw new Error(
        `mcp-platform:edge.worker.origins.primary.target: expected a target, since no Ingress of this stack serves ${host}`,
    );
}
const edge = edgeCfg?.worker
    ? new Edge(
          "edge",
          {
              ...edgeCfg.worker,
              origins: edgeOrigins!,
              accountId: edgeCfg.accountId,
              hostname: edgeCfg.hostname,
              environment: cfg.environment,
              originToken: cfg.credentials[edgeCredentialKeys.originToken],
          },
          { provider: cloudflareProvider },
      )
    : undefined;
const edgeSwitch = edgeCfg?.switch
    ? new EdgeSwitch(
          "edge-switch",
          {
              accountId: edgeCfg.accountId,
              primaryStack: stackName(edgeCfg.switch.primaryStack),
              activeRegion: cfg.dr.activeRegion,
          },
          // Traffic moves to DR only once DR can take it: after the restore Job has loaded the
          // data and the services' autoscalers are at production size (docs/dr.md).
          {
              provider: cloudflareProvider,
              dependsOn: [mcpCatalog, ...(postgresRestore ? [postgresRestore] : [])],
          },
      )
    : undefined;
// Proxied CNAMEs for the hostnames this stack's Ingresses serve (docs/edge.md, DNS records):
// each points at the ALB its Ingress reports. The Edge declares the primary origin's record;
// the primary stack owns the hosts every stack serves (`ingress.sharedHosts`).
const dnsZoneId = edgeCfg?.worker?.zoneId ?? edgeCfg?.switch?.zoneId;
if (dnsZoneId !== undefined) {
    new IngressDns(
        "ingress-dns",
        {
            zoneId: dnsZoneId,
            records: ownedIngressHosts(ingressRoutes, {
                role: cfg.role,
                sharedHosts,
                ownedElsewhere: (["primary", "dr"] as const)
                    .filter((region) => edgeOrigins?.[region].target !== undefined)
                    .map((region) => edgeOrigins![region].hostname),
            }).map(({ hostname, ingressName }) => ({
                hostname,
                target: publicIngresses.albHostnames[ingressName],
            })),
        },
        { provider: cloudflareProvider },
    );
}

export const stack = cfg.stack;
export const region = cfg.region;
export const role = cfg.role;
export const drActive = cfg.drActive;
export const awsProviderUrn = awsProvider.urn;
export const kubernetesProviderUrn = kubernetesProvider.urn;
export const clusterName = cluster.clusterName;
export const clusterEndpoint = cluster.endpoint;
export const oidcProviderArn = cluster.oidcProviderArn;
export const loadBalancerControllerRoleArn = clusterAddons.loadBalancerControllerRoleArn;
export const karpenterInterruptionQueue = karpenter.interruptionQueueName;
export const kubeconfig = cluster.kubeconfig;
export const logGroupNames = logStorage.logGroupNames;
export const vpcId = network.vpcId;
export const mcpNamespaceNames = mcpNamespaces.names;
export const edgeHostname = edgeCfg?.hostname ?? null;
export const edgeKvNamespaceId = edge?.kvNamespaceId ?? edgeSwitch?.kvNamespaceId ?? null;
export const backupBucketName = backupStorage.bucketName;
export const backupBucketArn = backupStorage.bucketArn;
export const backupKmsKeyArn = backupStorage.kmsKeyArn;
export const backupKmsAliasArn = backupStorage.kmsAliasArn;
export const postgresRestoreJobName = postgresRestore?.jobName ?? null;
export const artifactBucketName = artifactStore.bucketName;
/** The DNS name of this stack's public ALB (every Ingress shares one ALB group). */
export const albHostname = ingressRoutes[0]
    ? publicIngresses.albHostnames[ingressRoutes[0].ingressName]
    : null;
