import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { IrsaRole } from "../kit/irsa-role";
import type { ManagedAddonSpec } from "./managed-addon-specs";
import type { OidcIdentity } from "../kit/irsa";

export interface EksManagedAddonsArgs {
    /** The cluster the add-ons are installed into. */
    readonly clusterName: pulumi.Input<string>;
    /** The cluster's OIDC identity, for add-ons with an IRSA role. */
    readonly oidc: OidcIdentity;
    /** The add-ons, each with its pinned version (components/cluster/managed-addon-specs.ts). */
    readonly addons: readonly ManagedAddonSpec[];
    /**
     * How conflicts with fields changed in the cluster are resolved. `OVERWRITE` keeps the
     * add-ons exactly as declared here. @default "OVERWRITE"
     */
    readonly resolveConflicts?: "OVERWRITE" | "PRESERVE";
}

/**
 * A set of pinned EKS managed add-ons. An add-on that calls AWS gets its own IRSA role
 * trusted by its one service account, instead of borrowing the node role.
 */
export class EksManagedAddons extends pulumi.ComponentResource {
    /** Add-on name → the `aws.eks.Addon`. */
    public readonly addons: Record<string, aws.eks.Addon>;
    /** Add-on name → its IRSA role ARN, for add-ons that have one. */
    public readonly roleArns: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: EksManagedAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:eks:ManagedAddons", name, {}, opts);

        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        const resolveConflicts = args.resolveConflicts ?? "OVERWRITE";
        this.addons = {};
        this.roleArns = {};

        for (const spec of args.addons) {
            let role: IrsaRole | undefined;
            if (spec.serviceAccount) {
                const account = spec.serviceAccount;
                role = new IrsaRole(
                    `${name}-${spec.addonName}`,
                    {
                        oidc: args.oidc,
                        serviceAccount: { namespace: account.namespace, name: account.name },
                        policy: account.policy,
                        managedPolicyArns: account.managedPolicies.map(
                            (policy) =>
                                pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`,
                        ),
                    },
                    { parent: this },
                );
                this.roleArns[spec.addonName] = role.roleArn;
            }
            this.addons[spec.addonName] = new aws.eks.Addon(
                `${name}-${spec.addonName}`,
                {
                    clusterName: args.clusterName,
                    addonName: spec.addonName,
                    addonVersion: spec.version,
                    configurationValues: spec.configuration
                        ? JSON.stringify(spec.configuration)
                        : undefined,
                    serviceAccountRoleArn: role?.roleArn,
                    resolveConflictsOnCreate: "OVERWRITE",
                    resolveConflictsOnUpdate: resolveConflicts,
                },
                // The role's permissions must be attached before the add-on's pods start.
                { parent: this, dependsOn: role ? [role] : [] },
            );
        }

        this.registerOutputs({ roleArns: this.roleArns });
    }
}
