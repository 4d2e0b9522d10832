import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { engineUrn, type ResourceRecord, revealSecrets, toPlainJson } from "./records";

/**
 * The mock runtime the offline synth and the component tests share.
 *
 * `newResource` records every registration and returns the inputs plus the few outputs real
 * providers compute that our program reads (ARNs, endpoints, OIDC issuer). `call` answers the
 * data-source invokes the program uses and throws on any other token, so a new invoke fails
 * loudly instead of returning nothing.
 */

const accountId = "123456789012";

/** What the mock's `cloudflare.getIpRanges` answers: documentation ranges, not Cloudflare's. */
export const mockCloudflareRanges = {
    ipv4: ["198.51.100.0/24", "203.0.113.0/24"],
    ipv6: ["2001:db8::/32"],
} as const;

/**
 * A P-256 public key (PEM) derived from `seed`, standing in for what KMS returns for an
 * asymmetric key (`GetPublicKey`): the same seed always gives the same key, so synths compare.
 */
export function mockPublicKeyPem(seed: string): string {
    const ecdh = crypto.createECDH("prime256v1");
    ecdh.setPrivateKey(crypto.createHash("sha256").update(`mock-kms:${seed}`).digest());
    const point = ecdh.getPublicKey();
    const jwk = {
        kty: "EC",
        crv: "P-256",
        x: point.subarray(1, 33).toString("base64url"),
        y: point.subarray(33).toString("base64url"),
    };
    return crypto
        .createPublicKey({ key: jwk, format: "jwk" })
        .export({ type: "spki", format: "pem" })
        .toString();
}

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
    // An alias ARN ends in the alias name (`alias/...`).
    "aws:kms/alias:Alias": (name, inputs, region) => ({
        arn: `arn:aws:kms:${region}:${accountId}:${String(inputs.name ?? `alias/${name}`)}`,
    }),
    // S3 names the bucket (auto-named unless `bucket` is given); bucket ARNs have no region.
    "aws:s3/bucket:Bucket": (name, inputs) => {
        const bucket = String(inputs.bucket ?? `${name}-0123abcd`);
        return { bucket, arn: `arn:aws:s3:::${bucket}` };
    },
    "aws:ec2/vpc:Vpc": (name) => ({ defaultSecurityGroupId: `sg-default-${name}` }),
    "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
    // The provider strips the API's `:*` suffix from log group ARNs.
    "aws:cloudwatch/logGroup:LogGroup": (name, inputs, region) => ({
        arn: `arn:aws:logs:${region}:${accountId}:log-group:${String(inputs.name ?? name)}`,
    }),
    "aws:cloudwatch/queryDefinition:QueryDefinition": (name) => ({
        queryDefinitionId: `qd-${name}`,
    }),
    // A StackReference (the dr stack's edge switch reads the production stack's outputs).
    // `edge-switches-id` is the id this mock gives the production Edge's KV namespace.
    // Production's backup replication reads the dr stack's bucket and key the same way; each
    // stack reads the other's signing public key and WAL archive roles (the roles' ARNs as
    // the IAM model names the synthesized ones, test/iam/model.ts).
    "pulumi:pulumi:StackReference": (name, inputs) => ({
        name: inputs.name ?? name,
        outputs: {
            edgeKvNamespaceId: "edge-switches-id",
            backupBucketArn: `arn:aws:s3:::mcp-platform-backups-dr-${accountId}-us-west-2`,
            backupKmsAliasArn: `arn:aws:kms:us-west-2:${accountId}:alias/mcp-platform-backups-dr`,
            backupSigningPublicKey: mockPublicKeyPem(String(inputs.name ?? name)),
            walArchiveRoleArns: ["wal-archive-role-role", "wal-archive-check-role-role"].map(
                (role) => `arn:aws:iam::${accountId}:role/${role}`,
            ),
        },
        secretOutputNames: [],
    }),
    // The AWS Load Balancer Controller writes the ALB's DNS name into the Ingress status once
    // the ALB exists; the mock answers a deterministic name per Ingress and region.
    "kubernetes:networking.k8s.io/v1:Ingress": (name, inputs, region) => {
        const metadata = (inputs.metadata ?? {}) as { name?: string };
        return {
            status: {
                loadBalancer: {
                    ingress: [
                        {
                            hostname: `k8s-${metadata.name ?? name}-mock.${region}.elb.amazonaws.com`,
                        },
                    ],
                },
            },
        };
    },
    // Generated by the provider; a placeholder that only ever reaches Secrets (redacted).
    "random:index/randomPassword:RandomPassword": (name) => ({ result: `mock-password-${name}` }),
};

interface PolicyStatement {
    sid?: string;
    effect?: string;
    actions?: string[];
    notActions?: string[];
    resources?: string[];
    notResources?: string[];
    principals?: { type: string; identifiers: string[] }[];
    notPrincipals?: { type: string; identifiers: string[] }[];
    conditions?: { test: string; variable: string; values: string[] }[];
}

/** The provider writes a one-element list as its only string. */
const oneOrMany = (values: readonly string[]) => (values.length === 1 ? values[0] : [...values]);

function principalBlock(principals: PolicyStatement["principals"]): unknown {
    if (!principals || principals.length === 0) return undefined;
    // `type = "*"` with identifier `*` is rendered as the bare wildcard, as the provider does.
    if (principals.every((p) => p.type === "*")) return "*";
    const block: Record<string, string[]> = {};
    for (const p of principals) (block[p.type] ??= []).push(...p.identifiers);
    return Object.fromEntries(Object.entries(block).map(([type, ids]) => [type, oneOrMany(ids)]));
}

