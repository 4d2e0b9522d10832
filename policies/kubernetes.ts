import type { ResourceValidationPolicy } from "@pulumi/policy";
import { clusterPolicies } from "./kubernetes-cluster";
import { imageThroughCache } from "./kubernetes-image-cache";
import { configGroupObjectsPolicy, helmChartAllowed } from "./kubernetes-indirection";
import { networkPolicies } from "./kubernetes-network";
import { podSecurityPolicies } from "./kubernetes-pod-security";
import { rbacPolicies } from "./kubernetes-rbac";
import { secretsPolicies } from "./kubernetes-secrets";
import { workloadPolicies } from "./kubernetes-workloads";

/**
 * Kubernetes resource policies, by area: the restricted Pod Security Standard
 * (kubernetes-pod-security.ts, hostPath and volume types in kubernetes-host-path.ts),
 * workload hygiene (kubernetes-workloads.ts), images through the ECR cache
 * (kubernetes-image-cache.ts), RBAC (kubernetes-rbac.ts), namespace /
 * cluster-level objects (kubernetes-cluster.ts), network exposure (kubernetes-network.ts),
 * credentials in config (kubernetes-secrets.ts) and objects declared indirectly through YAML
 * groups or Helm (kubernetes-indirection.ts). Stack-wide Kubernetes rules are in stack.ts.
 */
const directPolicies: ResourceValidationPolicy[] = [
    ...podSecurityPolicies,
    ...workloadPolicies,
    imageThroughCache,
    ...rbacPolicies,
    ...clusterPolicies,
    ...networkPolicies,
    ...secretsPolicies,
];

/** Judges each object of a YAML ConfigGroup/ConfigFile with every direct policy above. */
export const configGroupObjects = configGroupObjectsPolicy(() => directPolicies);

export const kubernetesPolicies: ResourceValidationPolicy[] = [
    ...directPolicies,
    helmChartAllowed,
    configGroupObjects,
];
