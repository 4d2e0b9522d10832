import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { switchKeys, type ActiveRegion } from "../../contracts/edge";

export interface EdgeSwitchArgs {
    /** The Cloudflare account that owns the edge's KV namespace. */
    readonly accountId: string;
    /**
     * The production stack, fully qualified (`<org>/mcp-platform/production`); its
     * `edgeKvNamespaceId` output names the namespace holding the switches.
     */
    readonly primaryStack: string;
    /** Where the edge sends traffic: "dr" once DR is activated. @default "primary" */
    readonly activeRegion?: ActiveRegion;
}

/**
 * The DR switch, owned by the dr stack: the `active-region` entry of the production stack's
 * switches namespace, "primary" while standing by and "dr" once `drActive` is set. The
 * namespace is found through a StackReference, so activating DR changes nothing in the
 * production stack (whose region may be down); only Pulumi state and Cloudflare are needed.
 */
export class EdgeSwitch extends pulumi.ComponentResource {
    public readonly activeRegion: pulumi.Output<ActiveRegion>;
    public readonly kvNamespaceId: pulumi.Output<string>;

    constructor(name: string, args: EdgeSwitchArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:edge:EdgeSwitch", name, {}, opts);
        const activeRegion = args.activeRegion ?? "primary";

        const production = new pulumi.StackReference(
            `${name}-primary-stack`,
            { name: args.primaryStack },
            { parent: this },
        );
        const namespaceId = production.requireOutput("edgeKvNamespaceId") as pulumi.Output<string>;

        new cloudflare.WorkersKv(
            `${name}-active-region`,
            {
                accountId: args.accountId,
                namespaceId,
                keyName: switchKeys.activeRegion,
                value: activeRegion,
            },
            { parent: this },
        );

        this.activeRegion = pulumi.output(activeRegion);
        this.kvNamespaceId = namespaceId;
        this.registerOutputs({
            activeRegion: this.activeRegion,
            kvNamespaceId: this.kvNamespaceId,
        });
    }
}
