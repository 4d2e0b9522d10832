import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { statefulResourcesProtected } from "../../../policies/protection";
import type { ResourceRecord } from "../../../tools/lib/records";
import type { PolicyCases } from "../lib/cases";
import { bucket, cmkArn, hardenedCluster, k8sObject, record } from "../lib/fixtures";

type Options = NonNullable<ResourceRecord["options"]>;

const withOptions = (resource: ResourceRecord, options: Options): ResourceRecord => ({
    ...resource,
    options,
});
const protectedOnes = (): ResourceRecord[] =>
    [
        record(aws.kms.Key, { enableKeyRotation: true }, "backups-key"),
        bucket("backups"),
        hardenedCluster(),
        record(aws.cloudwatch.LogGroup, { kmsKeyId: cmkArn, retentionInDays: 90 }, "logs"),
    ].map((r) => withOptions(r, { protect: true }));

const statefulSet = (retention?: Record<string, string>): ResourceRecord =>
    k8sObject(
        k8s.apps.v1.StatefulSet,
        "apps/v1",
        "StatefulSet",
        { name: "postgres-primary", namespace: "mcp-production" },
        {
            spec: {
                serviceName: "postgres-primary",
                selector: { matchLabels: { app: "postgres" } },
                volumeClaimTemplates: [{ metadata: { name: "data" }, spec: {} }],
                ...(retention ? { persistentVolumeClaimRetentionPolicy: retention } : {}),
            },
        },
    );
const retain = { whenDeleted: "Retain", whenScaled: "Retain" };

export const protectionCases: PolicyCases[] = [
    {
        policy: statefulResourcesProtected,
        pass: [
            {
                title: "keys, buckets, cluster and log groups protected; claims retained",
                resources: [...protectedOnes(), statefulSet(retain)],
            },
            {
                title: "a bucket kept by retainOnDelete instead of protect",
                resources: [withOptions(bucket("artifacts"), { retainOnDelete: true })],
            },
        ],
        fail: [
            {
                title: "an unprotected backup bucket",
                resources: [...protectedOnes(), bucket("unprotected")],
                expect: /Bucket unprotected must be protected/,
            },
            {
                title: "a KMS key with protect: false",
                resources: [withOptions(record(aws.kms.Key, {}, "loose-key"), { protect: false })],
                expect: /Key loose-key must be protected/,
            },
            {
                title: "a StatefulSet that deletes its claims when scaled down",
                resources: [statefulSet({ whenDeleted: "Retain", whenScaled: "Delete" })],
                expect: /StatefulSet postgres-primary must keep its volume claims: .*whenScaled: Retain/,
            },
            {
                title: "a StatefulSet without a retention policy",
                resources: [statefulSet()],
                expect: /whenDeleted: Retain, whenScaled: Retain/,
            },
        ],
    },
];
