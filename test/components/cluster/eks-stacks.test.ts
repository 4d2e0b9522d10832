import { describe, expect, it } from "vitest";
import type { ResourceRecord } from "../../../tools/lib/records";
import { synth } from "../../support/synth";

/**
 * The acceptance checks of the network/EKS work, on what `npm run synth` declares for the
 * two committed stacks (one synth per stack).
 */

type Statement = Record<string, unknown>;
const list = (value: unknown): unknown[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every IAM-style policy document among a record's inputs (role/inline/key/bucket policies). */
function policyDocuments(record: ResourceRecord): { field: string; statements: Statement[] }[] {
    const documents: { field: string; statements: Statement[] }[] = [];
    const add = (field: string, text: unknown) => {
        if (typeof text !== "string" || !text.trim().startsWith("{")) return;
        const parsed = JSON.parse(text) as { Statement?: unknown };
        documents.push({ field, statements: list(parsed.Statement) as Statement[] });
    };
    add("policy", record.inputs.policy);
    add("assumeRolePolicy", record.inputs.assumeRolePolicy);
    for (const inline of list(record.inputs.inlinePolicies)) {
        add("inlinePolicies", (inline as { policy?: unknown }).policy);
    }
    return documents;
}

const ours = /mcp-platform:(network:Network|eks:|cluster:ClusterAddons)/;

describe.each([
    ["production", "us-east-1", 3],
    ["dr", "us-west-2", 1],
])("synth %s: network and EKS cluster", (stack, region, natGateways) => {
    const result = synth(stack);
    const resources = result.resources();
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    const cluster = ofType("aws:eks/cluster:Cluster");

    it("declares one hardened cluster in the stack's region", () => {
        expect(cluster).toHaveLength(1);
        const inputs = cluster[0].inputs as Record<string, any>;
        expect(inputs.name).toBe(`mcp-${stack}`);
        expect(inputs.encryptionConfig.resources).toEqual(["secrets"]);
        expect(inputs.encryptionConfig.provider.keyArn).toMatch(/^arn:aws:kms:/);
        expect(inputs.enabledClusterLogTypes).toEqual([
            "api",
            "audit",
            "authenticator",
            "controllerManager",
            "scheduler",
        ]);
        expect(inputs.vpcConfig.endpointPrivateAccess).toBe(true);
        expect(inputs.vpcConfig.endpointPublicAccess).toBe(false);
        expect(inputs.accessConfig.authenticationMode).toBe("API");
        const provider = resources.find((r) => r.urn === cluster[0].provider)!;
        expect(provider.type).toBe("pulumi:providers:aws");
        expect(provider.inputs.region).toBe(region);
        const outputs = JSON.parse(result.read("outputs.json"));
        expect(outputs.clusterName).toBe(`mcp-${stack}`);
        expect(outputs.clusterEndpoint).toContain(`.${region}.eks.amazonaws.com`);
        expect(outputs.oidcProviderArn).toContain(
            `oidc-provider/oidc.eks.${region}.amazonaws.com/`,
        );
        expect(outputs.kubeconfig).toBeDefined();
        expect(ofType("aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toHaveLength(1);
    });

    it("puts every node group in the private subnets only, with IMDSv2 and encrypted roots", () => {
        const privateSubnets = ofType("aws:ec2/subnet:Subnet")
            .filter((s) => s.name.startsWith("network-private-"))
            .map((s) => `${s.name}-id`);
        expect(privateSubnets).toHaveLength(3);
        const groups = ofType("aws:eks/nodeGroup:NodeGroup");
        expect(groups.map((g) => g.inputs.nodeGroupName).sort()).toEqual([
            "system-nodes",
            "worker-nodes",
        ]);
        for (const group of groups) expect(group.inputs.subnetIds).toEqual(privateSubnets);
        for (const template of ofType("aws:ec2/launchTemplate:LaunchTemplate").filter((t) =>
            t.name.startsWith("eks-nodes-"),
        )) {
            expect(template.inputs.metadataOptions).toMatchObject({
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            });
            expect(template.inputs.blockDeviceMappings).toEqual([
                expect.objectContaining({
                    ebs: expect.objectContaining({ volumeType: "gp3", encrypted: "true" }),
                }),
            ]);
        }
    });

    it(`runs ${natGateways} NAT gateway(s) as the stack file says`, () => {
        expect(ofType("aws:ec2/natGateway:NatGateway")).toHaveLength(natGateways);
    });

    it("writes the gp3 default StorageClass manifest", () => {
        const manifest = result.read("k8s/_cluster/storageclass-gp3.yaml");
        expect(manifest).toContain('storageclass.kubernetes.io/is-default-class: "true"');
        expect(manifest).toContain("reclaimPolicy: Retain");
    });

    it("has no IAM policy that allows every action on every resource", () => {
        const offenders: string[] = [];
        for (const record of resources) {
            for (const { field, statements } of policyDocuments(record)) {
                for (const statement of statements) {
                    if (statement.Effect !== "Allow") continue;
                    const everyAction = list(statement.Action).includes("*");
                    const everyResource = list(statement.Resource).includes("*");
                    if (everyAction && everyResource) offenders.push(`${record.urn} ${field}`);
                }
            }
        }
        expect(offenders).toEqual([]);
    });

    it("limits every IRSA role's trust to exactly one service account", () => {
        // The cluster's OIDC provider (IRSA); GitHub's (the CI roles) is checked in ci-roles.test.ts.
        const irsaRoles = ofType("aws:iam/role:Role").filter(
            (role) =>
                String(role.inputs.assumeRolePolicy).includes(":oidc-provider/") &&
                !String(role.inputs.assumeRolePolicy).includes(
                    "token.actions.githubusercontent.com",
                ),
        );
        // vpc-cni, EBS CSI driver, load balancer controller at least.
        expect(irsaRoles.length).toBeGreaterThanOrEqual(3);
        for (const role of irsaRoles) {
            const statements = policyDocuments(role).find((d) => d.field === "assumeRolePolicy")!
                .statements as Record<string, any>[];
            for (const statement of statements) {
                expect(statement.Action, role.urn).toBe("sts:AssumeRoleWithWebIdentity");
                expect(statement.Condition.StringLike, role.urn).toBeUndefined();
                const subjects = Object.entries(statement.Condition.StringEquals ?? {}).filter(
                    ([key]) => key.endsWith(":sub"),
                );
                expect(subjects, role.urn).toHaveLength(1);
                expect(subjects[0][1], role.urn).toMatch(
                    /^system:serviceaccount:[a-z0-9-]+:[a-z0-9-]+$/,
                );
            }
        }
    });

    it("raises no mandatory policy violation on the network, cluster or add-ons", () => {
        const violations = result
            .policyReport()
            .results.filter((r) => r.level === "mandatory" && ours.test(r.resource));
        expect(violations).toEqual([]);
    });
});
