import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { loadConfig } from "./config";
import { defaultTags } from "./components/lib/tags";

// Read and validate the whole stack configuration once; a mistake stops here with every
// problem listed, before anything is declared.
const cfg = loadConfig();

// One explicit AWS provider per stack: its region comes from the stack file and its default
// tags reach every taggable resource that components create under it.
const awsProvider = new aws.Provider(`${cfg.stack}-aws`, {
    region: cfg.region as aws.Region,
    defaultTags: { tags: defaultTags(cfg) },
});

// The Kubernetes provider every in-cluster component is created with. Until the EKS cluster
// component provides one built from the cluster (kubeconfig via `aws eks get-token`), this
// stand-in uses the ambient kubeconfig.
const kubernetesProvider = new k8s.Provider(`${cfg.stack}-k8s`, { enableServerSideApply: true });

export const stack = cfg.stack;
export const region = cfg.region;
export const role = cfg.role;
export const drActive = cfg.drActive;
export const awsProviderUrn = awsProvider.urn;
export const kubernetesProviderUrn = kubernetesProvider.urn;