/** `aws.iam.getPolicyDocument`: the statements rendered as an IAM policy document. */
function policyDocument(inputs: Record<string, unknown>): Record<string, unknown> {
    const statements = (inputs.statements ?? []) as PolicyStatement[];
    const rendered = statements.map((s) => {
        const statement: Record<string, unknown> = {};
        if (s.sid !== undefined && s.sid !== "") statement.Sid = s.sid;
        statement.Effect = s.effect ?? "Allow";
        if (s.actions?.length) statement.Action = oneOrMany(s.actions);
        if (s.notActions?.length) statement.NotAction = oneOrMany(s.notActions);
        if (s.resources?.length) statement.Resource = oneOrMany(s.resources);
        if (s.notResources?.length) statement.NotResource = oneOrMany(s.notResources);
        const principal = principalBlock(s.principals);
        if (principal !== undefined) statement.Principal = principal;
        const notPrincipal = principalBlock(s.notPrincipals);
        if (notPrincipal !== undefined) statement.NotPrincipal = notPrincipal;
        if (s.conditions?.length) {
            const condition: Record<string, Record<string, unknown>> = {};
            for (const c of s.conditions) {
                (condition[c.test] ??= {})[c.variable] = oneOrMany(c.values);
            }
            statement.Condition = condition;
        }
        return statement;
    });
    const document: Record<string, unknown> = { Version: inputs.version ?? "2012-10-17" };
    if (inputs.policyId !== undefined) document.Id = inputs.policyId;
    document.Statement = rendered;
    const json = JSON.stringify(document, null, 2);
    return {
        ...inputs,
        id: String(json.length),
        json,
        minifiedJson: JSON.stringify(document),
    };
}

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
    // Public SSM parameters, such as the latest Amazon Linux AMI id.
    "aws:ssm/getParameter:getParameter": (inputs) => ({
        name: inputs.name,
        type: "String",
        value: "ami-0123456789abcdef0",
    }),
    "aws:iam/getPolicyDocument:getPolicyDocument": (inputs) => policyDocument(inputs),
    // The public half of an asymmetric key (the backup signing key).
    "aws:kms/getPublicKey:getPublicKey": (inputs) => {
        const publicKeyPem = mockPublicKeyPem(String(inputs.keyId));
        return {
            id: String(inputs.keyId),
            keyId: String(inputs.keyId),
            arn: String(inputs.keyId),
            publicKeyPem,
            publicKey: crypto
                .createPublicKey(publicKeyPem)
                .export({ type: "spki", format: "der" })
                .toString("base64"),
            keyUsage: "SIGN_VERIFY",
            customerMasterKeySpec: "ECC_NIST_P256",
            signingAlgorithms: ["ECDSA_SHA_256"],
            encryptionAlgorithms: [],
        };
    },
    // `k8s.yaml.ConfigFile`/`ConfigGroup` have the provider split a YAML stream into objects.
    "kubernetes:yaml:decode": (inputs) => ({
        result: parseAllDocuments(String(inputs.text ?? ""))
            .map((document) => {
                if (document.errors.length > 0) throw new Error(document.errors[0].message);
                return document.toJSON() as unknown;
            })
            .filter((object) => object !== null && object !== undefined),
    }),
    // Documentation ranges (RFC 5737, RFC 3849) standing in for Cloudflare's published list,
    // which only the real provider returns.
    "cloudflare:index/getIpRanges:getIpRanges": () => ({
        ipv4Cidrs: [...mockCloudflareRanges.ipv4],
        ipv6Cidrs: [...mockCloudflareRanges.ipv6],
        jdcloudCidrs: [],
        etag: "mock",
    }),
};

function serviceOf(type: string): string {
    return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

export interface RecordingMocks extends pulumi.runtime.Mocks {
    /** Records in registration order, filled in as the program runs. */
    readonly records: ResourceRecord[];
    /** Invoke tokens the program called that these mocks do not answer. */
    readonly unimplemented: string[];
}

/** Creates mocks that record every resource; `region` shapes ARNs and invoke answers. */
export function createRecordingMocks(region: string): RecordingMocks {
    const records: ResourceRecord[] = [];
    const unimplemented: string[] = [];
    return {
        records,
        unimplemented,
        newResource(args: pulumi.runtime.MockResourceArgs) {
            const inputs = args.inputs as Record<string, unknown>;
            const id = `${args.name}-id`;
            const state: Record<string, unknown> = { ...inputs };
            if (args.type.startsWith("aws:")) {
                state.arn ??= `arn:aws:${serviceOf(args.type)}:${region}:${accountId}:${args.name}`;
                state.name ??= args.name;
            }
            Object.assign(state, computedOutputs[args.type]?.(args.name, inputs, region));
            const record: ResourceRecord = {
                type: args.type,
                name: args.name,
                urn: "",
                custom: args.custom ?? true,
                // A provider reference is "<urn>::<id>".
                provider: args.provider
                    ? engineUrn(args.provider.split("::").slice(0, 4).join("::"))
                    : undefined,
                inputs: toPlainJson(inputs) as Record<string, unknown>,
            };
            // Not enumerable: JSON.stringify and spreads of a record never carry secrets.
            Object.defineProperty(record, "policyInputs", {
                value: revealSecrets(inputs),
                enumerable: false,
            });
            records.push(record);
            return { id, state };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            const answer = invokes[args.token];
            if (!answer) {
                // The SDK rethrows a failed invoke as `new Error(err.details)`, dropping the
                // message, so the token is kept here for the runner to report.
                const message = `mock invoke not implemented: ${args.token} (add it to tools/lib/mocks.ts)`;
                unimplemented.push(args.token);
                throw Object.assign(new Error(message), { details: message });
            }
            return answer(args.inputs as Record<string, unknown>, region);
        },
    };
}
