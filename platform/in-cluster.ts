import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PreviewAccess, previewGroup } from "../components/cluster";
import { originAuthHeader } from "../components/edge";
import {
    archiveUrl,
    BackupJobs,
    Postgres,
    PostgresRestoreJob,
    Redis,
    WalBaseBackupCheck,
} from "../components/data";
import { LogCollector } from "../components/logging";
import {
    AlertmanagerConfig,
    AlertRules,
    BlackboxExporter,
    Dashboards,
    platformDashboards,
    publicHostnames,
    ruleCatalog,
    symptomAlertNames,
} from "../components/monitoring";
import {
    AppConfig,
    McpCatalog,
    McpNamespaces,
    PublicIngresses,
    publicRoutes,
} from "../components/workloads";
import { defaultTags } from "../components/kit";
import type { PlatformConfig } from "../config";
import { edgeCredentialKeys } from "../config/edge";
import { alertingCredentialKeys } from "../config/monitoring";
import { logGroupPrefix } from "../contracts/logging";
import type { InClusterSecrets } from "./secrets";

/**
 * The values the in-cluster layer takes from the AWS half, as plain typed inputs: with a
 * Kubernetes provider and these fixed, the layer is declared without the AWS foundation.
 */
export interface AwsDerived {
    /** The backup bucket and its key (docs/data.md). */
    readonly backupBucketName: pulumi.Input<string>;
    /** Each backup CronJob's IRSA role, by its key in `backups.schedules`. */
    readonly backupRoleArns: Readonly<
        Record<"postgres" | "redis" | "appData" | "verify", pulumi.Input<string>>
    >;
    /** Fluent Bit's role, limited to the stack's log groups. */
    readonly logWriterRoleArn: pulumi.Input<string>;
    /** The semantic control plane's artifact bucket and each service's role on it. */
    readonly artifactBucketName: pulumi.Input<string>;
    readonly artifactRoleArns: Readonly<Record<string, pulumi.Input<string>>>;
    /** The restore Job's role (the whole dr stack). */
    readonly restoreRoleArn?: pulumi.Input<string>;
    /** The backup signing key and the public keys restore and verify trust. */
    readonly backupSigning: {
        readonly keyArn: pulumi.Input<string>;
        readonly trustedPublicKeys: pulumi.Input<string>;
    };
    /** Where postgres archives WAL, when this stack archives, and the roles that may. */
    readonly walArchive?: {
        readonly bucketArn: pulumi.Input<string>;
        readonly region: pulumi.Input<string>;
        readonly roleArn: pulumi.Input<string>;
        readonly checkRoleArn: pulumi.Input<string>;
    };
}

export interface InClusterInputs {
    /** The cluster's Kubernetes provider: every object of this layer is created with it. */
    readonly kubernetes: k8s.Provider;
    /**
     * What the layer waits for: the add-ons as a whole (the VPA and ServiceMonitor CRDs, the
     * ALB controller's IngressClass and webhook) and the monitoring stack (PrometheusRule,
     * ServiceMonitor, Probe CRDs).
     */
    readonly addons: { readonly all: pulumi.Resource; readonly monitoringStack: pulumi.Resource };
    readonly awsDerived: AwsDerived;
    /** The passwords the layer's Secrets hold (platform/secrets.ts), as secret inputs. */
    readonly secrets: InClusterSecrets;
    /** The address ranges the public ALB accepts (the edge's, docs/edge.md). */
    readonly sourceRanges: pulumi.Input<{ ipv4: string[]; ipv6: string[] }>;
}

/** What the edge and the stack's outputs need from the in-cluster layer. */
export interface InCluster {
    readonly namespaces: McpNamespaces;
    readonly catalog: McpCatalog;
    readonly ingresses: PublicIngresses;
    readonly ingressRoutes: ReturnType<typeof publicRoutes>;
    readonly postgresRestore?: PostgresRestoreJob;
}

/**
 * Everything inside the cluster: the namespaces, the shared app config, the MCP service
 * catalog and its public ingresses (docs/workloads.md), monitoring (docs/monitoring.md), the
 * log collector (docs/logging.md), the data layer and its backups (docs/data.md), and the
 * preview roles' read-only view of the cluster.
 */
