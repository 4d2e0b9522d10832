import { podSecurityPolicies } from "../../policies/kubernetes-pod-security";
import { fixture, resourceViolations } from "./policy";

/**
 * The restricted Pod Security Standard as the platform enforces it: a pod spec is wrapped in
 * a Pod and run through the policy pack's Pod Security policies (policies/
 * kubernetes-pod-security.ts), whose own pass/fail fixtures pin every control of the
 * admission controller (kubernetes/pod-security-admission `policy/check_*.go`). Returns one
 * `<policy>: <message>` line per violation; an empty list means the pod is admitted.
 */

type Obj = Record<string, any>;

/** The pod spec inside a workload manifest (Pod, Deployment, StatefulSet, Job, CronJob…). */
export function podSpecOf(manifest: Obj): Obj | undefined {
    switch (manifest.kind) {
        case "Pod":
            return manifest.spec;
        case "CronJob":
            return manifest.spec?.jobTemplate?.spec?.template?.spec;
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return manifest.spec?.template?.spec;
        default:
            return undefined;
    }
}

export async function restrictedViolations(
    pod: Obj,
    namespace = "mcp-production",
): Promise<string[]> {
    const record = fixture("kubernetes:core/v1:Pod", {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "pod-under-test", namespace },
        spec: pod,
    });
    const violations: string[] = [];
    for (const policy of podSecurityPolicies) {
        for (const message of (await resourceViolations(policy, record)) ?? []) {
            violations.push(`${policy.name}: ${message}`);
        }
    }
    return violations;
}
