import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type { ResourceRecord } from "../../../tools/lib/records";
import { nodePoolManifest } from "../../../components/cluster/karpenter-node-pools";
import { fixture } from "../../support/policy";

/**
 * Hardened fixtures built with the real resource classes' types. Each builder returns a
 * fresh copy of an object that passes every policy; a failing case changes one field
 * through the `mutate` callback.
 */

export type Obj = Record<string, any>;

/**
 * A record of a real resource class (`aws.s3.Bucket`, `cloudflare.DnsRecord`, …). The
 * classes carry their type token in `__pulumiType` at run time, which not every provider's
 * declarations expose, so the token is read here and handed to the harness's `fixture`.
 */
export function record(cls: unknown, inputs: Obj, name?: string): ResourceRecord {
    const type = (cls as { __pulumiType?: unknown }).__pulumiType;
    if (typeof type !== "string") throw new Error("not a Pulumi resource class");
    return fixture(type, inputs, name);
}
type Mutate = (o: Obj) => void;

const noop: Mutate = () => undefined;

function clone<T>(value: T): T {
    return structuredClone(value);
}

export function hardenedContainer(name = "app"): Obj {
    return {
        name,
        // Through the stack's ECR pull-through cache (k8s-container-image-through-cache).
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/ghcr/mcp-platform/app:1.4.2",
        ports: [{ name: "http", containerPort: 8080 }],
        env: [
            { name: "NODE_OPTIONS", value: "--max-old-space-size=3072" },
            {
                name: "JWT_SECRET",
                valueFrom: { secretKeyRef: { name: "mcp-secrets", key: "jwt-secret" } },
            },
        ],
        resources: {
            requests: { cpu: "500m", memory: "1Gi" },
            limits: { cpu: "2", memory: "4Gi" },
        },
        securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ["ALL"] },
            seccompProfile: { type: "RuntimeDefault" },
        },
        readinessProbe: { httpGet: { path: "/health/ready", port: 8080 } },
        livenessProbe: { httpGet: { path: "/health/live", port: 8080 } },
        volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
    };
}

export function hardenedPodSpec(): Obj {
    return {
        serviceAccountName: "app",
        automountServiceAccountToken: false,
        securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            fsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
        },
        containers: [hardenedContainer()],
        volumes: [{ name: "tmp", emptyDir: {} }],
    };
}

export const podKinds = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
] as const;
export type PodKind = (typeof podKinds)[number];

const classes: Record<PodKind, { __pulumiType?: string }> = {
    Deployment: k8s.apps.v1.Deployment as unknown as { __pulumiType: string },
    StatefulSet: k8s.apps.v1.StatefulSet as unknown as { __pulumiType: string },
    DaemonSet: k8s.apps.v1.DaemonSet as unknown as { __pulumiType: string },
    ReplicaSet: k8s.apps.v1.ReplicaSet as unknown as { __pulumiType: string },
    Job: k8s.batch.v1.Job as unknown as { __pulumiType: string },
    CronJob: k8s.batch.v1.CronJob as unknown as { __pulumiType: string },
    Pod: k8s.core.v1.Pod as unknown as { __pulumiType: string },
};

const apiVersions: Record<PodKind, string> = {
    Deployment: "apps/v1",
    StatefulSet: "apps/v1",
    DaemonSet: "apps/v1",
    ReplicaSet: "apps/v1",
    Job: "batch/v1",
    CronJob: "batch/v1",
    Pod: "v1",
};

export interface WorkloadOptions {
    readonly name?: string;
    /** @default "mcp-production"; null leaves metadata.namespace unset */
    readonly namespace?: string | null;
    readonly labels?: Record<string, string>;
    /** Changes the pod template ({ metadata, spec }) before the record is built. */
    readonly pod?: Mutate;
    /** Changes the workload's own spec (replicas, schedule, …). */
    readonly spec?: Mutate;
}

/** A hardened object of a pod-bearing kind; `options.pod` mutates its pod template. */
export function workload(kind: PodKind, options: WorkloadOptions = {}): ResourceRecord {
    const name = options.name ?? "api";
    const labels = options.labels ?? { app: name };
    const template: Obj = { metadata: { labels: clone(labels) }, spec: hardenedPodSpec() };
    (options.pod ?? noop)(template);
    const metadata: Obj = { name, labels: clone(labels) };
    if (options.namespace !== null) metadata.namespace = options.namespace ?? "mcp-production";
    let props: Obj;
    switch (kind) {
        case "Pod":
            props = {
                metadata: { ...metadata, ...template.metadata, labels: template.metadata.labels },
                spec: template.spec,
            };
            break;
        case "Job":
            template.spec.restartPolicy ??= "Never";
            props = {
                metadata,
                spec: { backoffLimit: 2, ttlSecondsAfterFinished: 3600, template },
            };
            break;
        case "CronJob":
            template.spec.restartPolicy ??= "Never";
            props = {
                metadata,
                spec: {
                    schedule: "0 * * * *",
                    concurrencyPolicy: "Forbid",
                    jobTemplate: { spec: { backoffLimit: 2, template } },
                },
            };
            break;
        default:
            props = { metadata, spec: { selector: { matchLabels: clone(labels) }, template } };
    }
    (options.spec ?? noop)(props.spec);
    return fixture(
        classes[kind],
        { apiVersion: apiVersions[kind], kind, ...props },
        `${kind.toLowerCase()}-${name}`,
    );
}

