import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { backupsSchema } from "./backups";
import { dataSchema } from "./data";
import { clusterSchema } from "./cluster";
import {
    closestKey,
    type ConfigProblem,
    formatProblems,
    looksLikeCredential,
    problemsFromIssues,
    renderValue,
    valueHidden,
} from "./lib/format";
import { edgeCredentialFields, edgeCredentialKeys, edgeRoleProblems, edgeSchema } from "./edge";
import { imageCacheProblems } from "./image-cache";
import { readRawConfig, type RawConfig, stringsAsWritten } from "./lib/raw";
import { awsRegion } from "./lib/validators";
import { loggingSchema } from "./logging";
import { alertingCredentialFields, alertingCredentialKeys, monitoringSchema } from "./monitoring";
import { networkSchema, peerVpcProblems } from "./network";
import { workloadsSchema } from "./workloads";
import { type DrPosture, drPosture } from "../contracts/dr-posture";
import { projectName } from "../contracts/stack-outputs";

/**
 * The whole stack configuration as one typed, validated object.
 *
 * Every key of `Pulumi.<stack>.yaml` is checked here, once, before any resource is declared:
 * wrong types, unknown keys, missing keys and out-of-range values are all reported together,
 * one line each, as `<stack file>: <key path>: <what is expected> (got <value>)`.
 * Components never read `pulumi.Config`; they receive parts of this object.
 */

/** AWS's limit on a tag value; `environment` and `owner` become default tags. */
const tagValueMaxLength = 256;

/** Keys of the `mcp-platform` namespace. Sections live in `config/<area>.ts`. */
export const platformSchema = z.strictObject({
    /** Free-form environment name carried in tags and labels, e.g. "production". */
    environment: z
        .string()
        .max(tagValueMaxLength)
        .regex(/^[a-z][a-z0-9-]{1,30}$/, {
            message: "expected a lowercase name such as production or dr",
        }),
    /** Team that owns the stack; carried in the `owner` tag of every AWS resource. */
    owner: z.string().min(1).max(tagValueMaxLength),
    /**
     * `primary` serves traffic; `standby` is the warm DR copy that waits for activation.
     * @default "primary"
     */
    role: z.enum(["primary", "standby"]).default("primary"),
    /** Activates a standby stack: full capacity, restore and edge switch. @default false */
    drActive: z.boolean().default(false),
    network: networkSchema,
    cluster: clusterSchema,
    backups: backupsSchema,
    /** The Cloudflare edge (docs/edge.md); a stack without it declares no edge. */
    edge: edgeSchema.optional(),
    ...edgeCredentialFields,
    logging: loggingSchema,
    /** Postgres and Redis in mcp-production (docs/data.md). */
    data: dataSchema,
    monitoring: monitoringSchema,
    ...alertingCredentialFields,
    /** MCP services, their namespaces, ingress and app config (docs/workloads.md). */
    workloads: workloadsSchema,
});

/** Provider namespaces we accept, each strict so a typo is caught. */
export const providerSchemas = {
    aws: z.strictObject({
        region: awsRegion,
        profile: z.string().min(1).optional(),
        allowedAccountIds: z.array(z.string().regex(/^\d{12}$/)).optional(),
    }),
    cloudflare: z.strictObject({
        apiToken: z.string().min(1).optional(),
    }),
} as const;

/**
 * Credentials: accepted only as `secure:` values. Anything here given in plaintext is an
 * error, and its value is never echoed back.
 */
export const credentialKeys: readonly string[] = [
    "cloudflare:apiToken",
    edgeCredentialKeys.originToken,
    ...Object.values(alertingCredentialKeys),
];

/**
 * The credentials a deploy cannot run without: the Alertmanager receivers' always, and the
 * Cloudflare API token when the stack declares an edge (its provider manages the Worker or
 * the DR switch). `mcp-platform:edgeOriginToken` is optional. With `hasEdge: true` this is
 * every credential any stack can require, which is what the offline synth fills in.
 */
export function requiredCredentialKeys(hasEdge: boolean): string[] {
    return [
        ...(hasEdge ? ["cloudflare:apiToken", edgeCredentialKeys.originToken] : []),
        ...Object.values(alertingCredentialKeys),
    ];
}

export type PlatformSettings = z.output<typeof platformSchema>;

export interface PlatformConfig extends PlatformSettings {
    /** Stack name, e.g. "production". */
    readonly stack: string;
    /** The file users edit, named in every error, e.g. "Pulumi.production.yaml". */
    readonly stackFile: string;
    /** AWS region of this stack (`aws:region`). */
    readonly region: string;
    /** AWS CLI profile of this stack (`aws:profile`), when credentials come from a profile. */
    readonly awsProfile?: string;
    /** What the stack's DR role and activation decide (contracts/dr-posture.ts). */
    readonly dr: DrPosture;
    /** Credentials, each wrapped as a Pulumi secret. Absent when not configured. */
    readonly credentials: Readonly<Record<string, pulumi.Output<string>>>;
}

