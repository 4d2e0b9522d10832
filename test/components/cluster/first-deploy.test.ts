import { beforeAll, describe, expect, it } from "vitest";
import type { ResourceRecord } from "../../../tools/lib/records";
import { stackFileVariant, synth, type SynthResult } from "../../support/synth";

type Obj = Record<string, any>;

const ofType = (records: ResourceRecord[], type: string) => records.filter((r) => r.type === type);
const one = (records: ResourceRecord[], type: string): Obj => {
    const found = ofType(records, type);
    expect(found, type).toHaveLength(1);
    return found[0].inputs;
};
const mandatory = (result: SynthResult) =>
    result.policyReport().results.filter((r: Obj) => r.level === "mandatory");

describe("first deploy of a new account", () => {
    let production: SynthResult;
    let bootstrap: SynthResult;
    let dr: SynthResult;
    beforeAll(() => {
        production = synth("production");
        bootstrap = synth("production", {
            stackFile: stackFileVariant("production", (doc) => {
                const cluster = doc.config["mcp-platform:cluster"] as Obj;
                cluster.bootstrap = { operatorCidr: "203.0.113.7/32" };
                // The very first deploy: the dr stack does not exist yet.
                delete (doc.config["mcp-platform:backups"] as Obj).replication;
            }),
        });
        dr = synth("dr");
        for (const result of [production, bootstrap, dr]) {
            expect(result.status, result.stderr).toBe(0);
        }
    });

    it("keeps the API endpoint private unless bootstrapping, then opens it to one address", () => {
        const normal = one(production.resources(), "aws:eks/cluster:Cluster").vpcConfig;
        expect(normal.endpointPublicAccess).toBe(false);
        expect(normal.publicAccessCidrs).toBeUndefined();
        const first = one(bootstrap.resources(), "aws:eks/cluster:Cluster").vpcConfig;
        expect(first.endpointPublicAccess).toBe(true);
        expect(first.publicAccessCidrs).toEqual(["203.0.113.7/32"]);
        expect(mandatory(bootstrap)).toEqual([]);
    });

    it("deploys without replication before the dr stack exists", () => {
        expect(
            ofType(bootstrap.resources(), "aws:s3/bucketReplicationConfig:BucketReplicationConfig"),
        ).toEqual([]);
        expect(ofType(bootstrap.resources(), "pulumi:pulumi:StackReference")).toEqual([]);
    });

    it("reads the replication destination from the dr stack's outputs", () => {
        const reference = production
            .resources()
            .find((r) => r.name === "backup-replication-organization/mcp-platform/dr")?.inputs;
        expect(reference?.name).toBe("organization/mcp-platform/dr");
        const replication = one(
            production.resources(),
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        );
        expect(replication.rules[0].destination.bucket).toMatch(/^arn:aws:s3:::/);
        expect(replication.rules[0].destination.encryptionConfiguration.replicaKmsKeyId).toMatch(
            /^arn:aws:kms:us-west-2:\d{12}:alias\//,
        );
    });

    it("finds the production stack for the DR switch in its own organization", () => {
        const reference = dr
            .resources()
            .find((r) => r.name === "edge-switch-primary-stack")?.inputs;
        expect(reference?.name).toBe("organization/mcp-platform/production");
    });

    it("runs the deploy runner in the private subnets, IMDSv2 only, with no inbound rule", () => {
        for (const [result, label] of [
            [production, "mcp-production"],
            [dr, "mcp-dr"],
        ] as const) {
            const records = result.resources();
            const template = ofType(records, "aws:ec2/launchTemplate:LaunchTemplate").find(
                (r) => r.name === "deploy-runner-template",
            )!.inputs as Obj;
            expect(template.metadataOptions).toMatchObject({
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            });
            expect(template.blockDeviceMappings[0].ebs.encrypted).toBe("true");
            const userData = Buffer.from(template.userData, "base64").toString();
            expect(userData).toContain(`--labels ${label}`);
            expect(userData).toContain("sha256sum --check");
            const group = ofType(records, "aws:autoscaling/group:Group")[0].inputs as Obj;
            expect(group).toMatchObject({ minSize: 1, maxSize: 1 });
            const sg = ofType(records, "aws:ec2/securityGroup:SecurityGroup").find(
                (r) => r.name === "deploy-runner-sg",
            )!.inputs as Obj;
            expect(sg.ingress ?? []).toEqual([]);
            expect(sg.egress.map((e: Obj) => e.toPort)).toEqual([443]);
        }
    });

    it("gives preview roles read-only access, Secrets by name only", () => {
        const records = production.resources();
        const entry = ofType(records, "aws:eks/accessEntry:AccessEntry").find((r) =>
            r.name.includes("preview"),
        )!.inputs as Obj;
        expect(entry.kubernetesGroups).toEqual(["mcp-platform:preview"]);
        const role = ofType(records, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").find(
            (r) => (r.inputs as Obj).metadata.name === "mcp-platform-preview",
        )!.inputs as Obj;
        const verbs = new Set(role.rules.flatMap((rule: Obj) => rule.verbs));
        expect([...verbs].sort()).toEqual(["get", "list", "watch"]);
        const secretRules = role.rules.filter((rule: Obj) => rule.resources.includes("secrets"));
        expect(secretRules).toEqual([
            {
                apiGroups: [""],
                resources: ["secrets"],
                resourceNames: expect.arrayContaining(["grafana-admin", "postgres-admin"]),
                verbs: ["get"],
            },
        ]);
        expect(role.rules.flatMap((rule: Obj) => rule.resources)).not.toContain("*");
        const binding = ofType(
            records,
            "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
        ).find((r) => (r.inputs as Obj).metadata.name === "mcp-platform-preview")!.inputs as Obj;
        expect(binding.subjects).toEqual([
            { kind: "Group", name: "mcp-platform:preview", apiGroup: "rbac.authorization.k8s.io" },
        ]);
    });
});
