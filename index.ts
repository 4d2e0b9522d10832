import * as aws from "@pulumi/aws";
import { loadConfig } from "./config";
import { defaultTags } from "./components/lib/tags";

// Read and validate the whole stack configuration once; a mistake stops here with every
// problem listed, before anything is declared.
const cfg = loadConfig();

// One explicit AWS provider per stack: its region comes from the stack file and its default
// tags reach every taggable resource that components create under it.
const awsProvider = new aws.Provider(`${cfg.stack}-aws`, {
    region: cfg.region as aws.Region,
    defaultTags: { tags: defaultTags(cfg) },
});

export const stack = cfg.stack;
export const region = cfg.region;
export const role = cfg.role;
export const drActive = cfg.drActive;
export const awsProviderUrn = awsProvider.urn;
