import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../kit/irsa-role";
import type { OidcIdentity, ServiceAccountRef } from "../kit/irsa";
import { logsKeyPolicy } from "../kit/kms";
import { logWriterPolicy } from "./log-storage-policies";
import { logGroupName, otherGroupSuffix, savedQueries } from "../../contracts/logging";

export interface LogStorageArgs {
    /** Log group prefix, e.g. `/mcp-platform/production`; each group is `<prefix>/<namespace>`. */
    readonly groupPrefix: string;
    /** Namespaces with a log group of their own; a `<prefix>/_other` group takes the rest. */
    readonly namespaces: readonly string[];
    /** Days each group keeps its events (a value CloudWatch accepts). @default 30 */
    readonly retentionDays?: number;
    /**
     * Folder of the saved queries in the Logs Insights console (`<folder>/<query>`).
     * @default the group prefix without its leading slash, e.g. `mcp-platform/production`
     */
    readonly queryFolder?: string;
    /** `duration_ms` above which the saved "slow requests" query lists a request. @default 500 */
    readonly slowRequestThresholdMs?: number;
    /** The cluster's OIDC identity, for the writer's IRSA role. */
    readonly oidc: OidcIdentity;
    /** The one service account that may write (the log collector's). */
    readonly writer: ServiceAccountRef;
    /**
     * Protect the key and the log groups from deletion: a deleted group loses its history,
     * and the key is what makes it readable. @default true
     */
    readonly protect?: boolean;
}

/**
 * Where the cluster's logs are kept and searched: one CloudWatch log group per namespace
 * (plus a catch-all), each with retention and encrypted with a customer-managed KMS key that
 * rotates yearly; an IRSA role that can write to exactly those groups and nothing else; and
 * saved Logs Insights queries for the searches the manuals run.
 */
export class LogStorage extends pulumi.ComponentResource {
    /** Log group name per namespace, plus `_other` for every other namespace. */
    public readonly logGroupNames: Record<string, string>;
    public readonly keyArn: pulumi.Output<string>;
    /** The role the collector's service account assumes (`eks.amazonaws.com/role-arn`). */
    public readonly writerRoleArn: pulumi.Output<string>;
    /** Query definition IDs by key (`errors-by-service`, `request-trace`, `slow-requests`). */
    public readonly queryDefinitionIds: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: LogStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:logging:LogStorage", name, {}, opts);

        const retentionDays = args.retentionDays ?? 30;
        const slowRequestThresholdMs = args.slowRequestThresholdMs ?? 500;
        const queryFolder = args.queryFolder ?? args.groupPrefix.replace(/^\//, "");
        if (args.namespaces.length === 0) {
            throw new pulumi.ResourceError("LogStorage needs at least one namespace", this);
        }

        const protect = args.protect ?? true;
        const identity = aws.getCallerIdentityOutput({}, { parent: this });
        const partition = aws.getPartitionOutput({}, { parent: this });
        const region = aws.getRegionOutput({}, { parent: this });

        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: `Encrypts the CloudWatch log groups under ${args.groupPrefix}`,
                enableKeyRotation: true,
                deletionWindowInDays: 30,
                policy: pulumi
                    .all([partition.partition, identity.accountId, region.region])
                    .apply(([partitionName, accountId, regionName]) =>
                        logsKeyPolicy(
                            { partition: partitionName, accountId, region: regionName },
                            args.groupPrefix,
                        ),
                    ),
            },
            { parent: this, protect },
        );
        new aws.kms.Alias(
            `${name}-key-alias`,
            { name: `alias${args.groupPrefix}/logs`, targetKeyId: key.keyId },
            { parent: this },
        );

        const groupKeys = [...args.namespaces, otherGroupSuffix];
        const groups = groupKeys.map(
            (namespace) =>
                new aws.cloudwatch.LogGroup(
                    `${name}-group-${namespace}`,
                    {
                        name: logGroupName(args.groupPrefix, namespace),
                        retentionInDays: retentionDays,
                        kmsKeyId: key.arn,
                    },
                    { parent: this, protect },
                ),
        );

        const writer = new IrsaRole(
            `${name}-writer`,
            {
                oidc: args.oidc,
                serviceAccount: args.writer,
                policy: pulumi
                    .all(groups.map((group) => group.arn))
                    .apply((arns) => logWriterPolicy(arns)),
            },
            { parent: this },
        );

        const groupNames = groupKeys.map((namespace) => logGroupName(args.groupPrefix, namespace));
        this.queryDefinitionIds = {};
        for (const query of savedQueries(slowRequestThresholdMs)) {
            const definition = new aws.cloudwatch.QueryDefinition(
                `${name}-query-${query.key}`,
                {
                    name: `${queryFolder}/${query.key}`,
                    logGroupNames: groupNames,
                    queryString: query.queryString,
                },
                { parent: this, dependsOn: groups },
            );
            this.queryDefinitionIds[query.key] = definition.queryDefinitionId;
        }

        this.logGroupNames = Object.fromEntries(
            groupKeys.map((namespace, index) => [namespace, groupNames[index]]),
        );
        this.keyArn = key.arn;
        this.writerRoleArn = writer.roleArn;
        this.registerOutputs({
            logGroupNames: this.logGroupNames,
            keyArn: this.keyArn,
            writerRoleArn: this.writerRoleArn,
            queryDefinitionIds: this.queryDefinitionIds,
        });
    }
}