export function deployment(options: WorkloadOptions = {}): ResourceRecord {
    return workload("Deployment", options);
}

/** Mutates the first container of a pod template. */
export function firstContainer(mutate: Mutate): Mutate {
    return (pod) => mutate(pod.spec.containers[0]);
}

/** A Kubernetes object of `cls` with apiVersion/kind/metadata filled in. */
export function k8sObject(
    cls: unknown,
    apiVersion: string,
    kind: string,
    metadata: Obj,
    rest: Obj = {},
): ResourceRecord {
    const type =
        (cls as { __pulumiType?: string }).__pulumiType ?? `kubernetes:${apiVersion}:${kind}`;
    return fixture(
        type,
        { apiVersion, kind, metadata, ...rest },
        `${kind.toLowerCase()}-${metadata.namespace ?? "cluster"}-${metadata.name}`,
    );
}

export function restrictedNamespace(
    name: string,
    labels: Record<string, string> = {},
): ResourceRecord {
    return k8sObject(k8s.core.v1.Namespace, "v1", "Namespace", {
        name,
        labels: {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
            ...labels,
        },
    });
}

export function networkPolicy(namespace: string, name: string, spec: Obj): ResourceRecord {
    return k8sObject(
        k8s.networking.v1.NetworkPolicy,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        { name, namespace },
        { spec },
    );
}

export function defaultDeny(namespace: string): ResourceRecord {
    return networkPolicy(namespace, "default-deny", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
    });
}

export function pdb(
    namespace: string,
    name: string,
    selector: Obj,
    rest: Obj = { maxUnavailable: 1 },
): ResourceRecord {
    return k8sObject(
        k8s.policy.v1.PodDisruptionBudget,
        "policy/v1",
        "PodDisruptionBudget",
        { name, namespace },
        { spec: { selector, ...rest } },
    );
}

export function hpa(
    namespace: string,
    target: string,
    maxReplicas: number,
    metrics?: Obj[],
    kind = "Deployment",
): ResourceRecord {
    return k8sObject(
        k8s.autoscaling.v2.HorizontalPodAutoscaler,
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        { name: `${target}-hpa`, namespace },
        {
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind, name: target },
                minReplicas: 2,
                maxReplicas,
                metrics: metrics ?? [
                    {
                        type: "Resource",
                        resource: {
                            name: "cpu",
                            target: { type: "Utilization", averageUtilization: 70 },
                        },
                    },
                ],
            },
        },
    );
}

export function vpa(
    namespace: string,
    target: string,
    spec: Obj = { updatePolicy: { updateMode: "Off" } },
): ResourceRecord {
    return fixture(
        "kubernetes:autoscaling.k8s.io/v1:VerticalPodAutoscaler",
        {
            apiVersion: "autoscaling.k8s.io/v1",
            kind: "VerticalPodAutoscaler",
            metadata: { name: `${target}-vpa`, namespace },
            spec: {
                targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: target },
                ...spec,
            },
        },
        `vpa-${namespace}-${target}`,
    );
}

export function prometheusRule(namespace: string, rules: Obj[]): ResourceRecord {
    return fixture(
        "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
        {
            apiVersion: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: { name: "mcp-rules", namespace },
            spec: { groups: [{ name: "mcp-services", rules }] },
        },
        `prometheusrule-${namespace}`,
    );
}

export function alert(name: string, mutate: Mutate = noop): Obj {
    const rule: Obj = {
        alert: name,
        expr: "up == 0",
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
            summary: "A service is down.",
            description: "{{ $labels.service }} has been down for 5 minutes.",
            runbook_url: `https://github.com/example/mcp-platform/blob/main/docs/runbooks/${name}.md`,
        },
    };
    mutate(rule);
    return rule;
}

// ---- AWS ----

export const cmkArn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";

export function bucket(name = "backups", props: Obj = {}): ResourceRecord {
    return record(aws.s3.Bucket, { ...props }, name);
}

/** The ID the mock runtime gives a resource, which is what other inputs refer to offline. */
export function idOf(record: ResourceRecord): string {
    return `${record.name}-id`;
}

