import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { defaultTags } from "../components/kit";
import type { PlatformConfig } from "../config";
import { qualifiedStackName } from "../config/lib/stack-ref";

/** The stack's explicit providers; no resource uses a default provider. */
export interface Providers {
    /** Its region comes from the stack file; its default tags reach every taggable resource. */
    readonly aws: aws.Provider;
    /** The edge, the ingresses' DNS records and the origin lock's address ranges. */
    readonly cloudflare: cloudflare.Provider;
}

export function providers(cfg: PlatformConfig): Providers {
    return {
        aws: new aws.Provider(`${cfg.stack}-aws`, {
            region: cfg.region as aws.Region,
            defaultTags: { tags: defaultTags(cfg) },
        }),
        cloudflare: new cloudflare.Provider(`${cfg.stack}-cloudflare`, {
            apiToken: cfg.credentials["cloudflare:apiToken"],
        }),
    };
}

/** A stack named in the config (`dr`, `production`) in this organization and project. */
export function stackName(ref: string): string {
    return qualifiedStackName(ref, pulumi.getOrganization(), pulumi.getProject());
}
