import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "../kit/labels";
import { semanticConfigNamespace } from "../../contracts/names";

export interface AppConfigArgs {
    /** Namespace of `mcp-secrets`. @default "mcp-production" */
    readonly secretsNamespace?: string;
    /**
     * The `jwt-secret` value, generated outside the component (platform/secrets.ts, where
     * `jwtSecretRotation` is its keeper) and kept secret.
     */
    readonly jwtSecret: pulumi.Input<string>;
    /**
     * The rotation keeper of `jwtSecret`: the catalog's pod annotation carries it, so a new
     * value (monthly rotation) restarts the secret's readers.
     */
    readonly jwtSecretRotation: string;
    /** Namespace of `mcp-semantic-config`. @default "mcp-system" */
    readonly semanticNamespace?: string;
    /** `mcp-semantic-config` values (the Level 3 manual's keys). */
    readonly semanticConfig: {
        readonly validationCacheSize: number;
        readonly validationCacheTtlMs: number;
        readonly artifactRetentionDays: number;
        readonly artifactBucket: pulumi.Input<string>;
        readonly region: string;
    };
}

/**
 * The shared application configuration the manuals name:
 * - Secret `mcp-secrets` (key `jwt-secret`) in mcp-production, the value it is given, never
 *   written in config or state in plaintext (Pulumi keeps it as a secret);
 * - ConfigMap `mcp-semantic-config` in mcp-system with the control plane's keys
 *   (`validation.cache.size`, `validation.cache.ttl`, `artifact.retention.days`) and the
 *   artifact storage settings.
 */
export class AppConfig extends pulumi.ComponentResource {
    public readonly secretName: pulumi.Output<string>;
    public readonly semanticConfigName: pulumi.Output<string>;
    /** The rotation keeper in force; a pod annotation carries it so readers restart on change. */
    public readonly secretVersion: string;
    /** Digest of `mcp-semantic-config`'s data. */
    public readonly semanticConfigVersion: pulumi.Output<string>;

    constructor(name: string, args: AppConfigArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:workloads:AppConfig", name, {}, opts);

        const secret = new k8s.core.v1.Secret(
            `${name}-mcp-secrets`,
            {
                metadata: {
                    name: "mcp-secrets",
                    namespace: args.secretsNamespace ?? "mcp-production",
                    labels: standardLabels({ name: "mcp-secrets", component: "config" }),
                },
                type: "Opaque",
                stringData: { "jwt-secret": pulumi.secret(args.jwtSecret) },
            },
            { parent: this },
        );

        const c = args.semanticConfig;
        const configMap = new k8s.core.v1.ConfigMap(
            `${name}-semantic-config`,
            {
                metadata: {
                    name: "mcp-semantic-config",
                    namespace: args.semanticNamespace ?? semanticConfigNamespace,
                    labels: standardLabels({
                        name: "mcp-semantic-config",
                        component: "config",
                        app: "mcp-semantic",
                    }),
                },
                data: {
                    "validation.cache.size": String(c.validationCacheSize),
                    "validation.cache.ttl": String(c.validationCacheTtlMs),
                    "artifact.retention.days": String(c.artifactRetentionDays),
                    "storage.backend": "s3",
                    "storage.bucket": c.artifactBucket,
                    "storage.region": c.region,
                },
            },
            { parent: this },
        );

        this.secretName = secret.metadata.name;
        this.semanticConfigName = configMap.metadata.name;
        this.secretVersion = args.jwtSecretRotation;
        // The data's digest: pods that read the ConfigMap carry it, so a change rolls them.
        this.semanticConfigVersion = pulumi
            .output(configMap.data)
            .apply((data) =>
                createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 16),
            );
        this.registerOutputs({
            secretName: this.secretName,
            semanticConfigName: this.semanticConfigName,
        });
    }
}
