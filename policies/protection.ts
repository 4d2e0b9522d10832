import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ofTypes } from "./lib/refs";

/**
 * Resources that hold data or keep it readable: losing one to a `pulumi destroy`, a
 * replacement or a resource removed from the program loses what no update can bring back —
 * the backups and artifacts, the keys that decrypt them and the cluster's secrets, the logs,
 * the cluster itself, and the databases' volumes.
 */
const protectedClasses = [
    aws.kms.Key,
    aws.s3.Bucket,
    aws.s3.BucketV2,
    aws.eks.Cluster,
    aws.cloudwatch.LogGroup,
];

/**
 * `retainOnDelete` is accepted where the offline synth records it; `pulumi preview` does not
 * pass it to a policy pack (`@pulumi/policy` 1.21), so these resources set `protect`.
 */
function isProtected(resource: PolicyResource): boolean {
    const opts = resource.opts as PolicyResource["opts"] & { retainOnDelete?: boolean };
    return opts.protect || opts.retainOnDelete === true;
}

function kindOf(resource: PolicyResource): string {
    return resource.type.split(":").pop() ?? resource.type;
}

export const statefulResourcesProtected: StackValidationPolicy = {
    name: "aws-stateful-resources-protected",
    description:
        "Checks whether the resources that hold data (KMS keys, S3 buckets, the EKS cluster, CloudWatch log groups) are protected from deletion and StatefulSets keep their volume claims when deleted or scaled down.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["data-protection"],
    remediationSteps:
        "Pass `protect: true` in the resource's options (components take a `protect` argument that defaults to true), or `retainOnDelete: true` where a documented drill deletes it; give every StatefulSet with volumeClaimTemplates `persistentVolumeClaimRetentionPolicy: { whenDeleted: Retain, whenScaled: Retain }`.",
    validateStack: (args, reportViolation) => {
        const resources = ofTypes(args.resources, protectedClasses);
        const statefulSets = ofTypes(args.resources, [k8s.apps.v1.StatefulSet]).filter(
            (r) => (r.props.spec?.volumeClaimTemplates ?? []).length > 0,
        );
        if (resources.length === 0 && statefulSets.length === 0) {
            return args.notApplicable("the stack declares no stateful resource");
        }
        for (const resource of resources) {
            if (!isProtected(resource)) {
                reportViolation(
                    `${kindOf(resource)} ${resource.name} must be protected: set protect: true (or retainOnDelete: true where a drill deletes it) so no update or destroy deletes it.`,
                    resource.urn,
                );
            }
        }
        for (const set of statefulSets) {
            const policy = set.props.spec?.persistentVolumeClaimRetentionPolicy ?? {};
            const deleting = (["whenDeleted", "whenScaled"] as const).filter(
                (when) => policy[when] !== "Retain",
            );
            if (deleting.length > 0) {
                reportViolation(
                    `StatefulSet ${set.props.metadata?.name ?? set.name} must keep its volume claims: set spec.persistentVolumeClaimRetentionPolicy ${deleting.map((w) => `${w}: Retain`).join(", ")}.`,
                    set.urn,
                );
            }
        }
    },
};

export const protectionPolicies: StackValidationPolicy[] = [statefulResourcesProtected];
