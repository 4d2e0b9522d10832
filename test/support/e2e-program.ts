import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesProviderSettings } from "../../components/cluster";
import { replicationDestination } from "../../components/data";
import { artifactServiceAccounts } from "../../components/workloads";
import { loadConfig, type PlatformConfig } from "../../config";
import { clusterName } from "../../contracts/names";
import { type AwsDerived, inCluster } from "../../platform";
import { stackName } from "../../platform/providers";
import { walArchiveLocation } from "../../platform/wal-location";
import { type AddonSources, E2eAddons } from "./e2e-addons";

/**
 * The program `npm run e2e` gives the real Pulumi CLI (Automation API, inline): the stack's
 * config read by the program's own `loadConfig`, the in-cluster layer `index.ts` declares
 * (`inCluster` of platform/), on a Kubernetes provider with the production provider's
 * settings and the test control plane's kubeconfig. What the AWS half would give it is fixed
 * here (role ARNs, bucket names, key ARNs: {@link fixedAwsDerived}), except the replication
 * destination, which production reads from the dr stack's outputs through a StackReference,
 * as `platform/aws-foundation.ts` does, and which decides where postgres archives WAL.
 */

/** The account the fixed ARNs name (the AWS documentation's example account). */
const account = "123456789012";

/** The in-cluster layer's passwords, generated per run: never a literal in the repository. */
export interface E2eSecrets {
    readonly postgres: {
        readonly app: string;
        readonly superuser: string;
        readonly replication: string;
        readonly exporter: string;
        /** Seed of the servers' TLS CA and certificate (components/data/x509.ts). */
        readonly tlsSeed: string;
    };
    /** The `default` user's and each client's ACL user's (components/data/redis-acl.ts). */
    readonly redis: {
        readonly default: string;
        readonly exporter: string;
        readonly app: string;
        readonly backup: string;
        readonly replication: string;
        readonly sentinel: string;
        readonly proxy: string;
    };
    readonly jwtSecret: string;
}

/** A signing key's id in the fixed ARN (the KMS key itself is AWS's: never called here). */
const signingKeyId = "00000000-0000-4000-8000-00000000e2e0";

/**
 * The public half the restore and verify jobs trust: generated per run, as KMS would hold it.
 * The jobs never run a restore in this tier, so only its shape matters.
 */
const signingPublicKeyPem = generateKeyPairSync("ec", { namedCurve: "P-256" })
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();

const generated = (bytes = 24) => randomBytes(bytes).toString("base64url");

export function generateSecrets(): E2eSecrets {
    return {
        postgres: {
            app: generated(),
            superuser: generated(),
            replication: generated(),
            exporter: generated(),
            tlsSeed: generated(36),
        },
        redis: {
            default: generated(),
            exporter: generated(),
            app: generated(),
            backup: generated(),
            replication: generated(),
            sentinel: generated(),
            proxy: generated(),
        },
        jwtSecret: generated(36),
    };
}

/** The e2e program's output of the value the dr stack's edge switch holds. */
export const edgeSwitchOutput = "edgeSwitchActiveRegion";

/** A deliberate change a scratch preview makes to the program. */
export type Scratch =
    /** A StatefulSet's `serviceName` changed (immutable: the engine must plan a replace). */
    | { readonly kind: "serviceName"; readonly statefulSet: string }
    /** One privileged container added (the policy pack must fail the preview). */
    | { readonly kind: "privileged" };

export interface E2eProgramOptions {
    /** The test control plane's admin kubeconfig (its text). */
    readonly kubeconfig: string;
    readonly secrets: E2eSecrets;
    readonly addons: AddonSources;
    /** The loopback chart repository serving Karpenter's charts (test/support/helm-repo.ts). */
    readonly karpenterRepo: {
        readonly url: string;
        readonly charts: Readonly<Record<string, string>>;
    };
    readonly scratch?: Scratch;
}

/** The stack's own backup bucket and key, as the AWS foundation would name them. */
export function ownBackupBucket(cfg: Pick<PlatformConfig, "stack" | "region">) {
    const name = `mcp-platform-backups-${cfg.stack}-${account}-${cfg.region}`;
    return {
        bucketName: name,
        bucketArn: `arn:aws:s3:::${name}`,
        kmsKeyArn: `arn:aws:kms:${cfg.region}:${account}:key/e2e-${cfg.stack}-backups`,
        kmsAliasArn: `arn:aws:kms:${cfg.region}:${account}:alias/mcp-platform-backups-${cfg.stack}`,
    };
}

/**
 * The AWS-derived inputs of the in-cluster layer for `cfg`, fixed: each role ARN names its
 * purpose, the buckets follow the foundation's naming. The WAL archive is where
 * `walArchiveLocation` puts it: the dr stack's own bucket, production's replication
 * destination (read from the dr stack), none before replication exists.
 */
