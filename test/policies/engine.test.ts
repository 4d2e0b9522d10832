import {
    type PolicyResource,
    type StackValidationPolicy,
    unknownCheckingProxy,
    UnknownValueError,
} from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { privateNodes } from "../../policies/aws-eks";
import { eksSupportPolicies } from "../../policies/aws-eks-support";
import { bucketVersioning } from "../../policies/aws-s3";
import { policies } from "../../policies/policies";
import { hpaTarget } from "../../policies/stack";
import { resourceArgs, stackArgs, validateResource } from "../../tools/lib/policy-runner";
import type { ResourceRecord } from "../../tools/lib/records";
import { isStackPolicy } from "./lib/cases";
import {
    bucket,
    bucketVersioning as versioning,
    deployment,
    hardenedBucket,
    hardenedCluster,
    hpa,
    launchTemplate,
    nodeGroup,
    subnet,
} from "./lib/fixtures";

/**
 * What `pulumi preview --policy-pack` does differently from the offline synth: stack
 * policies get `propertyDependencies` (the synth has none), and props are wrapped in
 * `unknownCheckingProxy`, so reading a value not known during preview throws
 * UnknownValueError (the engine then reports "can't run during preview" as advisory).
 */

/** `unknownStringValue` of @pulumi/policy's proxy.js: a string unknown during preview. */
const unknownString = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Stack args as the engine builds them: proxied props and the given property dependencies. */
function engineStack(
    records: ResourceRecord[],
    dependencies: Record<string, Record<string, string[]>>,
) {
    const args = stackArgs(records);
    const byName = new Map(args.resources.map((r) => [r.name, r]));
    for (const resource of args.resources as (PolicyResource & { props: Record<string, any> })[]) {
        resource.props = unknownCheckingProxy(resource.props);
        const deps = dependencies[resource.name] ?? {};
        resource.propertyDependencies = Object.fromEntries(
            Object.entries(deps).map(([property, names]) => [
                property,
                names.map((n) => byName.get(n)!),
            ]),
        );
    }
    return args;
}

async function run(policy: StackValidationPolicy, args: ReturnType<typeof engineStack>) {
    const messages: string[] = [];
    await policy.validateStack(args, (message) => messages.push(message));
    return messages;
}

describe("engine semantics", () => {
    it("the sentinel is what the engine's proxy treats as unknown", () => {
        const props = unknownCheckingProxy({ bucket: unknownString }) as { bucket: string };
        expect(() => props.bucket).toThrow(UnknownValueError);
    });

    it("joins an S3 setting to its bucket through propertyDependencies, even when the bucket's ID is unknown", async () => {
        const b = bucket("backups");
        const v = {
            ...versioning(b),
            inputs: { bucket: unknownString, versioningConfiguration: { status: "Enabled" } },
        };
        expect(
            await run(bucketVersioning, engineStack([b, v], { [v.name]: { bucket: ["backups"] } })),
        ).toEqual([]);
    });

    it("reports a bucket whose only versioning resource belongs to another bucket (by dependency)", async () => {
        const [b, other] = [bucket("backups"), bucket("logs")];
        const v = {
            ...versioning(other),
            inputs: { bucket: unknownString, versioningConfiguration: { status: "Enabled" } },
        };
        const messages = await run(
            bucketVersioning,
            engineStack([b, other, v], { [v.name]: { bucket: ["logs"] } }),
        );
        expect(messages).toEqual([
            expect.stringMatching(/S3 bucket backups must enable versioning/),
        ]);
    });

    it("without a dependency, an unknown reference is the engine's 'can't run during preview' case", async () => {
        const b = bucket("backups");
        const v = {
            ...versioning(b),
            inputs: { bucket: unknownString, versioningConfiguration: { status: "Enabled" } },
        };
        await expect(run(bucketVersioning, engineStack([b, v], {}))).rejects.toThrow(
            UnknownValueError,
        );
    });

    it("finds a node group's public subnet through propertyDependencies", async () => {
        const publicSubnet = subnet("public-a", { mapPublicIpOnLaunch: true });
        const group = nodeGroup("workload", {
            subnetIds: [unknownString],
            scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
        });
        const messages = await run(
            privateNodes,
            engineStack([publicSubnet, launchTemplate(), group], {
                workload: { subnetIds: ["public-a"], launchTemplate: ["workload-lt"] },
            }),
        );
        expect(messages).toEqual([
            expect.stringMatching(/subnet public-a maps public IPs on launch/),
        ]);
    });

    it("does not mistake the live replica count of an HPA-owned Deployment for a declared one", async () => {
        const live = deployment({ spec: (spec) => (spec.replicas = 7) });
        const outputs = {
            ...live,
            inputs: {
                ...live.inputs,
                metadata: {
                    ...(live.inputs.metadata as object),
                    uid: "0b9c",
                    resourceVersion: "42",
                },
                status: { replicas: 7, readyReplicas: 7 },
            },
        };
        const scaler = hpa("mcp-production", "api", 20);
        expect(await run(hpaTarget, engineStack([outputs, scaler], {}))).toEqual([]);
        // Offline the synth sees the program's inputs, where a declared count is an error.
        expect(await run(hpaTarget, engineStack([live, scaler], {}))).toEqual([
            expect.stringMatching(/must leave spec.replicas unset \(got 7\)/),
        ]);
    });

    it("every policy runs on props wrapped in the engine's proxy and passes hardened resources", async () => {
        const supportDay: Record<string, Record<string, unknown>> = Object.fromEntries(
            eksSupportPolicies.map((p) => [p.name, { today: "2026-12-01" }]),
        );
        // Hardened includes protected: the cluster and the bucket hold state.
        const records = [
            deployment(),
            hardenedCluster(),
            launchTemplate(),
            ...hardenedBucket(),
        ].map((r) => ({ ...r, options: { protect: true } }));
        for (const policy of policies) {
            if (isStackPolicy(policy)) {
                const messages: string[] = [];
                try {
                    await policy.validateStack(engineStack(records, {}), (m) => messages.push(m));
                } catch (error) {
                    if ((error as Error).constructor.name !== "NotApplicable") throw error;
                }
                expect(messages, policy.name).toEqual([]);
                continue;
            }
            for (const record of records) {
                // The support-date policies judge against a fixed day, not the clock.
                const args = resourceArgs(record, supportDay[policy.name] ?? {});
                (args as { props: unknown }).props = unknownCheckingProxy(args.props);
                const violations = await validateResource(policy, args);
                expect(violations ?? [], `${policy.name} on ${record.type}`).toEqual([]);
            }
        }
    });
});
