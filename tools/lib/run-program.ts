import * as pulumi from "@pulumi/pulumi";
import { createRecordingMocks } from "./mocks";
import { engineUrn, type ResourceOptionsRecord, type ResourceRecord } from "./records";

/**
 * Runs a Pulumi program in this process under the SDK's mock runtime and returns every
 * resource it registered.
 *
 * The program is loaded inside `runInPulumiStack`, and `disconnect()` waits until the
 * runtime's RPC queue is empty, so registrations made late (inside `apply`) are recorded
 * too — no sleeps.
 */
export interface ProgramRun {
    readonly records: ResourceRecord[];
    readonly outputs: Record<string, unknown>;
}

export interface RunOptions {
    readonly project: string;
    readonly stack: string;
    readonly region: string;
    /** Fully qualified config (`namespace:key` → string), as the CLI would pass it. */
    readonly config: Record<string, string>;
    readonly secretKeys: readonly string[];
    /** Loads the program; called once the mocks are in place. */
    readonly load: () => Promise<unknown>;
    /**
     * Keep the SDK's per-promise and per-resource stack captures (see `withoutStackCaptures`).
     * @default false
     */
    readonly captureStacks?: boolean;
}

/**
 * Runs `body` with the SDK's two stack captures turned off. `@pulumi/pulumi` records
 * `new Error().stack` on every promise it creates (only to name leaked promises at exit)
 * and walks the whole stack in every `Resource` constructor (the source position it sends
 * the engine). The mock monitor uses neither, and together they were the largest single cost
 * of a synth. Errors thrown meanwhile keep their messages; their stacks are empty.
 */
async function withoutStackCaptures<T>(body: () => Promise<T>): Promise<T> {
    const resource = pulumi.Resource as unknown as { callsites: () => unknown[] };
    const callsites = resource.callsites;
    const limit = Error.stackTraceLimit;
    resource.callsites = () => [];
    Error.stackTraceLimit = 0;
    try {
        return await body();
    } finally {
        resource.callsites = callsites;
        Error.stackTraceLimit = limit;
    }
}

/**
 * The stack outputs as the engine receives them: `runInPulumiStack` hands back plain values,
 * but the outputs registered on the stack resource keep their secret markers, so a secret
 * output (the kubeconfig) is redacted in `outputs.json` like any other secret.
 */
function stackOutputs(
    monitor: MockMonitorLike,
    stackUrn: string | undefined,
): Record<string, unknown> | undefined {
    if (!stackUrn) return undefined;
    for (const [urn, resource] of monitor.getRegisteredResources()) {
        if (engineUrn(urn) !== stackUrn) continue;
        const state = resource.state as
            { toJavaScript?: () => Record<string, unknown> } | undefined;
        return typeof state?.toJavaScript === "function" ? state.toJavaScript() : undefined;
    }
    return undefined;
}

interface MockMonitorLike {
    getRegisteredResources(): Map<string, { urn: string; state: unknown }>;
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterRequestLike, callback: unknown): Promise<void>;
    readResource(req: RegisterRequestLike, callback: unknown): Promise<void>;
}