export function bucketEncryption(
    target: ResourceRecord,
    sse: Obj = { sseAlgorithm: "aws:kms", kmsMasterKeyId: cmkArn },
): ResourceRecord {
    return record(
        aws.s3.BucketServerSideEncryptionConfiguration,
        {
            bucket: idOf(target),
            rules: [{ applyServerSideEncryptionByDefault: sse, bucketKeyEnabled: true }],
        },
        `${target.name}-sse`,
    );
}

export function bucketPublicAccessBlock(target: ResourceRecord, flags: Obj = {}): ResourceRecord {
    return record(
        aws.s3.BucketPublicAccessBlock,
        {
            bucket: idOf(target),
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
            ...flags,
        },
        `${target.name}-pab`,
    );
}

export function bucketVersioning(target: ResourceRecord, status = "Enabled"): ResourceRecord {
    return record(
        aws.s3.BucketVersioning,
        { bucket: idOf(target), versioningConfiguration: { status } },
        `${target.name}-versioning`,
    );
}

export function tlsOnlyStatement(bucketArn = "arn:aws:s3:::backups"): Obj {
    return {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    };
}

export function bucketPolicy(
    target: ResourceRecord,
    statements: Obj[] = [tlsOnlyStatement()],
): ResourceRecord {
    return record(
        aws.s3.BucketPolicy,
        {
            bucket: idOf(target),
            policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
        },
        `${target.name}-policy`,
    );
}

/** A bucket with every companion resource the S3 policies require. */
export function hardenedBucket(name = "backups"): ResourceRecord[] {
    const b = bucket(name);
    return [
        b,
        bucketEncryption(b),
        bucketPublicAccessBlock(b),
        bucketVersioning(b),
        bucketPolicy(b),
    ];
}

export function policyDocument(statements: Obj[]): string {
    return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

export const issuer = "oidc.eks.us-east-1.amazonaws.com/id/ABC";

export function irsaTrust(conditions: Obj = {}): string {
    return policyDocument([
        {
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
                StringEquals: {
                    [`${issuer}:sub`]: "system:serviceaccount:mcp-production:postgres-backup",
                    [`${issuer}:aud`]: "sts.amazonaws.com",
                },
                ...conditions,
            },
        },
    ]);
}

export function hardenedCluster(mutate: Mutate = noop): ResourceRecord {
    const props: Obj = {
        roleArn: "arn:aws:iam::123456789012:role/eks-cluster",
        version: "1.35",
        upgradePolicy: { supportType: "STANDARD" },
        enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
        encryptionConfig: { provider: { keyArn: cmkArn }, resources: ["secrets"] },
        vpcConfig: {
            subnetIds: ["private-a-id", "private-b-id"],
            endpointPrivateAccess: true,
            endpointPublicAccess: false,
        },
        accessConfig: { authenticationMode: "API" },
    };
    mutate(props);
    return record(aws.eks.Cluster, props, "cluster");
}

export function launchTemplate(name = "workload-lt", mutate: Mutate = noop): ResourceRecord {
    const props: Obj = {
        blockDeviceMappings: [
            {
                deviceName: "/dev/xvda",
                ebs: { encrypted: "true", volumeType: "gp3", volumeSize: 100, kmsKeyId: cmkArn },
            },
        ],
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
        },
    };
    mutate(props);
    return record(aws.ec2.LaunchTemplate, props, name);
}

export function nodeGroup(name: string, props: Obj): ResourceRecord {
    return record(
        aws.eks.NodeGroup,
        {
            clusterName: "cluster",
            nodeRoleArn: "arn:aws:iam::123456789012:role/node",
            subnetIds: ["private-a-id"],
            launchTemplate: { id: "workload-lt-id", version: "1" },
            ...props,
        },
        name,
    );
}

export function subnet(name: string, props: Obj = {}): ResourceRecord {
    return record(aws.ec2.Subnet, { vpcId: "vpc-id", cidrBlock: "10.0.0.0/20", ...props }, name);
}

/**
 * A Karpenter NodePool as the platform declares it (components/cluster/karpenter-node-pools.ts):
 * 4–16 vCPU sizes, limits 64 vCPU / 256Gi unless `mutate` changes the manifest.
 */
export function nodePool(name = "general", mutate: Mutate = noop): ResourceRecord {
    const manifest = nodePoolManifest({
        name,
        pool: {
            capacityTypes: ["spot", "on-demand"],
            instanceCategories: ["c", "m", "r"],
            instanceCpu: [4, 8, 16],
            limits: { cpu: 64, memoryGiB: 256 },
            consolidationPolicy: "WhenEmptyOrUnderutilized",
            consolidateAfter: "5m",
            maxDisruption: "10%",
            expireAfter: "720h",
        },
        budgets: [{ nodes: "10%" }],
    }) as Obj;
    mutate(manifest);
    const { apiVersion, kind, ...inputs } = manifest;
    return fixture(`kubernetes:${apiVersion}:${kind}`, inputs, `karpenter-pool-${name}`);
}