export function inCluster(cfg: PlatformConfig, inputs: InClusterInputs): InCluster {
    const provider = inputs.kubernetes;
    const { monitoringStack } = inputs.addons;
    const derived = inputs.awsDerived;
    const workloads = cfg.workloads;

    if (cfg.cluster.previewRoleArns.length > 0) {
        new PreviewAccess("preview-access", { group: previewGroup }, { provider });
    }

    new LogCollector(
        "log-collector",
        {
            image: cfg.logging.collectorImage,
            region: cfg.region,
            groupPrefix: logGroupPrefix(cfg.stack),
            namespaces: cfg.logging.namespaces,
            roleArn: derived.logWriterRoleArn,
            monitoringDependsOn: [monitoringStack],
        },
        { provider },
    );

    // The namespaces come first: every in-cluster component depends on them. Then the shared
    // app config, the service catalog (sized for standby on an idle dr stack) and the public
    // ingresses, after the cluster add-ons.
    const mcpNamespaces = new McpNamespaces(
        "mcp-namespaces",
        { namespaces: workloads.namespaces },
        { provider },
    );
    const appConfig = new AppConfig(
        "mcp-app-config",
        {
            jwtSecret: inputs.secrets.jwtSecret,
            jwtSecretRotation: workloads.secrets.jwtSecretRotation,
            semanticConfig: {
                ...workloads.semanticConfig,
                artifactBucket: derived.artifactBucketName,
                region: cfg.region,
            },
        },
        { provider, dependsOn: [mcpNamespaces] },
    );
    const data = dataLayer(cfg, inputs, mcpNamespaces);
    // After Redis: the apps sign in as the `app` ACL user, which the redis pods define as they
    // roll; a service rolled first would be refused until then.
    const mcpCatalog = new McpCatalog(
        "mcp-catalog",
        {
            services: workloads.services,
            servicesAtMinimum: cfg.dr.servicesAtMinimum,
            albSourceCidr: cfg.network.vpcCidr,
            secretVersion: appConfig.secretVersion,
            semanticConfigVersion: appConfig.semanticConfigVersion,
            serviceAccountRoleArns: derived.artifactRoleArns,
        },
        { provider, dependsOn: [mcpNamespaces, appConfig, inputs.addons.all, data.redis] },
    );
    // Which stack owns the shared hosts' DNS records is the edge layer's concern.
    const { sharedHosts, ...ingressSettings } = workloads.ingress;
    void sharedHosts;
    const ingressRoutes = publicRoutes(workloads.services);
    const publicIngresses = new PublicIngresses(
        "mcp-ingresses",
        {
            routes: ingressRoutes,
            ...ingressSettings,
            sourceRanges: inputs.sourceRanges,
            tags: defaultTags(cfg),
            // With an edge, the ALBs forward only requests carrying the Worker's credential.
            originAuth: cfg.credentials[edgeCredentialKeys.originToken] && {
                header: originAuthHeader,
                token: cfg.credentials[edgeCredentialKeys.originToken],
            },
        },
        { provider, dependsOn: [mcpCatalog, inputs.addons.all] },
    );

    monitoring(cfg, provider, monitoringStack, ingressRoutes);

    return {
        namespaces: mcpNamespaces,
        catalog: mcpCatalog,
        ingresses: publicIngresses,
        ingressRoutes,
        postgresRestore: data.postgresRestore,
    };
}

/**
 * The typed alert catalog as PrometheusRules, Alertmanager's routing with its receivers'
 * credentials, the Grafana dashboards, and the blackbox exporter probing the public HTTPS
 * endpoints, all in kube-prometheus-stack's namespace.
 */
function monitoring(
    cfg: PlatformConfig,
    provider: k8s.Provider,
    monitoringStack: pulumi.Resource,
    ingressRoutes: ReturnType<typeof publicRoutes>,
): void {
    const opts = { provider, dependsOn: [monitoringStack] };
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
        opts,
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
        opts,
    );
    new Dashboards(
        "dashboards",
        {
            dashboards: platformDashboards({
                artifactStorageQuotaBytes: cfg.monitoring.artifactStorageQuotaGiB * 2 ** 30,
            }),
        },
        opts,
    );
    // The source of CertificateExpiringSoon's probe_ssl_earliest_cert_expiry.
    new BlackboxExporter(
        "blackbox-exporter",
        {
            image: cfg.monitoring.blackboxExporter.image,
            hostnames: publicHostnames(ingressRoutes, cfg.edge?.hostname),
            egressExceptCidrs: [cfg.network.vpcCidr],
        },
        opts,
    );
}