interface RegisterRequestLike {
    getType(): string;
    getName(): string;
    getParent(): string;
    // Only on RegisterResourceRequest (readResource has none of these).
    getProtect?(): boolean | undefined;
    getRetainondelete?(): boolean | undefined;
    getDeletebeforereplace?(): boolean;
    getDeletebeforereplacedefined?(): boolean;
    getIgnorechangesList?(): string[];
    getDependenciesList?(): string[];
    getAliasesList?(): AliasLike[];
    getCustomtimeouts?():
        { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}

interface AliasLike {
    getUrn(): string;
    getSpec():
        | {
              getName(): string;
              getType(): string;
              getStack(): string;
              getProject(): string;
              getParenturn(): string;
              getNoparent(): boolean;
          }
        | undefined;
}

/** An alias as JSON: its URN, or the spec's fields that were set. */
function aliasOf(alias: AliasLike): unknown {
    const spec = alias.getSpec();
    if (alias.getUrn() || spec === undefined) return alias.getUrn();
    const fields: Record<string, unknown> = {
        name: spec.getName(),
        type: spec.getType(),
        stack: spec.getStack(),
        project: spec.getProject(),
        parent: spec.getParenturn() ? engineUrn(spec.getParenturn()) : undefined,
        noParent: spec.getNoparent() || undefined,
    };
    return Object.fromEntries(
        Object.entries(fields).filter(([, v]) => v !== undefined && v !== ""),
    );
}

/** The options of a registration, leaving out those at their default. */
function optionsOf(req: RegisterRequestLike): ResourceOptionsRecord | undefined {
    const timeouts = req.getCustomtimeouts?.();
    const customTimeouts = timeouts && {
        ...(timeouts.getCreate() ? { create: timeouts.getCreate() } : {}),
        ...(timeouts.getUpdate() ? { update: timeouts.getUpdate() } : {}),
        ...(timeouts.getDelete() ? { delete: timeouts.getDelete() } : {}),
    };
    const list = <T>(items: T[] | undefined) => (items && items.length > 0 ? items : undefined);
    const options: Record<string, unknown> = {
        protect: req.getProtect?.() || undefined,
        retainOnDelete: req.getRetainondelete?.() || undefined,
        deleteBeforeReplace: req.getDeletebeforereplacedefined?.()
            ? req.getDeletebeforereplace?.()
            : undefined,
        ignoreChanges: list(req.getIgnorechangesList?.()),
        dependencies: list(req.getDependenciesList?.().map(engineUrn)),
        aliases: list(req.getAliasesList?.().map(aliasOf)),
        customTimeouts:
            customTimeouts && Object.keys(customTimeouts).length > 0 ? customTimeouts : undefined,
    };
    const set = Object.entries(options).filter(([, v]) => v !== undefined);
    return set.length > 0 ? (Object.fromEntries(set) as ResourceOptionsRecord) : undefined;
}

/** One error naming every invoke token the mocks do not answer, or none. */
function unimplementedInvokeError(tokens: readonly string[]): pulumi.RunError | undefined {
    if (tokens.length === 0) return undefined;
    const unique = [...new Set(tokens)];
    return new pulumi.RunError(
        `mock invoke not implemented: ${unique.join(", ")} (add ${unique.length === 1 ? "it" : "them"} to tools/lib/mocks.ts)`,
    );
}

export async function runProgram(options: RunOptions): Promise<ProgramRun> {
    pulumi.runtime.setAllConfig(options.config, [...options.secretKeys]);
    const mocks = createRecordingMocks(options.region);
    // Offline there is no Pulumi Cloud login: stacks the program references by bare name
    // resolve in the placeholder organization `organization`.
    await pulumi.runtime.setMocks(mocks, options.project, options.stack, false, "organization");

    // The public mocks API does not tell `newResource` where a resource sits in the tree.
    // The mock monitor computes the URN from the request's parent, so we read both from the
    // request right after the (synchronous) `newResource` call has appended its record.
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
    for (const method of ["registerResource", "readResource"] as const) {
        const original = monitor[method].bind(monitor);
        monitor[method] = (req: RegisterRequestLike, callback: unknown) => {
            const before = mocks.records.length;
            const done = original(req, callback);
            if (mocks.records.length === before + 1) {
                const record = mocks.records[before] as {
                    urn: string;
                    parent?: string;
                    options?: ResourceOptionsRecord;
                };
                record.urn = engineUrn(
                    monitor.newUrn(req.getParent(), req.getType(), req.getName()),
                );
                record.parent = req.getParent() ? engineUrn(req.getParent()) : undefined;
                record.options = optionsOf(req);
            }
            return done;
        };
    }

    const run = async () => {
        const result = await pulumi.runtime.runInPulumiStack(options.load);
        await pulumi.runtime.disconnect();
        return result;
    };
    let resolved: unknown;
    try {
        resolved = options.captureStacks ? await run() : await withoutStackCaptures(run);
    } catch (error) {
        throw unimplementedInvokeError(mocks.unimplemented) ?? error;
    }
    // An invoke whose result nothing awaits fails without failing the program; it is still
    // an invoke these mocks cannot answer.
    const missing = unimplementedInvokeError(mocks.unimplemented);
    if (missing) throw missing;
    const stackRecord = mocks.records.find((r) => r.type === "pulumi:pulumi:Stack");
    return {
        records: mocks.records.filter((r) => r !== stackRecord),
        outputs:
            stackOutputs(monitor, stackRecord?.urn) ??
            ((resolved ?? {}) as Record<string, unknown>),
    };
}
