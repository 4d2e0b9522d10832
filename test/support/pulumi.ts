import * as pulumi from "@pulumi/pulumi";
import type { ResourceRecord } from "../../tools/lib/records";
import { runProgram } from "../../tools/lib/run-program";

/**
 * The shared mock harness for component tests: runs `declare` under the same mock runtime
 * the synth uses and returns every resource it registered, with inputs as recorded.
 * `call` throws on invoke tokens the mocks do not know (tools/lib/mocks.ts).
 */
export interface RecordOptions {
    /** @default "test" */
    readonly stack?: string;
    /** @default "us-east-1" */
    readonly region?: string;
    /** Extra config, fully qualified (`mcp-platform:key`), JSON-encoded where structured. */
    readonly config?: Record<string, string>;
}

export interface Recorded {
    readonly records: ResourceRecord[];
    /** Records of one type, e.g. `kubernetes:apps/v1:Deployment`. */
    ofType(type: string): ResourceRecord[];
    /** The one record with this type and logical name; throws if absent. */
    one(type: string, name: string): ResourceRecord;
}

export async function recordResources(
    declare: () => unknown | Promise<unknown>,
    options: RecordOptions = {},
): Promise<Recorded> {
    const region = options.region ?? "us-east-1";
    const run = await runProgram({
        project: "mcp-platform",
        stack: options.stack ?? "test",
        region,
        config: { "aws:region": region, ...options.config },
        secretKeys: [],
        load: async () => {
            await declare();
        },
    });
    const ofType = (type: string) => run.records.filter((r) => r.type === type);
    return {
        records: run.records,
        ofType,
        one(type, name) {
            const found = ofType(type).filter((r) => r.name === name);
            if (found.length !== 1) {
                const names =
                    ofType(type)
                        .map((r) => r.name)
                        .join(", ") || "none";
                throw new Error(
                    `expected one ${type} named ${name}; found ${found.length} (have: ${names})`,
                );
            }
            return found[0];
        },
    };
}

/** Resolves an Output's value in a test (under the mock runtime values are known). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}