/**
 * Postgres and Redis in mcp-production, the WAL archive's base-backup check, the backup
 * CronJobs and — on an activated dr stack restoring from a dump — the restore Job; the
 * CronJobs wait for it, so no backup runs before the data is back.
 */
function dataLayer(
    cfg: PlatformConfig,
    inputs: InClusterInputs,
    mcpNamespaces: McpNamespaces,
): { readonly redis: Redis; readonly postgresRestore?: PostgresRestoreJob } {
    const provider = inputs.kubernetes;
    const monitoringStack = inputs.addons.monitoringStack;
    const derived = inputs.awsDerived;
    const onData = { provider, dependsOn: [mcpNamespaces] };
    const walArchive = cfg.data.postgres.archive;
    const wal = derived.walArchive;
    const postgres = new Postgres(
        "postgres",
        {
            ...cfg.data.postgres,
            // The servers' image from the first deploy on, archiving or not (docs/data.md).
            image: walArchive.image,
            walArchive: wal
                ? {
                      timeoutSeconds: walArchive.timeoutSeconds,
                      maxBacklogPercent: walArchive.maxBacklogPercent,
                      region: wal.region,
                      archiveUrl: archiveUrl(wal.bucketArn, cfg.dr.walArchivePrefix),
                      sourceUrl: archiveUrl(wal.bucketArn, cfg.dr.walSourcePrefix),
                      standby: cfg.dr.postgresStandby || walArchive.reseedFromDr,
                      baseBackupIntervalHours: walArchive.baseBackupIntervalHours,
                      roleArn: wal.roleArn,
                  }
                : undefined,
            storageClass: cfg.data.storageClass,
            serviceMonitorDependsOn: [monitoringStack],
            passwords: inputs.secrets.postgres,
        },
        onData,
    );
    const redis = new Redis(
        "redis",
        {
            ...cfg.data.redis,
            storageClass: cfg.data.storageClass,
            serviceMonitorDependsOn: [monitoringStack],
            passwords: inputs.secrets.redis,
        },
        onData,
    );
    const postgresRestore =
        cfg.dr.restoreLatestBackup && derived.restoreRoleArn !== undefined
            ? new PostgresRestoreJob(
                  "postgres-restore",
                  {
                      region: cfg.region,
                      bucketName: derived.backupBucketName,
                      roleArn: derived.restoreRoleArn,
                      trustedSigningKeys: derived.backupSigning.trustedPublicKeys,
                      scratchSize: cfg.backups.scratchSize,
                      ...cfg.backups.restore,
                      images: {
                          postgres: cfg.data.postgres.image,
                          awsCli: cfg.backups.images.awsCli,
                      },
                      resources: cfg.backups.resources,
                  },
                  { provider, dependsOn: [postgres] },
              )
            : undefined;
    if (wal) {
        new WalBaseBackupCheck(
            "postgres-base-backup-check",
            {
                image: walArchive.image,
                archiveUrl: archiveUrl(wal.bucketArn, cfg.dr.walArchivePrefix),
                region: wal.region,
                roleArn: wal.checkRoleArn,
                // The sidecar's interval plus two hours for the backup itself.
                maxAgeHours: walArchive.baseBackupIntervalHours + 2,
                resources: cfg.backups.resources,
                // An idle standby's server is a standby: production's base backups serve it.
                suspend: cfg.dr.backupsOnStandby,
            },
            { provider, dependsOn: [postgres] },
        );
    }
    new BackupJobs(
        "backup-jobs",
        {
            region: cfg.region,
            bucketName: derived.backupBucketName,
            roleArns: derived.backupRoleArns,
            signing: derived.backupSigning,
            scratchSize: cfg.backups.scratchSize,
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
            provider,
            dependsOn: [
                mcpNamespaces,
                postgres,
                redis,
                ...(postgresRestore ? [postgresRestore] : []),
            ],
        },
    );
    return { redis, postgresRestore };
}
