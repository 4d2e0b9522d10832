import type {
    EnforcementLevel,
    Policy,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import type { ResourceRecord } from "./records";

/**
 * Runs CrossGuard policies offline, the way the Pulumi engine would call them, on the
 * records of the mock runtime. The synth and the policy tests both build their arguments
 * here, so a policy sees the same shapes (1.21: `notApplicable`, `stackTags`, `getConfig`
 * with the schema's defaults) in a test as in `pulumi preview --policy-pack policies`.
 */

export interface PolicyResult {
    readonly policy: string;
    /** URN of the offending resource; the stack's URN for stack policies without one. */
    readonly resource: string;
    readonly level: EnforcementLevel;
    readonly message: string;
}

export interface PolicyRun {
    readonly policy: string;
    readonly level: EnforcementLevel;
    readonly kind: "resource" | "stack";
    /** Resources the policy applied to (not `notApplicable`). */
    readonly checked: number;
    readonly violations: number;
}

export interface PolicyReport {
    readonly ran: PolicyRun[];
    readonly results: PolicyResult[];
}

/**
 * Thrown by `notApplicable()`: a policy's type filter calls it for every resource of another
 * type, thousands of times per synth, so it is a plain object rather than an Error (an Error
 * captures and source-maps a stack trace each time).
 */
class NotApplicable {
    constructor(readonly reason?: string) {}
}

const emptyOptions: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

type ResourceClass = { __pulumiType?: string; isInstance?: (o: unknown) => boolean };

function isTypeOf(type: string, resourceClass: unknown): boolean {
    const cls = resourceClass as ResourceClass;
    if (typeof cls.__pulumiType === "string") return cls.__pulumiType === type;
    return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

/** The config a policy sees: the schema's defaults overlaid with `overrides`. */
export function policyConfig(policy: Policy, overrides: Record<string, unknown> = {}): object {
    const defaults: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
        if (schema && typeof schema === "object" && "default" in schema)
            defaults[key] = schema.default;
    }
    return { ...defaults, ...overrides };
}

/**
 * The options a policy sees, from what the program set. `retainOnDelete` is recorded too,
 * although `@pulumi/policy` 1.21 does not pass it to a pack in `pulumi preview`: a policy
 * that reads it must not depend on it alone.
 */
function optionsOf(
    record: Pick<ResourceRecord, "options"> & { parent?: string },
): PolicyResourceOptions & { retainOnDelete?: boolean } {
    const options = record.options ?? {};
    return {
        ...emptyOptions,
        protect: options.protect ?? false,
        ignoreChanges: options.ignoreChanges ?? [],
        aliases: (options.aliases ?? []).filter((a): a is string => typeof a === "string"),
        ...(options.deleteBeforeReplace !== undefined
            ? { deleteBeforeReplace: options.deleteBeforeReplace }
            : {}),
        ...(options.retainOnDelete !== undefined ? { retainOnDelete: options.retainOnDelete } : {}),
        parent: record.parent,
    };
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

/** `ResourceValidationArgs` for one resource, as the engine builds them. */
export function resourceArgs(
    record: Pick<ResourceRecord, "type" | "name" | "urn" | "inputs" | "options"> & {
        parent?: string;
    },
    config: object = {},
    stackTags: ReadonlyMap<string, string> = new Map(),
): ResourceValidationArgs {
    const props = record.inputs as Record<string, any>;
    return {
        type: record.type,
        props,
        urn: record.urn,
        name: record.name,
        opts: optionsOf(record),
        stackTags,
        isType: (cls) => isTypeOf(record.type, cls),
        asType: ((cls: unknown) =>
            isTypeOf(record.type, cls) ? props : undefined) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => config as T,
        notApplicable: throwNotApplicable,
    };
}

/** `StackValidationArgs` over all records, with parents and dependencies resolved. */
export function stackArgs(
    records: readonly ResourceRecord[],
    config: object = {},
    stackTags: ReadonlyMap<string, string> = new Map(),
): StackValidationArgs {
    const byUrn = new Map<string, PolicyResource>();
    const resources: PolicyResource[] = records.map((record) => {
        const props = record.inputs as Record<string, any>;
        const resource: PolicyResource = {
            type: record.type,
            props,
            urn: record.urn,
            name: record.name,
            opts: optionsOf(record),
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(record.type, cls),
            asType: ((cls: unknown) =>
                isTypeOf(record.type, cls) ? props : undefined) as PolicyResource["asType"],
        };
        byUrn.set(record.urn, resource);
        return resource;
    });
    records.forEach((record, index) => {
        if (record.parent) resources[index].parent = byUrn.get(record.parent);
    });
    return {
        resources,
        stackTags,
        getConfig: <T extends object>() => config as T,
        notApplicable: throwNotApplicable,
    };
}

function isStackPolicy(policy: Policy): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

type ResourceValidation = Extract<
    ResourceValidationPolicy["validateResource"],
    (...args: never[]) => unknown
>;

function validationsOf(policy: ResourceValidationPolicy): ResourceValidation[] {
    const validate = policy.validateResource;
    return validate === undefined ? [] : Array.isArray(validate) ? validate : [validate];
}

/**
 * `validateResourceOfType(cls, fn)` tags the function it returns with `cls`'s type token
 * (`__pulumiType`) and declares itself not applicable to every other type, so a tagged
 * validation need only be offered resources of its type. Untagged ones see every resource.
 */
function validationsFor(validations: readonly ResourceValidation[], type: string) {
    return validations.filter((validation) => {
        const tag = (validation as { __pulumiType?: unknown }).__pulumiType;
        return typeof tag !== "string" || tag === type;
    });
}

/**
 * Violations the validations report for one resource; `undefined` when every one of them
 * declared itself not applicable (or there is none).
 */
async function runValidations(
    validations: readonly ResourceValidation[],
    args: ResourceValidationArgs,
): Promise<string[] | undefined> {
    const messages: string[] = [];
    let applied = false;
    for (const validation of validations) {
        try {
            await validation(args, (message) => messages.push(message));
            applied = true;
        } catch (error) {
            if (!(error instanceof NotApplicable)) throw error;
        }
    }
    return applied ? messages : undefined;
}

/** Violations one resource policy reports for one resource; `undefined` when not applicable. */
export async function validateResource(
    policy: ResourceValidationPolicy,
    args: ResourceValidationArgs,
): Promise<string[] | undefined> {
    return runValidations(validationsOf(policy), args);
}

/** Violations one stack policy reports; each with the URN it named, if any. */
export async function validateStack(
    policy: StackValidationPolicy,
    args: StackValidationArgs,
): Promise<{ message: string; urn?: string }[] | undefined> {
    const violations: { message: string; urn?: string }[] = [];
    try {
        await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
    } catch (error) {
        if (error instanceof NotApplicable) return undefined;
        throw error;
    }
    return violations;
}

/**
 * Runs every policy against every record (resource policies) and the whole set (stack
 * policies). `packLevel` is the pack's default enforcement level. A resource policy is
 * offered only the records its validations can apply to (`validationsFor`): the result is
 * the same as offering it all of them, without 80 × N calls that only say "not applicable".
 */
/**
 * A policy-pack config file as `pulumi up --policy-pack-config` reads it: `all` or a
 * policy's name → an enforcement level, or an object with `enforcementLevel` and the
 * policy's config properties.
 */
export type PolicyPackConfig = Readonly<Record<string, string | Readonly<Record<string, unknown>>>>;

const enforcementLevels = ["advisory", "mandatory", "remediate", "disabled"];

/** A policy's level and config under a pack config, as the engine resolves them. */
function configured(
    policy: Policy,
    packLevel: EnforcementLevel,
    packConfig: PolicyPackConfig,
): { level: EnforcementLevel; config: object } {
    const levelOf = (entry: PolicyPackConfig[string] | undefined): string | undefined => {
        const level = typeof entry === "string" ? entry : entry?.enforcementLevel;
        if (level === undefined) return undefined;
        if (typeof level !== "string" || !enforcementLevels.includes(level)) {
            throw new Error(
                `policy config: enforcement level of ${policy.name} must be one of ${enforcementLevels.join(", ")} (got ${JSON.stringify(level)})`,
            );
        }
        return level;
    };
    const own = packConfig[policy.name];
    const level = (levelOf(own) ??
        levelOf(packConfig.all) ??
        policy.enforcementLevel ??
        packLevel) as EnforcementLevel;
    const { enforcementLevel: _level, ...properties } = typeof own === "object" ? own : {};
    void _level;
    return { level, config: policyConfig(policy, properties) };
}

export async function runPolicies(
    policies: readonly Policy[],
    records: readonly ResourceRecord[],
    packLevel: EnforcementLevel,
    stackUrn: string,
    stackTags: ReadonlyMap<string, string> = new Map(),
    packConfig: PolicyPackConfig = {},
): Promise<PolicyReport> {
    const ran: PolicyRun[] = [];
    const results: PolicyResult[] = [];
    for (const policy of policies) {
        const { level, config } = configured(policy, packLevel, packConfig);
        if (level === "disabled") continue;
        let checked = 0;
        const before = results.length;
        if (isStackPolicy(policy)) {
            const violations = await validateStack(policy, stackArgs(records, config, stackTags));
            if (violations !== undefined) checked = records.length;
            for (const v of violations ?? []) {
                results.push({
                    policy: policy.name,
                    resource: v.urn ?? stackUrn,
                    level,
                    message: v.message,
                });
            }
            ran.push({
                policy: policy.name,
                level,
                kind: "stack",
                checked,
                violations: results.length - before,
            });
            continue;
        }
        const validations = validationsOf(policy as ResourceValidationPolicy);
        const byType = new Map<string, ResourceValidation[]>();
        for (const record of records) {
            let candidates = byType.get(record.type);
            if (candidates === undefined) {
                candidates = validationsFor(validations, record.type);
                byType.set(record.type, candidates);
            }
            if (candidates.length === 0) continue;
            const messages = await runValidations(
                candidates,
                resourceArgs(record, config, stackTags),
            );
            if (messages === undefined) continue;
            checked++;
            for (const message of messages) {
                results.push({ policy: policy.name, resource: record.urn, level, message });
            }
        }
        ran.push({
            policy: policy.name,
            level,
            kind: "resource",
            checked,
            violations: results.length - before,
        });
    }
    return { ran, results };
}
