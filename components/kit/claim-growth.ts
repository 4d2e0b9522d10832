import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/**
 * Growing a StatefulSet's volumes without replacing it. A StatefulSet's `volumeClaimTemplates`
 * cannot change: the Kubernetes provider would replace the set (and a fixed name forces
 * delete-before-create). Instead the set ignores changes of its template's size
 * ({@link claimSizeIgnoreChanges}), keeping the size it was created with, and each claim the
 * set made (`<template>-<set>-<ordinal>`) is patched to the declared size
 * ({@link growClaims}): the claims grow in place (the StorageClass allows expansion), the set
 * and its pods stay. A patch is `retainOnDelete`: removing it (or destroying the stack) leaves
 * the claim as it is — its size is a required field the provider would otherwise have to
 * hand back, and it refuses to delete such a patch.
 */

/** The path of the claim template's size, for the StatefulSet's `ignoreChanges`. */
export const claimSizeIgnoreChanges = [
    "spec.volumeClaimTemplates[0].spec.resources.requests.storage",
];

export interface ClaimGrowthArgs {
    /** The claim template's name, e.g. `data`. */
    readonly claimTemplate: string;
    /** The StatefulSet's name, e.g. `redis`. */
    readonly statefulSet: string;
    readonly namespace: string;
    /** The set's replicas: one claim per ordinal. */
    readonly replicas: number;
    /** The declared size, e.g. `250Gi`. */
    readonly size: string;
}

/**
 * One PersistentVolumeClaimPatch per ordinal, setting the claim's request to `size`. Depend
 * on the StatefulSet (`opts.dependsOn`): its claims exist once it is Ready.
 */
export function growClaims(
    name: string,
    args: ClaimGrowthArgs,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.PersistentVolumeClaimPatch[] {
    return Array.from(
        { length: args.replicas },
        (_, ordinal) =>
            new k8s.core.v1.PersistentVolumeClaimPatch(
                `${name}-claim-${ordinal}`,
                {
                    metadata: {
                        name: `${args.claimTemplate}-${args.statefulSet}-${ordinal}`,
                        namespace: args.namespace,
                        annotations: {
                            // The StatefulSet controller created the claim and owns its fields.
                            "pulumi.com/patchForce": "true",
                            // The provider (4.25.0, pkg/await/awaiters.go) waits for a claim of
                            // a WaitForFirstConsumer class (gp3) to be Pending, which a bound
                            // claim never is again: its await would time out after 5 minutes.
                            // The resize itself completes asynchronously (the CSI resizer).
                            "pulumi.com/skipAwait": "true",
                        },
                    },
                    spec: { resources: { requests: { storage: args.size } } },
                },
                { ...opts, retainOnDelete: true },
            ),
    );
}
