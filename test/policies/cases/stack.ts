import {
    alertMetadata,
    dataStoreBackup,
    hpaTarget,
    hpaVpaConflict,
    multiReplicaHpa,
    multiReplicaPdb,
    namespaceDefaultDeny,
} from "../../../policies/stack";
import { nodeCapacityHeadroom } from "../../../policies/stack-capacity";
import type { PolicyCases } from "../lib/cases";
import {
    alert,
    defaultDeny,
    deployment,
    hpa,
    launchTemplate,
    networkPolicy,
    nodeGroup,
    nodePool,
    type Obj,
    pdb,
    prometheusRule,
    restrictedNamespace,
    vpa,
    workload,
} from "../lib/fixtures";

const ns = "mcp-production";
/** An HPA-owned service: replicas unset, HPA 2–20 on CPU, PDB, VPA in recommendation mode. */
const service = () => [
    deployment(),
    hpa(ns, "api", 20),
    pdb(ns, "api-pdb", { matchLabels: { app: "api" } }),
    vpa(ns, "api"),
];

export const stackCases: PolicyCases[] = [
    {
        policy: namespaceDefaultDeny,
        pass: [
            {
                title: "one default-deny policy for both directions",
                resources: [restrictedNamespace(ns), defaultDeny(ns)],
            },
            {
                title: "separate ingress and egress deny policies",
                resources: [
                    restrictedNamespace(ns),
                    networkPolicy(ns, "deny-ingress", { podSelector: {} }),
                    networkPolicy(ns, "deny-egress", { podSelector: {}, policyTypes: ["Egress"] }),
                ],
            },
        ],
        fail: [
            {
                title: "no NetworkPolicy",
                resources: [restrictedNamespace(ns)],
                expect: /Namespace mcp-production must have a default-deny NetworkPolicy for Ingress and Egress/,
            },
            {
                title: "deny in another namespace",
                resources: [restrictedNamespace(ns), defaultDeny("mcp-system")],
                expect: /mcp-production/,
            },
            {
                title: "ingress only",
                resources: [
                    restrictedNamespace(ns),
                    networkPolicy(ns, "deny-ingress", { podSelector: {} }),
                ],
                expect: /for Egress/,
            },
            {
                title: "selector that is not empty",
                resources: [
                    restrictedNamespace(ns),
                    networkPolicy(ns, "deny", {
                        podSelector: { matchLabels: { app: "api" } },
                        policyTypes: ["Ingress", "Egress"],
                    }),
                ],
            },
            {
                title: "allow rules in the 'deny' policy",
                resources: [
                    restrictedNamespace(ns),
                    networkPolicy(ns, "deny", {
                        podSelector: {},
                        policyTypes: ["Ingress", "Egress"],
                        ingress: [{}],
                    }),
                ],
                expect: /for Ingress/,
            },
        ],
    },
    {
        policy: multiReplicaPdb,
        pass: [
            { title: "HPA-owned service with a PDB", resources: service() },
            {
                title: "single replica without a PDB",
                resources: [deployment({ spec: (s) => (s.replicas = 1) })],
            },
        ],
        fail: [
            {
                title: "HPA up to 20 without a PDB",
                resources: [deployment(), hpa(ns, "api", 20)],
                expect: /Deployment mcp-production\/api runs up to 20 replicas and must have a PodDisruptionBudget/,
            },
            {
                title: "StatefulSet with 2 replicas",
                resources: [
                    workload("StatefulSet", {
                        name: "postgres-replica",
                        spec: (s) => (s.replicas = 2),
                    }),
                ],
                expect: /StatefulSet/,
            },
            {
                title: "PDB in another namespace",
                resources: [
                    deployment({ spec: (s) => (s.replicas = 3) }),
                    pdb("mcp-system", "api-pdb", { matchLabels: { app: "api" } }),
                ],
            },
            {
                title: "PDB that blocks every disruption",
                resources: [
                    ...service().slice(0, 2),
                    pdb(ns, "api-pdb", { matchLabels: { app: "api" } }, { maxUnavailable: 0 }),
                ],
                expect: /api-pdb must allow at least one voluntary disruption/,
            },
        ],
    },
    {
        policy: multiReplicaHpa,
        pass: [
            { title: "HPA-owned service", resources: service() },
            { title: "one replica", resources: [deployment({ spec: (s) => (s.replicas = 1) })] },
        ],
        fail: [
            {
                title: "fixed 3 replicas",
                resources: [deployment({ spec: (s) => (s.replicas = 3) })],
                expect: /runs 3 replicas and must be scaled by a HorizontalPodAutoscaler/,
            },
        ],
    },
    {
        policy: hpaTarget,
        pass: [{ title: "HPA-owned service", resources: service() }],
        fail: [
            {
                title: "workload still sets replicas",
                resources: [deployment({ spec: (s) => (s.replicas = 3) }), hpa(ns, "api", 20)],
                expect: /is scaled by api-hpa and must leave spec.replicas unset \(got 3\)/,
            },
            {
                title: "HPA without its workload",
                resources: [hpa(ns, "missing", 5)],
                expect: /must target a workload declared in the stack/,
            },
        ],
    },
    {
        policy: hpaVpaConflict,
        pass: [
            { title: "VPA in Off mode", resources: service() },
            {
                title: "VPA limited to memory while the HPA scales on CPU",
                resources: [
                    deployment(),
                    hpa(ns, "api", 20),
                    vpa(ns, "api", {
                        updatePolicy: { updateMode: "Auto" },
                        resourcePolicy: {
                            containerPolicies: [
                                { containerName: "*", controlledResources: ["memory"] },
                            ],
                        },
                    }),
                ],
            },
            {
                title: "VPA container policy Off",
                resources: [
                    deployment(),
                    hpa(ns, "api", 20),
                    vpa(ns, "api", {
                        updatePolicy: { updateMode: "Auto" },
                        resourcePolicy: {
                            containerPolicies: [{ containerName: "app", mode: "Off" }],
                        },
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "VPA in Auto mode with default resources",
                resources: [
                    deployment(),
                    hpa(ns, "api", 20),
                    vpa(ns, "api", { updatePolicy: { updateMode: "Auto" } }),
                ],
                expect: /must not both act on cpu of Deployment api/,
            },
            {
                title: "HPA without metrics (CPU by default) and a CPU-controlling VPA",
                resources: [
                    deployment(),
                    hpa(ns, "api", 20, []),
                    vpa(ns, "api", {
                        updatePolicy: { updateMode: "Recreate" },
                        resourcePolicy: {
                            containerPolicies: [
                                { containerName: "*", controlledResources: ["cpu"] },
                            ],
                        },
                    }),
                ],
                expect: /cpu/,
            },
            {
                title: "both on memory",
                resources: [
                    deployment(),
                    hpa(ns, "api", 20, [
                        {
                            type: "Resource",
                            resource: {
                                name: "memory",
                                target: { type: "Utilization", averageUtilization: 80 },
                            },
                        },
                    ]),
                    vpa(ns, "api", { updatePolicy: { updateMode: "Initial" } }),
                ],
                expect: /memory/,
            },
        ],
    },
    {
        policy: nodeCapacityHeadroom,
        pass: [
            {
                title: "80 vCPU for an HPA maximum of 10 vCPU",
                resources: [
                    ...service(),
                    launchTemplate(),
                    nodeGroup("workload", {
                        instanceTypes: ["m6i.2xlarge"],
                        scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 10 },
                    }),
                ],
            },
            {
                title: "instance type from config",
                resources: [
                    ...service(),
                    launchTemplate(),
                    nodeGroup("workload", {
                        instanceTypes: ["x9.huge"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 },
                    }),
                ],
                config: { instanceTypes: { "x9.huge": { vcpu: 64, memoryGiB: 256 } } },
            },
            {
                title: "instance type from the launch template",
                resources: [
                    ...service(),
                    launchTemplate("workload-lt", (t) => (t.instanceType = "m6i.4xlarge")),
                    nodeGroup("workload", {
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                ],
            },
            {
                title: "a NodePool's limits instead of a node group's maxSize",
                resources: [...service(), nodePool()],
            },
            {
                title: "a small managed baseline plus a NodePool",
                resources: [
                    ...service(),
                    nodeGroup("workload", {
                        instanceTypes: ["m6i.large"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 2 },
                    }),
                    nodePool("general", (p) => (p.spec.limits = { cpu: "12", memory: "48Gi" })),
                ],
            },
            {
                title: "demand 10 vCPU on 11 vCPU with 5 % headroom",
                resources: [
                    ...service(),
                    nodeGroup("workload", {
                        instanceTypes: ["x1.custom"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 },
                    }),
                ],
                config: {
                    headroomPercent: 5,
                    instanceTypes: { "x1.custom": { vcpu: 11, memoryGiB: 64 } },
                },
            },
        ],
        fail: [
            {
                title: "one m6i.large for 20 × 500m",
                resources: [
                    ...service(),
                    nodeGroup("workload", {
                        instanceTypes: ["m6i.large"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 },
                    }),
                ],
                expect: /must hold every HPA at its maximum with 20 % headroom — CPU: needs 12 vCPU \(10 vCPU \+ 20 %\), has 2 vCPU/,
            },
            {
                title: "demand 10 vCPU on 11 vCPU with the default 20 % headroom",
                resources: [
                    ...service(),
                    nodeGroup("workload", {
                        instanceTypes: ["x1.custom"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 1 },
                    }),
                ],
                config: { instanceTypes: { "x1.custom": { vcpu: 11, memoryGiB: 64 } } },
                expect: /CPU: needs 12 vCPU/,
            },
            {
                title: "a DaemonSet on every node eats the per-node capacity",
                resources: [
                    ...service(),
                    workload("DaemonSet", {
                        name: "agent",
                        pod: (p) =>
                            (p.spec.containers[0].resources = {
                                requests: { cpu: "7", memory: "1Gi" },
                                limits: { cpu: "7", memory: "1Gi" },
                            }),
                    }),
                    nodeGroup("workload", {
                        instanceTypes: ["m6i.2xlarge"],
                        scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 10 },
                    }),
                ],
                expect: /has 10 vCPU/,
            },
            {
                title: "a NodePool whose limits are below the HPA maxima",
                resources: [
                    ...service(),
                    nodePool("general", (p) => (p.spec.limits = { cpu: "8", memory: "64Gi" })),
                ],
                expect: /NodePool general 8 vCPU\/64 GiB \(≤ 2 nodes\)\) must hold every HPA at its maximum with 20 % headroom — CPU: needs 12 vCPU/,
            },
            {
                title: "a NodePool without limits",
                resources: [...service(), nodePool("general", (p) => delete p.spec.limits)],
                expect: /NodePool general must set spec.limits.cpu and spec.limits.memory/,
            },
            {
                title: "a NodePool without bounded instance sizes",
                resources: [
                    ...service(),
                    nodePool("general", (p) => {
                        p.spec.template.spec.requirements =
                            p.spec.template.spec.requirements.filter(
                                (r: Obj) => r.key !== "karpenter.k8s.aws/instance-cpu",
                            );
                    }),
                ],
                expect: /NodePool general must bound its instance sizes/,
            },
            {
                title: "DaemonSets run on every node a NodePool's limit buys",
                resources: [
                    ...service(),
                    workload("DaemonSet", {
                        name: "agent",
                        pod: (p) =>
                            (p.spec.containers[0].resources = {
                                requests: { cpu: "3", memory: "1Gi" },
                                limits: { cpu: "3", memory: "1Gi" },
                            }),
                    }),
                    // 16 vCPU of 4-vCPU nodes: 4 nodes × 3 vCPU of agents leave 4 vCPU.
                    nodePool("general", (p) => (p.spec.limits = { cpu: "16", memory: "64Gi" })),
                ],
                expect: /has 4 vCPU/,
            },
            {
                title: "unknown instance type",
                resources: [
                    ...service(),
                    nodeGroup("workload", {
                        instanceTypes: ["zz9.mega"],
                        scalingConfig: { minSize: 1, desiredSize: 1, maxSize: 3 },
                    }),
                ],
                expect: /instance type zz9.mega must be added to the policy's instanceTypes config/,
            },
        ],
    },
    {
        policy: alertMetadata,
        pass: [
            {
                title: "complete alert next to a recording rule",
                resources: [
                    prometheusRule("monitoring", [
                        alert("ServiceDown"),
                        {
                            record: "job:mcp_requests:rate5m",
                            expr: "sum(rate(mcp_requests_total[5m]))",
                        },
                    ]),
                ],
            },
        ],
        fail: [
            {
                title: "no severity",
                resources: [
                    prometheusRule("monitoring", [
                        alert("ServiceDown", (r) => delete r.labels.severity),
                    ]),
                ],
                expect: /alert ServiceDown must set labels.severity to one of critical, warning, info \(got none\)/,
            },
            {
                title: "severity none",
                resources: [
                    prometheusRule("monitoring", [
                        alert("InfoInhibitor", (r) => (r.labels.severity = "none")),
                    ]),
                ],
                expect: /got none/,
            },
            {
                title: "no summary",
                resources: [
                    prometheusRule("monitoring", [
                        alert("HighErrorRate", (r) => delete r.annotations.summary),
                    ]),
                ],
                expect: /must set annotations.summary/,
            },
            {
                title: "no runbook_url",
                resources: [
                    prometheusRule("monitoring", [
                        alert("HighErrorRate", (r) => delete r.annotations.runbook_url),
                    ]),
                ],
                expect: /must set annotations.runbook_url/,
            },
            {
                title: "runbook_url not a URL",
                resources: [
                    prometheusRule("monitoring", [
                        alert(
                            "HighErrorRate",
                            (r) => (r.annotations.runbook_url = "docs/runbooks/HighErrorRate.md"),
                        ),
                    ]),
                ],
                expect: /must be an http\(s\) URL/,
            },
        ],
    },
    {
        policy: dataStoreBackup,
        pass: [
            {
                title: "postgres and redis with their backup CronJobs",
                resources: [
                    workload("StatefulSet", { name: "postgres-primary" }),
                    workload("StatefulSet", { name: "postgres-replica" }),
                    workload("StatefulSet", { name: "redis" }),
                    workload("CronJob", { name: "postgres-backup" }),
                    workload("CronJob", { name: "redis-backup" }),
                ],
            },
        ],
        fail: [
            {
                title: "postgres without a backup",
                resources: [
                    workload("StatefulSet", { name: "postgres-primary" }),
                    workload("CronJob", { name: "redis-backup" }),
                ],
                expect: /StatefulSet mcp-production\/postgres-primary must be backed up by a CronJob mcp-production\/postgres-backup/,
            },
            {
                title: "backup suspended",
                resources: [
                    workload("StatefulSet", { name: "redis" }),
                    workload("CronJob", { name: "redis-backup", spec: (s) => (s.suspend = true) }),
                ],
                expect: /must not be suspended/,
            },
            {
                title: "backup in another namespace",
                resources: [
                    workload("StatefulSet", { name: "redis" }),
                    workload("CronJob", { name: "redis-backup", namespace: "mcp-system" }),
                ],
            },
        ],
    },
];