/**
 * A configuration mistake. It extends `pulumi.RunError` so that `pulumi up` prints the message
 * alone, without the program's stack trace.
 */
export class ConfigError extends pulumi.RunError {
    constructor(
        readonly stackFile: string,
        readonly problems: readonly ConfigProblem[],
    ) {
        super(`invalid stack configuration:\n${formatProblems(stackFile, problems)}`);
        this.name = "ConfigError";
    }
}

function parseSection<T extends z.ZodType>(
    schema: T,
    input: Record<string, unknown>,
    namespace: string,
    problems: ConfigProblem[],
): z.output<T> | undefined {
    const result = schema.safeParse(stringsAsWritten(schema, input), { reportInput: true });
    if (result.success) return result.data;
    for (const problem of problemsFromIssues(schema, result.error.issues, "")) {
        problems.push({ ...problem, keyPath: `${namespace}:${problem.keyPath}` });
    }
    return undefined;
}

/** Validates raw config; throws {@link ConfigError} listing every problem at once. */
export function parseConfig(raw: RawConfig, stack: string): PlatformConfig {
    const stackFile = `Pulumi.${stack}.yaml`;
    const problems: ConfigProblem[] = [];
    const knownNamespaces = [projectName, ...Object.keys(providerSchemas)];

    for (const namespace of Object.keys(raw.byNamespace)) {
        if (knownNamespaces.includes(namespace)) continue;
        const hint = closestKey(namespace, knownNamespaces);
        for (const key of Object.keys(raw.byNamespace[namespace])) {
            problems.push({
                keyPath: `${namespace}:${key}`,
                expected: hint
                    ? `unknown config namespace; did you mean "${hint}:${key}"?`
                    : `unknown config namespace; expected one of ${knownNamespaces.join(", ")}`,
                got:
                    looksLikeCredential(key) || looksLikeCredential(namespace)
                        ? valueHidden
                        : renderValue(raw.byNamespace[namespace][key]),
            });
        }
    }

    for (const fullKey of credentialKeys) {
        const [namespace, key] = fullKey.split(":");
        const given = raw.byNamespace[namespace]?.[key];
        if (given !== undefined && !raw.secretKeys.has(fullKey)) {
            problems.push({
                keyPath: fullKey,
                expected: `a credential must be a secret: run \`pulumi config set --secret ${fullKey} <value>\``,
                got: "a plaintext value, not shown",
            });
        }
    }

    const settings = parseSection(
        platformSchema,
        raw.byNamespace[projectName] ?? {},
        projectName,
        problems,
    );
    const aws = parseSection(providerSchemas.aws, raw.byNamespace.aws ?? {}, "aws", problems);
    parseSection(
        providerSchemas.cloudflare,
        raw.byNamespace.cloudflare ?? {},
        "cloudflare",
        problems,
    );

    if (settings) problems.push(...edgeRoleProblems(settings.role, settings.edge));
    for (const fullKey of requiredCredentialKeys(
        raw.byNamespace[projectName]?.edge !== undefined,
    )) {
        const [namespace, key] = fullKey.split(":");
        if (raw.byNamespace[namespace]?.[key] !== undefined) continue;
        problems.push({
            keyPath: fullKey,
            expected: `a required credential is not set: run \`pulumi config set --secret ${fullKey} <value>\``,
        });
    }
    if (settings) {
        const stackDir = raw.stackDir ?? process.cwd();
        problems.push(...peerVpcProblems(stack, settings.network.vpcCidr, stackDir));
    }
    if (settings && aws) {
        problems.push(
            ...imageCacheProblems(settings.cluster.imageCache, aws.region, aws.allowedAccountIds),
        );
    }
    if (settings && settings.drActive && settings.role !== "standby") {
        problems.push({
            keyPath: `${projectName}:drActive`,
            expected:
                "expected false on a primary stack; only a standby (role: standby) is activated",
            got: "true",
        });
    }

    if (problems.length > 0 || !settings || !aws) throw new ConfigError(stackFile, problems);

    const credentials: Record<string, pulumi.Output<string>> = {};
    for (const fullKey of credentialKeys) {
        const [namespace, key] = fullKey.split(":");
        const given = raw.byNamespace[namespace]?.[key];
        if (given !== undefined) credentials[fullKey] = pulumi.secret(String(given));
    }

    return {
        ...settings,
        stack,
        stackFile,
        region: aws.region,
        awsProfile: aws.profile,
        dr: drPosture(settings.role, settings.drActive, settings.backups.restore.from),
        credentials,
    };
}

/** Reads and validates the running stack's configuration. */
export function loadConfig(): PlatformConfig {
    return parseConfig(readRawConfig(), pulumi.getStack());
}
