/**
 * The mcp-platform program: read and validate the stack's configuration once (a mistake
 * stops here with every problem listed, before anything is declared), declare the platform
 * layer by layer (platform/), and export the stack's outputs (contracts/stack-outputs.ts).
 */
import { loadConfig } from "./config";
import { platform } from "./platform";

const outputs = platform(loadConfig());

export const stack = outputs.stack;
export const region = outputs.region;
export const role = outputs.role;
export const drActive = outputs.drActive;
export const awsProviderUrn = outputs.awsProviderUrn;
export const kubernetesProviderUrn = outputs.kubernetesProviderUrn;
export const clusterName = outputs.clusterName;
export const clusterEndpoint = outputs.clusterEndpoint;
export const oidcProviderArn = outputs.oidcProviderArn;
export const loadBalancerControllerRoleArn = outputs.loadBalancerControllerRoleArn;
export const karpenterInterruptionQueue = outputs.karpenterInterruptionQueue;
export const kubeconfig = outputs.kubeconfig;
export const logGroupNames = outputs.logGroupNames;
export const vpcId = outputs.vpcId;
export const mcpNamespaceNames = outputs.mcpNamespaceNames;
export const edgeHostname = outputs.edgeHostname;
export const edgeKvNamespaceId = outputs.edgeKvNamespaceId;
export const backupBucketName = outputs.backupBucketName;
export const backupBucketArn = outputs.backupBucketArn;
export const backupKmsKeyArn = outputs.backupKmsKeyArn;
export const backupKmsAliasArn = outputs.backupKmsAliasArn;
export const backupSigningKeyArn = outputs.backupSigningKeyArn;
export const backupSigningPublicKey = outputs.backupSigningPublicKey;
export const walArchiveRoleArns = outputs.walArchiveRoleArns;
export const postgresRestoreJobName = outputs.postgresRestoreJobName;
export const artifactBucketName = outputs.artifactBucketName;
export const albHostname = outputs.albHostname;