export function fixedAwsDerived(cfg: PlatformConfig): AwsDerived {
    const role = (purpose: string) => `arn:aws:iam::${account}:role/e2e-${cfg.stack}-${purpose}`;
    const own = ownBackupBucket(cfg);
    const replication = replicationDestination(
        cfg.backups.replication && {
            ...cfg.backups.replication,
            fromStack:
                cfg.backups.replication.fromStack && stackName(cfg.backups.replication.fromStack),
        },
    );
    const wal = walArchiveLocation(
        cfg.dr,
        cfg.region,
        { bucketArn: pulumi.output(own.bucketArn), kmsKeyArn: pulumi.output(own.kmsKeyArn) },
        replication,
    );
    return {
        backupBucketName: own.bucketName,
        backupRoleArns: {
            postgres: role("postgres-backup"),
            redis: role("redis-backup"),
            appData: role("app-data-backup"),
            verify: role("backup-verify"),
        },
        logWriterRoleArn: role("log-writer"),
        artifactBucketName: `mcp-artifacts-${account}-${cfg.region}`,
        artifactRoleArns: Object.fromEntries(
            artifactServiceAccounts(cfg.workloads.services).map((sa) => [
                `${sa.namespace}/${sa.name}`,
                role(`artifacts-${sa.name}`),
            ]),
        ),
        restoreRoleArn: cfg.dr.restoreAccess ? role("postgres-restore") : undefined,
        backupSigning: {
            keyArn: `arn:aws:kms:${cfg.region}:${account}:key/${signingKeyId}`,
            trustedPublicKeys: signingPublicKeyPem,
        },
        walArchive: wal && {
            bucketArn: wal.bucketArn,
            region: wal.region,
            roleArn: role("wal-archive"),
            checkRoleArn: role("wal-base-backup-check"),
        },
    };
}

/** A StatefulSet's `serviceName` changed by a transform, as a scratch edit of the program. */
function changeServiceName(statefulSet: string): void {
    pulumi.runtime.registerResourceTransform((args) => {
        const metadata = (args.props.metadata ?? {}) as { name?: string };
        if (args.type !== "kubernetes:apps/v1:StatefulSet" || metadata.name !== statefulSet) {
            return undefined;
        }
        const spec = args.props.spec as { serviceName: string };
        return {
            props: { ...args.props, spec: { ...spec, serviceName: `${spec.serviceName}-scratch` } },
            opts: args.opts,
        };
    });
}

/** One privileged container in mcp-production (PodSecurity would refuse its pods too). */
function privilegedDeployment(provider: k8s.Provider): void {
    const labels = { app: "scratch-privileged" };
    new k8s.apps.v1.Deployment(
        "scratch-privileged",
        {
            metadata: { name: "scratch-privileged", namespace: "mcp-production", labels },
            spec: {
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        containers: [
                            {
                                name: "scratch",
                                image: "busybox:1.37.0",
                                securityContext: { privileged: true },
                            },
                        ],
                    },
                },
            },
        },
        { provider },
    );
}

/** The inline program: a function the Automation API runs inside this process. */
export function e2eProgram(options: E2eProgramOptions): () => Promise<Record<string, unknown>> {
    return async () => {
        const cfg = loadConfig();
        if (options.scratch?.kind === "serviceName") changeServiceName(options.scratch.statefulSet);
        const kubernetes = new k8s.Provider(`${cfg.stack}-kubernetes`, {
            kubeconfig: options.kubeconfig,
            ...kubernetesProviderSettings,
        });
        const cluster = clusterName(cfg.environment);
        const addons = new E2eAddons(
            "cluster-addons",
            {
                sources: options.addons,
                karpenterRepo: options.karpenterRepo,
                vpcCidr: cfg.network.vpcCidr,
                volumeKeyArn: `arn:aws:kms:${cfg.region}:${account}:key/e2e-${cfg.stack}-volumes`,
                clusterName: cluster,
                clusterEndpoint: "https://kubernetes.default.svc",
                karpenterRoleArn: `arn:aws:iam::${account}:role/e2e-${cfg.stack}-karpenter`,
                karpenterInterruptionQueue: cluster,
            },
            { provider: kubernetes },
        );
        const secret = (value: string) => pulumi.secret(value);
        const s = options.secrets;
        const derived = fixedAwsDerived(cfg);
        const layer = inCluster(cfg, {
            kubernetes,
            addons: { all: addons, monitoringStack: addons.monitoringStack },
            awsDerived: derived,
            secrets: {
                postgres: {
                    app: secret(s.postgres.app),
                    superuser: secret(s.postgres.superuser),
                    replication: secret(s.postgres.replication),
                    exporter: secret(s.postgres.exporter),
                    tlsSeed: secret(s.postgres.tlsSeed),
                },
                redis: {
                    default: secret(s.redis.default),
                    exporter: secret(s.redis.exporter),
                    app: secret(s.redis.app),
                    backup: secret(s.redis.backup),
                    replication: secret(s.redis.replication),
                    sentinel: secret(s.redis.sentinel),
                    proxy: secret(s.redis.proxy),
                },
                jwtSecret: secret(s.jwtSecret),
            },
            sourceRanges: { ipv4: ["198.51.100.0/24"], ipv6: ["2001:db8::/32"] },
        });
        if (options.scratch?.kind === "privileged") privilegedDeployment(kubernetes);
        const own = ownBackupBucket(cfg);
        // The outputs of contracts/stack-outputs.ts the other stack and the DR tool read.
        return {
            stack: cfg.stack,
            region: cfg.region,
            role: cfg.role,
            drActive: cfg.drActive,
            kubernetesProviderUrn: kubernetes.urn,
            clusterName: cluster,
            kubeconfig: pulumi.secret(options.kubeconfig),
            mcpNamespaceNames: layer.namespaces.names,
            backupBucketName: own.bucketName,
            backupBucketArn: own.bucketArn,
            backupKmsKeyArn: own.kmsKeyArn,
            backupKmsAliasArn: own.kmsAliasArn,
            postgresRestoreJobName: layer.postgresRestore?.jobName ?? null,
            walArchiveBucketArn: derived.walArchive?.bucketArn ?? null,
            // What the edge layer's EdgeSwitch writes to the `active-region` KV entry (the
            // Cloudflare provider is not built here: test/support/e2e-dr.ts writes it into
            // the Worker's KV in workerd); null on a stack that does not own the switch.
            [edgeSwitchOutput]: cfg.edge?.switch ? cfg.dr.activeRegion : null,
        };
    };
}
