import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import {
    awsCliInitContainer,
    dataStoreUid,
    jobBaseEnv,
    jobMounts,
    jobVolumes,
    opensslInitContainer,
    opsMountPath,
    opsVolume,
} from "./data-pods";
import type { ContainerResources } from "../kit/pod-spec";
import {
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
} from "../kit/pod-security";

type Container = k8s.types.input.core.v1.Container;
import { postgresTlsMountPath } from "./postgres-tls";
type EnvVar = k8s.types.input.core.v1.EnvVar;
type PodTemplateSpec = k8s.types.input.core.v1.PodTemplateSpec;
type JobSpec = k8s.types.input.batch.v1.JobSpec;

/**
 * Pod templates of the backup, verify and restore jobs: the script runs in the data store's
 * own image (pg_dump/pg_restore 15, redis-cli) with the AWS CLI copied in by an init
 * container, as UID 999 on a read-only root filesystem, writing only to emptyDirs.
 */

export interface JobStep {
    /** Container name. */
    readonly name: string;
    readonly image: string;
    /** The ops script and its arguments, e.g. ["verify-backup.sh", "postgres"]. */
    readonly script: readonly string[];
    readonly env: EnvVar[];
    readonly resources: ContainerResources;
    /** A sub-directory of /scratch for this container. @default the container name */
    readonly workDir?: string;
}

export interface JobPodSource {
    readonly labels: Record<string, string>;
    readonly serviceAccountName: string;
    /** ConfigMap holding the ops scripts. */
    readonly opsConfigMap: string;
    readonly awsCliImage: string;
    readonly region: string;
    readonly bucket: pulumi.Input<string>;
    readonly scratchSize: string;
    /** Steps that run before the main containers, in order (e.g. the kubectl export). */
    readonly initSteps?: readonly JobStep[];
    /** Containers that run side by side; the job succeeds when all succeed. */
    readonly steps: readonly JobStep[];
    /** Mount the service account's API token (only the kubectl export needs it). @default false */
    readonly apiAccess?: boolean;
    /**
     * An image to copy `openssl` from, for steps whose image has none (the redis image): the
     * signatures of the backups are checked with it. @default no copy
     */
    readonly opensslFrom?: string;
    /**
     * The Secret whose `ca.crt` verifies the Postgres servers (postgres-tls.ts), mounted read-only
     * at {@link postgresTlsMountPath} in every step: steps that connect set
     * PGSSLMODE=verify-full and PGSSLROOTCERT. @default not mounted
     */
    readonly postgresCaSecret?: string;
}

function stepContainer(step: JobStep, source: JobPodSource): Container {
    return {
        name: step.name,
        image: step.image,
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/bash", `${opsMountPath}/${step.script[0]}`, ...step.script.slice(1)],
        env: [
            ...jobBaseEnv(source.region, source.bucket).map((e) =>
                e.name === "WORK_DIR"
                    ? { ...e, value: `/scratch/${step.workDir ?? step.name}` }
                    : e,
            ),
            ...step.env,
        ],
        resources: {
            requests: { ...step.resources.requests },
            limits: { ...step.resources.limits },
        },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [
            ...jobMounts,
            ...(source.postgresCaSecret === undefined
                ? []
                : [{ name: "postgres-ca", mountPath: postgresTlsMountPath, readOnly: true }]),
        ],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

export function jobPodTemplate(source: JobPodSource): PodTemplateSpec {
    const initResources = source.steps[0].resources;
    return {
        metadata: { labels: source.labels },
        spec: {
            serviceAccountName: source.serviceAccountName,
            automountServiceAccountToken: source.apiAccess ?? false,
            enableServiceLinks: false,
            restartPolicy: "Never",
            securityContext: restrictedPodSecurityContext(dataStoreUid),
            terminationGracePeriodSeconds: 30,
            initContainers: [
                awsCliInitContainer(source.awsCliImage, initResources),
                ...(source.opensslFrom === undefined
                    ? []
                    : [opensslInitContainer(source.opensslFrom, initResources)]),
                ...(source.initSteps ?? []).map((s) => stepContainer(s, source)),
            ],
            containers: source.steps.map((s) => stepContainer(s, source)),
            volumes: [
                ...jobVolumes(source.scratchSize),
                opsVolume(source.opsConfigMap),
                ...(source.postgresCaSecret === undefined
                    ? []
                    : [
                          {
                              name: "postgres-ca",
                              secret: {
                                  secretName: source.postgresCaSecret,
                                  items: [{ key: "ca.crt", path: "ca.crt" }],
                                  defaultMode: 0o444,
                              },
                          },
                      ]),
            ],
        },
    };
}

export interface JobLimits {
    /** The job is killed after this long. */
    readonly activeDeadlineSeconds: number;
    /** Retries of a failed pod. @default 1 */
    readonly backoffLimit?: number;
    /**
     * Finished jobs are deleted after this long; a day keeps the runbooks'
     * `kubectl logs job/backup-$(date +%Y%m%d)` working. `undefined` keeps the Job.
     */
    readonly ttlSecondsAfterFinished?: number;
}

/** Job spec with the limits every backup job carries. */
export function jobSpec(template: PodTemplateSpec, limits: JobLimits): JobSpec {
    return {
        backoffLimit: limits.backoffLimit ?? 1,
        activeDeadlineSeconds: limits.activeDeadlineSeconds,
        ...(limits.ttlSecondsAfterFinished !== undefined
            ? { ttlSecondsAfterFinished: limits.ttlSecondsAfterFinished }
            : {}),
        template,
    };
}

/**
 * Resources kubectl may list for the app-data export (never Secrets): `kubectl get <kind>
 * --namespace <ns> --output yaml` sends one list request per kind, nothing else.
 */
export const appDataExportRules: k8s.types.input.rbac.v1.PolicyRule[] = [
    {
        apiGroups: [""],
        resources: ["services", "configmaps", "serviceaccounts", "persistentvolumeclaims"],
        verbs: ["list"],
    },
    {
        apiGroups: ["apps"],
        resources: ["deployments", "statefulsets", "daemonsets"],
        verbs: ["list"],
    },
    { apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["list"] },
    {
        apiGroups: ["networking.k8s.io"],
        resources: ["ingresses", "networkpolicies"],
        verbs: ["list"],
    },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ["list"] },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ["list"] },
    {
        apiGroups: ["autoscaling.k8s.io"],
        resources: ["verticalpodautoscalers"],
        verbs: ["list"],
    },
    {
        apiGroups: ["monitoring.coreos.com"],
        resources: ["servicemonitors"],
        verbs: ["list"],
    },
    {
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["roles", "rolebindings"],
        verbs: ["list"],
    },
];
