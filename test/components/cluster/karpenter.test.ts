import { EC2NodeClass } from "@kubernetes-models/karpenter/karpenter.k8s.aws/v1/EC2NodeClass";
import { NodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1/NodePool";
import { describe, expect, it } from "vitest";
import {
    budgetsInsideWindows,
    budgetsOutsideWindows,
    ec2NodeClassManifest,
    goDuration,
    nodePoolManifest,
} from "../../../components/cluster/karpenter-node-pools";
import { karpenterControllerPolicy } from "../../../components/cluster/karpenter-policy";
import { interruptionEvents } from "../../../components/cluster/karpenter-interruption";
import type { NodePoolConfig } from "../../../config/cluster";
import type { MaintenanceWindow } from "../../../config/monitoring";
import type { ResourceRecord } from "../../../tools/lib/records";
import { parseStack } from "../../support/config";
import { synth } from "../../support/synth";
import { ManifestValidator } from "../../support/k8s-schema";

type Obj = Record<string, any>;

/** A model of the registry package, validating `data` the way its schema says. */
const validated = (model: unknown, data: Obj) => () =>
    new (model as new (data: Obj) => { validate(): void })(data).validate();

const pool: NodePoolConfig = {
    capacityTypes: ["spot", "on-demand"],
    instanceCategories: ["c", "m", "r"],
    instanceCpu: [4, 8, 16],
    limits: { cpu: 160, memoryGiB: 640 },
    consolidationPolicy: "WhenEmptyOrUnderutilized",
    consolidateAfter: "5m",
    maxDisruption: "10%",
    expireAfter: "720h",
};

const window = (w: Partial<MaintenanceWindow>): MaintenanceWindow => ({
    name: "database-maintenance",
    weekdays: ["sunday"],
    start: "02:00",
    end: "04:00",
    namespaces: ["mcp-production"],
    severities: ["warning", "info"],
    ...w,
});

const nodeClass = () =>
    ec2NodeClassManifest({
        clusterName: "mcp-production",
        nodeRoleName: "karpenter-node-1234",
        amiAlias: "al2023@v20260903",
        rootVolumeGiB: 100,
        volumeKeyArn: "arn:aws:kms:us-east-1:111111111111:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    });

const generalPool = () =>
    nodePoolManifest({
        name: "general",
        pool,
        budgets: budgetsOutsideWindows("10%", [window({})]),
    });

describe("Karpenter manifests against the Karpenter schemas", () => {
    it("the NodePool and EC2NodeClass pass @kubernetes-models/karpenter", () => {
        expect(validated(NodePool, generalPool())).not.toThrow();
        expect(validated(EC2NodeClass, nodeClass())).not.toThrow();
    });

    it("the schemas catch a broken manifest (so the checks above bite)", () => {
        const broken = generalPool() as Obj;
        broken.spec.disruption.consolidationPolicy = "Sometimes";
        expect(validated(NodePool, broken)).toThrow(/consolidationPolicy/);
        const tokens = nodeClass() as Obj;
        tokens.spec.metadataOptions.httpTokens = "maybe";
        expect(validated(EC2NodeClass, tokens)).toThrow(/httpTokens/);
    });

    it("the release's own CRDs (Go module v1.15.2) accept them, unknown fields refused", async () => {
        const validator = await ManifestValidator.withUpstreamCrds();
        expect(await validator.validate(generalPool())).toEqual([]);
        expect(await validator.validate(nodeClass())).toEqual([]);
        const typo = nodeClass() as Obj;
        typo.spec.metadataOptions.hopLimit = 1;
        expect((await validator.validate(typo)).join("\n")).toMatch(/hopLimit/);
    });

    it("EC2NodeClass: IMDSv2 only with one hop, encrypted gp3 root under the volume key", () => {
        const spec = nodeClass().spec as Obj;
        expect(spec.metadataOptions).toMatchObject({
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
        });
        expect(spec.blockDeviceMappings).toEqual([
            {
                deviceName: "/dev/xvda",
                ebs: expect.objectContaining({
                    volumeType: "gp3",
                    encrypted: true,
                    kmsKeyID: expect.stringMatching(/^arn:aws:kms:/),
                }),
            },
        ]);
        expect(spec.amiSelectorTerms).toEqual([{ alias: "al2023@v20260903" }]);
        expect(spec.subnetSelectorTerms).toEqual([
            { tags: { "karpenter.sh/discovery": "mcp-production" } },
        ]);
        expect(spec.securityGroupSelectorTerms).toEqual(spec.subnetSelectorTerms);
    });
});

describe("disruption budgets and the maintenance windows", () => {
    it("blocks every disruption during each window, weekly", () => {
        expect(
            budgetsOutsideWindows("10%", [
                window({}),
                window({
                    name: "semantic-maintenance",
                    weekdays: ["saturday"],
                    daysOfMonth: "1:7",
                    start: "02:00",
                    end: "06:00",
                }),
            ]),
        ).toEqual([
            { nodes: "10%" },
            { nodes: "0", schedule: "0 2 * * 0", duration: "2h" },
            // First Saturday only is not expressible in cron: every Saturday is blocked.
            { nodes: "0", schedule: "0 2 * * 6", duration: "4h" },
        ]);
    });

    it("merges overlapping windows", () => {
        expect(
            budgetsOutsideWindows("1", [
                window({ start: "02:00", end: "04:00" }),
                window({ start: "03:30", end: "05:15" }),
            ]),
        ).toEqual([{ nodes: "1" }, { nodes: "0", schedule: "0 2 * * 0", duration: "3h15m" }]);
    });

    it("lets the data stores' pool replace nodes only inside the window", () => {
        const budgets = budgetsInsideWindows("1", [window({})]);
        expect(budgets).toEqual([
            { nodes: "1" },
            {
                nodes: "0",
                reasons: ["Drifted", "Underutilized"],
                schedule: "0 4 * * 0",
                duration: "166h",
            },
        ]);
        // The blocked gap and the window make up the whole week.
        expect(166 + 2).toBe(7 * 24);
    });

    it("covers every gap between several weekly windows", () => {
        const budgets = budgetsInsideWindows("1", [
            window({ weekdays: ["wednesday", "sunday"], start: "01:00", end: "02:30" }),
        ]);
        expect(budgets.slice(1).map((b) => [b.schedule, b.duration])).toEqual([
            ["30 2 * * 0", "70h30m"],
            ["30 2 * * 3", "94h30m"],
        ]);
    });

    it("with no weekly window, drift waits for an operator", () => {
        expect(
            budgetsInsideWindows("1", [window({ daysOfMonth: "1:7", weekdays: ["saturday"] })]),
        ).toEqual([{ nodes: "1" }, { nodes: "0", reasons: ["Drifted", "Underutilized"] }]);
    });

    it("writes Go durations", () => {
        expect([goDuration(30), goDuration(60), goDuration(150), goDuration(0)]).toEqual([
            "30m",
            "1h",
            "2h30m",
            "0m",
        ]);
    });
});

describe("the controller's IAM policy", () => {
    const statements = (
        JSON.parse(
            karpenterControllerPolicy({
                partition: "aws",
                accountId: "111111111111",
                region: "us-east-1",
                clusterName: "mcp-production",
                nodeRoleArn: "arn:aws:iam::111111111111:role/karpenter-node",
                queueArn: "arn:aws:sqs:us-east-1:111111111111:mcp-production",
                volumeKeyArn: "arn:aws:kms:us-east-1:111111111111:key/k",
            }),
        ) as { Statement: Obj[] }
    ).Statement;
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;

    it("terminates and tags only what it launched for this cluster", () => {
        for (const sid of ["DeleteOwnInstances", "TagOwnInstances"]) {
            expect(bySid(sid).Condition.StringEquals).toEqual({
                "aws:ResourceTag/kubernetes.io/cluster/mcp-production": "owned",
            });
        }
        expect(bySid("LaunchTaggedForThisCluster").Condition.StringLike).toEqual({
            "aws:RequestTag/karpenter.sh/nodepool": "*",
        });
    });

    it("passes only the node role, reads only its queue, uses the key only through EC2", () => {
        expect(bySid("PassNodeRole").Resource).toBe(
            "arn:aws:iam::111111111111:role/karpenter-node",
        );
        expect(bySid("ConsumeInterruptionQueue").Resource).toBe(
            "arn:aws:sqs:us-east-1:111111111111:mcp-production",
        );
        expect(bySid("EncryptRootVolumes").Condition).toEqual({
            StringEquals: { "kms:ViaService": "ec2.us-east-1.amazonaws.com" },
        });
        // Only reads may be on Resource "*" (listing instance profiles has no resource ARN).
        for (const statement of statements.filter((s) => s.Resource === "*")) {
            for (const action of [statement.Action].flat()) {
                expect(action).toMatch(/^(ec2:Describe|pricing:Get|iam:ListInstanceProfiles$)/);
            }
        }
    });
});

describe.each(["production", "dr"])("synth %s: Karpenter", (stack) => {
    const resources = synth(stack).resources();
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    const one = (type: string, name: string): ResourceRecord => {
        const found = ofType(type).filter((r) => r.name === name);
        expect(found, `${type} ${name}`).toHaveLength(1);
        return found[0];
    };
    const cfg = parseStack(stack);
    const clusterName = `mcp-${cfg.environment}`;

    it("runs Kubernetes 1.35 with an explicit standard-support upgrade policy", () => {
        const [cluster] = ofType("aws:eks/cluster:Cluster");
        expect(cluster.inputs.version).toBe("1.35");
        expect(cluster.inputs.upgradePolicy).toEqual({ supportType: "STANDARD" });
        const kubeProxy = ofType("aws:eks/addon:Addon").find(
            (a) => a.inputs.addonName === "kube-proxy",
        )!;
        expect(kubeProxy.inputs.addonVersion).toMatch(/^v1\.35\./);
    });

    it("installs the pinned chart on the system node group with its IRSA role", () => {
        const release = one("kubernetes:helm.sh/v3:Release", "karpenter-controller");
        const crds = one("kubernetes:helm.sh/v3:Release", "karpenter-crd");
        expect(release.inputs).toMatchObject({
            chart: "oci://public.ecr.aws/karpenter/karpenter",
            version: "1.15.2",
            namespace: "kube-system",
            skipCrds: true,
        });
        expect(crds.inputs).toMatchObject({
            chart: "oci://public.ecr.aws/karpenter/karpenter-crd",
            version: "1.15.2",
        });
        const values = release.inputs.values as Obj;
        expect(values.nodeSelector).toEqual({ "mcp-platform.io/node-group": "system" });
        expect(values.settings).toMatchObject({ clusterName, interruptionQueue: clusterName });
        expect(values.serviceAccount.annotations["eks.amazonaws.com/role-arn"]).toBeDefined();
        const trust = JSON.parse(
            one("aws:iam/role:Role", "karpenter-controller-role").inputs.assumeRolePolicy as string,
        ) as { Statement: Obj[] };
        const subjects = Object.entries(trust.Statement[0].Condition.StringEquals)
            .filter(([key]) => key.endsWith(":sub"))
            .map(([, value]) => value);
        expect(subjects).toEqual(["system:serviceaccount:kube-system:karpenter"]);
    });

    it("gives the node role its EC2_LINUX access entry", () => {
        expect(one("aws:eks/accessEntry:AccessEntry", "karpenter-node").inputs).toMatchObject({
            clusterName,
            type: "EC2_LINUX",
        });
        const attached = ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            .filter((r) => r.name.startsWith("karpenter-node-"))
            .map((r) => String(r.inputs.policyArn).split("/").pop());
        expect(attached.sort()).toEqual([
            "AmazonEC2ContainerRegistryPullOnly",
            "AmazonEKSWorkerNodePolicy",
            "AmazonSSMManagedInstanceCore",
        ]);
    });

    it("declares the encrypted interruption queue and its four EventBridge rules", () => {
        const queue = one("aws:sqs/queue:Queue", "karpenter-interruption-queue");
        expect(queue.inputs).toMatchObject({
            name: clusterName,
            sqsManagedSseEnabled: true,
            messageRetentionSeconds: 300,
        });
        const rules = ofType("aws:cloudwatch/eventRule:EventRule").filter((r) =>
            r.name.startsWith("karpenter-interruption-"),
        );
        const patterns = (list: unknown[]) => list.map((p) => JSON.stringify(p)).sort();
        expect(patterns(rules.map((r) => JSON.parse(r.inputs.eventPattern as string)))).toEqual(
            patterns(Object.values(interruptionEvents)),
        );
        expect(
            ofType("aws:cloudwatch/eventTarget:EventTarget").filter((r) =>
                r.name.startsWith("karpenter-interruption-"),
            ),
        ).toHaveLength(4);
        const policy = JSON.parse(
            one("aws:sqs/queuePolicy:QueuePolicy", "karpenter-interruption-queue").inputs
                .policy as string,
        ) as { Statement: Obj[] };
        expect(policy.Statement.map((s) => s.Principal?.Service ?? s.Principal)).toEqual([
            "events.amazonaws.com",
            "sqs.amazonaws.com",
            "*",
        ]);
    });

    it("tags the private subnets and the cluster security group for discovery, nothing public", () => {
        const subnets = ofType("aws:ec2/subnet:Subnet");
        const tagged = subnets.filter(
            (s) => (s.inputs.tags as Obj)["karpenter.sh/discovery"] === clusterName,
        );
        expect(tagged.map((s) => s.name).sort()).toEqual(
            subnets
                .filter((s) => s.name.includes("-private-"))
                .map((s) => s.name)
                .sort(),
        );
        expect(tagged.length).toBeGreaterThan(0);
        expect(one("aws:ec2/tag:Tag", "karpenter-cluster-sg-discovery").inputs).toMatchObject({
            key: "karpenter.sh/discovery",
            value: clusterName,
        });
    });

    it("declares the two NodePools with limits and the EC2NodeClass", () => {
        const pools = ofType("kubernetes:karpenter.sh/v1:NodePool");
        expect(pools.map((p) => (p.inputs.metadata as Obj).name).sort()).toEqual([
            "data-stores",
            "general",
        ]);
        for (const p of pools) expect((p.inputs.spec as Obj).limits.cpu).toMatch(/^\d+$/);
        const data = pools.find((p) => (p.inputs.metadata as Obj).name === "data-stores")!;
        const dataSpec = data.inputs.spec as Obj;
        expect(dataSpec.template.spec.requirements).toContainEqual({
            key: "karpenter.sh/capacity-type",
            operator: "In",
            values: ["on-demand"],
        });
        expect(dataSpec.template.spec.taints).toEqual([
            { key: "mcp-platform.io/data-store", value: "true", effect: "NoSchedule" },
        ]);
        const nodeClass = ofType("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
        expect(nodeClass).toHaveLength(1);
        expect((nodeClass[0].inputs.spec as Obj).role).toBeTruthy();
    });

    it("puts Postgres and Redis (with its proxy) on the data stores' pool, and only them", () => {
        const statefulSets = ofType("kubernetes:apps/v1:StatefulSet");
        for (const set of statefulSets) {
            const pod = (set.inputs.spec as Obj).template.spec;
            expect(pod.nodeSelector, set.name).toEqual({
                "mcp-platform.io/node-pool": "data-stores",
            });
            expect(pod.tolerations, set.name).toEqual([
                {
                    key: "mcp-platform.io/data-store",
                    operator: "Equal",
                    value: "true",
                    effect: "NoSchedule",
                },
            ]);
        }
        expect(statefulSets.length).toBeGreaterThanOrEqual(2);
        for (const deployment of ofType("kubernetes:apps/v1:Deployment")) {
            const tolerations = ((deployment.inputs.spec as Obj).template.spec.tolerations ??
                []) as Obj[];
            // redis-proxy, Redis's primary-following front, runs beside the servers.
            if ((deployment.inputs.metadata as Obj).name === "redis-proxy") continue;
            expect(tolerations.map((t) => t.key)).not.toContain("mcp-platform.io/data-store");
        }
    });
});
