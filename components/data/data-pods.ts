import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ContainerResources } from "../kit/pod-spec";
import { restrictedContainerSecurityContext } from "../kit/pod-security";
import { dataStoreNodePool } from "../../contracts/names";

type Container = k8s.types.input.core.v1.Container;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

/**
 * Building blocks of the data layer's pods (Postgres, Redis, the backup and restore jobs):
 * the ops/ scripts as ConfigMap data, the init container that brings the AWS CLI into a
 * database image, scratch volumes and Secret-backed environment variables.
 */

/** UID/GID of the `postgres` and `redis` users of the official images. */
export const dataStoreUid = 999;

/** Where the ops/ scripts are mounted in every data-layer pod. */
export const opsMountPath = "/opt/mcp/ops";

/** The repository's ops/ folder. */
export const opsDir = path.resolve(__dirname, "../../ops");

/** ops/ scripts by file name, read from the repository at deploy time. */
export function opsScripts(names: readonly string[]): Record<string, string> {
    const scripts: Record<string, string> = {};
    for (const name of names) {
        scripts[name] = fs.readFileSync(path.join(opsDir, name), "utf8");
    }
    return scripts;
}

/**
 * Where the data stores run: the on-demand Karpenter pool of their own (a spot reclaim would
 * stop a database), selected by its label and admitted by its taint.
 */
export const dataStorePlacement = {
    nodeSelector: { [dataStoreNodePool.labelKey]: dataStoreNodePool.name },
    tolerations: [{ ...dataStoreNodePool.taint, operator: "Equal" }],
};

/** A short digest of some content: a pod annotation that restarts pods when it changes. */
export function contentHash(content: unknown): string {
    return crypto.createHash("sha256").update(JSON.stringify(content)).digest("hex").slice(0, 16);
}

/** The ops ConfigMap as a volume: scripts readable and executable, nothing writable. */
export function opsVolume(configMapName: string): Volume {
    return { name: "ops", configMap: { name: configMapName, defaultMode: 0o555 } };
}
export const opsMount: VolumeMount = { name: "ops", mountPath: opsMountPath, readOnly: true };

/** Where the init containers put the AWS CLI and the tools an image lacks. */
const toolsPath = "/opt/tools";
const awsCliPath = `${toolsPath}/aws-cli`;
const toolsBinPath = `${toolsPath}/bin`;

/**
 * PATH for a job container: the copied AWS CLI first, then the image's usual directories
 * (PostgreSQL 15's binaries live in /usr/lib/postgresql/15/bin in the postgres image), then
 * tools copied from another image, used only where the image has none of its own.
 */
export const jobPath = [
    awsCliPath,
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
    toolsBinPath,
].join(":");

/**
 * Init container that copies `openssl` from `image` (the postgres image: Debian bookworm,
 * where postgresql-common depends on it) for a job whose script runs in an image without it
 * (redis, Debian bookworm too, which keeps libssl3 for TLS): backup signatures are checked
 * with it (ops/backup-signing.sh). It runs the copy once, so a binary that does not work
 * there fails the pod before any backup step.
 */
export function opensslInitContainer(image: string, resources: ContainerResources): Container {
    return {
        name: "openssl",
        image,
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/sh", "-c"],
        args: [
            `mkdir -p ${toolsBinPath} && cp /usr/bin/openssl ${toolsBinPath}/openssl && ${toolsBinPath}/openssl version`,
        ],
        resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: "tools", mountPath: toolsPath }],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/**
 * Init container that copies the AWS CLI v2 (a self-contained bundle in the official image)
 * into an emptyDir, so the database images run pg_dump/redis-cli and `aws` side by side.
 */
export function awsCliInitContainer(image: string, resources: ContainerResources): Container {
    return {
        name: "aws-cli",
        image,
        imagePullPolicy: "IfNotPresent",
        command: ["/bin/sh", "-c"],
        args: [
            `cp -rL /usr/local/aws-cli/v2/current/dist ${awsCliPath} && ${awsCliPath}/aws --version`,
        ],
        resources: { requests: { ...resources.requests }, limits: { ...resources.limits } },
        securityContext: restrictedContainerSecurityContext(),
        volumeMounts: [{ name: "tools", mountPath: toolsPath }],
        terminationMessagePolicy: "FallbackToLogsOnError",
    };
}

/** emptyDir volumes: `tools` (the AWS CLI), `scratch` (dumps) and `tmp`. */
export function jobVolumes(scratchSize: string): Volume[] {
    return [
        { name: "tools", emptyDir: { sizeLimit: "1Gi" } },
        { name: "scratch", emptyDir: { sizeLimit: scratchSize } },
        { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
    ];
}
export const jobMounts: VolumeMount[] = [
    { name: "tools", mountPath: toolsPath, readOnly: true },
    { name: "scratch", mountPath: "/scratch" },
    { name: "tmp", mountPath: "/tmp" },
    opsMount,
];

/** Plain variables as EnvVars. */
export function plainEnv(values: Record<string, string>): EnvVar[] {
    return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/** A variable read from a Secret key. */
export function secretEnv(name: string, secret: string, key: string): EnvVar {
    return { name, valueFrom: { secretKeyRef: { name: secret, key } } };
}

/** Environment every job script shares: AWS region, scratch space, the S3 bucket. */
export function jobBaseEnv(region: string, bucket: pulumi.Input<string>): EnvVar[] {
    return [
        ...plainEnv({
            PATH: jobPath,
            HOME: "/tmp",
            WORK_DIR: "/scratch",
            AWS_REGION: region,
            AWS_DEFAULT_REGION: region,
            AWS_RETRY_MODE: "standard",
            AWS_MAX_ATTEMPTS: "5",
        }),
        { name: "BACKUP_BUCKET", value: bucket },
    ];
}
