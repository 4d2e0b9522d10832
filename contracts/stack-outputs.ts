/**
 * What a deployed stack exports and which config keys its operators' tools read or write:
 * `index.ts` exports exactly {@link StackOutputs} (platform/outputs.ts maps the resources to
 * it), and the `mcp` CLI and the DR procedure read outputs by {@link stackOutputNames}.
 */

/** Every stack output, as a reader of `pulumi stack output --json` sees it. */
export interface StackOutputs {
    readonly stack: string;
    readonly region: string;
    /** `primary` or `standby` (contracts/dr-posture.ts). */
    readonly role: "primary" | "standby";
    /** The activation flag the stack was last deployed with. */
    readonly drActive: boolean;
    readonly awsProviderUrn: string;
    readonly kubernetesProviderUrn: string;
    /** `mcp-<environment>` ({@link clusterName} in contracts/names.ts). */
    readonly clusterName: string;
    readonly clusterEndpoint: string;
    readonly oidcProviderArn: string;
    readonly loadBalancerControllerRoleArn: string;
    readonly karpenterInterruptionQueue: string;
    /** The EKS cluster's kubeconfig (a secret output), for kubectl. */
    readonly kubeconfig: string;
    /** The log group of each namespace (contracts/logging.ts). */
    readonly logGroupNames: Readonly<Record<string, string>>;
    readonly vpcId: string;
    readonly mcpNamespaceNames: readonly string[];
    /** The public edge hostname in front of both regions; null on a stack without an edge. */
    readonly edgeHostname: string | null;
    /** The KV namespace of the edge switches (the Worker's on production, found by dr). */
    readonly edgeKvNamespaceId: string | null;
    /** Each stack's backup bucket; production replicates into the dr bucket. */
    readonly backupBucketName: string;
    readonly backupBucketArn: string;
    readonly backupKmsKeyArn: string;
    readonly backupKmsAliasArn: string;
    /** The KMS key only the backup jobs may sign backups with (docs/data.md, "Signed backups"). */
    readonly backupSigningKeyArn: string;
    /** Its public key (PEM): the other stack's restores and verify trust it. */
    readonly backupSigningPublicKey: string;
    /**
     * The roles of this stack's WAL archive (postgres pods, base-backup check): they read the
     * dr bucket, whose key names them (production's are read by the dr stack); [] without one.
     */
    readonly walArchiveRoleArns: readonly string[];
    /** The restore Job of an activated dr stack restoring from a dump; null otherwise. */
    readonly postgresRestoreJobName: string | null;
    readonly artifactBucketName: string;
    /** The DNS name of this stack's public ALB (every Ingress shares one ALB group). */
    readonly albHostname: string | null;
}

/** Each output's name, for readers: `outputs[stackOutputNames.backupBucketName]`. */
export const stackOutputNames: { readonly [K in keyof StackOutputs]-?: K } = {
    stack: "stack",
    region: "region",
    role: "role",
    drActive: "drActive",
    awsProviderUrn: "awsProviderUrn",
    kubernetesProviderUrn: "kubernetesProviderUrn",
    clusterName: "clusterName",
    clusterEndpoint: "clusterEndpoint",
    oidcProviderArn: "oidcProviderArn",
    loadBalancerControllerRoleArn: "loadBalancerControllerRoleArn",
    karpenterInterruptionQueue: "karpenterInterruptionQueue",
    kubeconfig: "kubeconfig",
    logGroupNames: "logGroupNames",
    vpcId: "vpcId",
    mcpNamespaceNames: "mcpNamespaceNames",
    edgeHostname: "edgeHostname",
    edgeKvNamespaceId: "edgeKvNamespaceId",
    backupBucketName: "backupBucketName",
    backupBucketArn: "backupBucketArn",
    backupKmsKeyArn: "backupKmsKeyArn",
    backupKmsAliasArn: "backupKmsAliasArn",
    backupSigningKeyArn: "backupSigningKeyArn",
    backupSigningPublicKey: "backupSigningPublicKey",
    walArchiveRoleArns: "walArchiveRoleArns",
    postgresRestoreJobName: "postgresRestoreJobName",
    artifactBucketName: "artifactBucketName",
    albHostname: "albHostname",
};

/** The project's config namespace: `mcp-platform:<key>` in `Pulumi.<stack>.yaml`. */
export const projectName = "mcp-platform";

/** Config keys the operators' tools read or write. */
export const configKeys = {
    /** The activation flag on the dr stack. */
    drActive: `${projectName}:drActive`,
    /** `primary` or `standby`. */
    role: `${projectName}:role`,
    region: "aws:region",
} as const;
