import * as pulumi from "@pulumi/pulumi";
import { engineUrn, type ResourceRecord, toPlainJson } from "./records";

/**
 * The mock runtime the offline synth and the component tests share.
 *
 * `newResource` records every registration and returns the inputs plus the few outputs real
 * providers compute that our program reads (ARNs, endpoints, OIDC issuer). `call` answers the
 * data-source invokes the program uses and throws on any other token, so a new invoke fails
 * loudly instead of returning nothing.
 */

const accountId = "123456789012";

/** Outputs a provider computes, keyed by resource type. Extend when a component reads one. */
const computedOutputs: Record<
    string,
    (name: string, inputs: Record<string, unknown>, region: string) => Record<string, unknown>
> = {
    "aws:eks/cluster:Cluster": (name, inputs, region) => ({
        endpoint: `https://${name}.gr7.${region}.eks.amazonaws.com`,
        certificateAuthority: { data: Buffer.from(`mock-ca-${name}`).toString("base64") },
        identities: [
            {
                oidcs: [
                    { issuer: `https://oidc.eks.${region}.amazonaws.com/id/MOCK${name.length}` },
                ],
            },
        ],
        vpcConfig: {
            ...(inputs.vpcConfig as Record<string, unknown>),
            clusterSecurityGroupId: `sg-${name}`,
        },
    }),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": (_name, inputs) => ({
        arn: `arn:aws:iam::${accountId}:oidc-provider/${String(inputs.url).replace(/^https:\/\//, "")}`,
    }),
    "aws:kms/key:Key": (name) => ({ keyId: `key-${name}` }),
    "aws:ec2/vpc:Vpc": (name) => ({ defaultSecurityGroupId: `sg-default-${name}` }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
};

/** Invokes the program makes, keyed by token. */
const invokes: Record<
    string,
    (inputs: Record<string, unknown>, region: string) => Record<string, unknown>
> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_inputs, region) => ({
        names: ["a", "b", "c", "d"].map((zone) => `${region}${zone}`),
        zoneIds: ["az1", "az2", "az3", "az4"].map((zone) => `${region.split("-")[0]}-${zone}`),
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        accountId,
        arn: `arn:aws:iam::${accountId}:user/mock`,
        userId: "MOCK",
    }),
    "aws:index/getRegion:getRegion": (_inputs, region) => ({ name: region, region }),
    "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com" }),
};

function serviceOf(type: string): string {
    return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

export interface RecordingMocks extends pulumi.runtime.Mocks {
    /** Records in registration order, filled in as the program runs. */
    readonly records: ResourceRecord[];
}

/** Creates mocks that record every resource; `region` shapes ARNs and invoke answers. */
export function createRecordingMocks(region: string): RecordingMocks {
    const records: ResourceRecord[] = [];
    return {
        records,
        newResource(args: pulumi.runtime.MockResourceArgs) {
            const inputs = args.inputs as Record<string, unknown>;
            const id = `${args.name}-id`;
            const state: Record<string, unknown> = { ...inputs };
            if (args.type.startsWith("aws:")) {
                state.arn ??= `arn:aws:${serviceOf(args.type)}:${region}:${accountId}:${args.name}`;
                state.name ??= args.name;
            }
            Object.assign(state, computedOutputs[args.type]?.(args.name, inputs, region));
            records.push({
                type: args.type,
                name: args.name,
                urn: "",
                custom: args.custom ?? true,
                // A provider reference is "<urn>::<id>".
                provider: args.provider
                    ? engineUrn(args.provider.split("::").slice(0, 4).join("::"))
                    : undefined,
                inputs: toPlainJson(inputs) as Record<string, unknown>,
            });
            return { id, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            const answer = invokes[args.token];
            if (!answer) {
                throw new Error(
                    `mock invoke not implemented: ${args.token} (add it to tools/lib/mocks.ts)`,
                );
            }
            return answer(args.inputs as Record<string, unknown>, region);
        },
    };
}
