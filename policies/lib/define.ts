import type { PolicyComplianceFramework, ResourceValidationPolicy } from "@pulumi/policy";
import { type PodCheck, validatePods } from "./pods";

/** Compliance frameworks the policies cite. */
export function pss(
    control: string,
    level: "baseline" | "restricted" = "restricted",
): PolicyComplianceFramework {
    return {
        name: "Kubernetes Pod Security Standards",
        version: level,
        reference: control,
        specification: "https://kubernetes.io/docs/concepts/security/pod-security-standards/",
    };
}

export function cisEks(control: string): PolicyComplianceFramework {
    return {
        name: "CIS Amazon EKS Benchmark",
        version: "1.8.0",
        reference: control,
        specification: "https://www.cisecurity.org/benchmark/kubernetes",
    };
}

export type PodPolicyDefinition = Omit<ResourceValidationPolicy, "validateResource"> & {
    /** The check, run on the pod template of every pod-bearing kind in `kinds`. */
    readonly check: PodCheck;
    /** @default every pod-bearing kind */
    readonly kinds?: readonly string[];
};

/** A resource policy over the pod templates of every pod-bearing kind. */
export function podPolicy(definition: PodPolicyDefinition): ResourceValidationPolicy {
    const { check, kinds, ...policy } = definition;
    return { ...policy, validateResource: validatePods(check, kinds) };
}
