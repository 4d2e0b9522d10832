import type { ResourceValidationPolicy } from "@pulumi/policy";
import { clusterPolicies } from "./kubernetes-cluster";
import { podSecurityPolicies } from "./kubernetes-pod-security";
import { rbacPolicies } from "./kubernetes-rbac";
import { workloadPolicies } from "./kubernetes-workloads";

/**
 * Kubernetes resource policies, by area: the restricted Pod Security Standard
 * (kubernetes-pod-security.ts, hostPath and volume types in kubernetes-host-path.ts),
 * workload hygiene (kubernetes-workloads.ts), RBAC (kubernetes-rbac.ts) and namespace /
 * cluster-level objects (kubernetes-cluster.ts). Stack-wide Kubernetes rules are in stack.ts.
 */
export const kubernetesPolicies: ResourceValidationPolicy[] = [
    ...podSecurityPolicies,
    ...workloadPolicies,
    ...rbacPolicies,
    ...clusterPolicies,
];
