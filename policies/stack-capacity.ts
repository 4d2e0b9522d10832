import * as aws from "@pulumi/aws";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { configOf } from "./lib/config";
import {
    builtinInstanceTypes,
    eksDefaultInstanceType,
    type InstanceCapacity,
} from "./lib/instance-types";
import {
    autoscalerTarget,
    describeObject,
    type K8sObject,
    k8sObjects,
    ofKind,
    podRequests,
    type PodRequests,
    templateOf,
} from "./lib/k8s-objects";
import { formatCpu, formatMemory, gib, parseQuantity } from "./lib/quantity";
import { maxReplicas } from "./lib/replicas";
import { ofTypes, referenced } from "./lib/refs";

/**
 * Capacity rule (docs/policies.md, "The capacity rule"): the node groups at their maximum size
 * and the Karpenter NodePools at their limits must hold every HPA at its maximum, plus every
 * fixed-size workload, with headroom on top.
 *
 * demand   = Σ HPA maxReplicas × pod requests of its target
 *          + Σ replicas × pod requests of workloads no HPA scales (Deployment, StatefulSet,
 *            ReplicaSet; Jobs and CronJobs at their parallelism; bare Pods)
 * per node = Σ DaemonSet pod requests (a DaemonSet runs on every node)
 * capacity = Σ node groups maxSize × (smallest instance type of the group)
 *          + Σ NodePools spec.limits (cpu, memory), the most Karpenter may launch in the pool
 *          − per node × (node groups' maxSize + the nodes a pool's limit buys of its smallest
 *            size: limits.cpu / min karpenter.k8s.aws/instance-cpu, rounded up)
 * rule     : demand × (1 + headroom) ≤ capacity, for CPU and for memory.
 * Helm releases are opaque to the pack; their pods are part of what the headroom absorbs.
 */

const capacitySchema = {
    properties: {
        headroomPercent: {
            type: "number" as const,
            minimum: 0,
            description: "Spare capacity required above the demand at HPA maxima, in percent.",
            default: 20,
        },
        instanceTypes: {
            type: "object" as const,
            description:
                'Instance types to add to (or correct in) the built-in table: { "m6i.large": { "vcpu": 2, "memoryGiB": 8 } }.',
            additionalProperties: {
                type: "object" as const,
                properties: {
                    vcpu: { type: "number" as const, exclusiveMinimum: 0 },
                    memoryGiB: { type: "number" as const, exclusiveMinimum: 0 },
                },
                required: ["vcpu", "memoryGiB"],
            },
            default: {},
        },
    },
};

interface CapacityConfig {
    headroomPercent: number;
    instanceTypes: Record<string, InstanceCapacity>;
}

function scale(r: PodRequests, n: number): PodRequests {
    return { cpu: r.cpu * n, memory: r.memory * n };
}

function add(a: PodRequests, b: PodRequests): PodRequests {
    return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory };
}

/** Pod requests × the number of pods a workload can run at its maximum. */
function workloadDemand(workload: K8sObject, objects: readonly K8sObject[]): PodRequests {
    const template = templateOf(workload);
    if (!template) return { cpu: 0, memory: 0 };
    const pod = podRequests(template.spec);
    const spec = workload.props.spec ?? {};
    switch (workload.kind) {
        case "Job":
            return scale(pod, Number(spec.parallelism ?? 1));
        case "CronJob":
            return scale(pod, Number(spec.jobTemplate?.spec?.parallelism ?? 1));
        case "Pod":
            return pod;
        default:
            return scale(pod, maxReplicas(workload, objects));
    }
}

function instanceTypesOf(group: PolicyResource, launchTemplates: PolicyResource[]): string[] {
    const listed = (group.props.instanceTypes ?? []) as string[];
    if (listed.length > 0) return listed;
    const [template] = referenced(group, "launchTemplate", launchTemplates);
    const fromTemplate = template?.props.instanceType as string | undefined;
    return [fromTemplate ?? eksDefaultInstanceType];
}

/** The NodePools' custom resource type (Karpenter v1). */
export const nodePoolType = "kubernetes:karpenter.sh/v1:NodePool";

interface PoolCapacity {
    readonly capacity: PodRequests;
    /** Most nodes the limit buys (of the pool's smallest size). */
    readonly nodes: number;
    readonly label: string;
}

/** The smallest vCPU size a pool may launch, from its requirements; undefined when unbounded. */
function smallestPoolCpu(
    requirements: { key?: string; operator?: string; values?: string[] }[],
    table: Record<string, InstanceCapacity>,
): number | undefined {
    const cpus = requirements.find(
        (r) => r.key === "karpenter.k8s.aws/instance-cpu" && r.operator === "In",
    );
    if (cpus?.values?.length) return Math.min(...cpus.values.map(Number));
    const types = requirements.find(
        (r) => r.key === "node.kubernetes.io/instance-type" && r.operator === "In",
    );
    const known = (types?.values ?? []).filter((t) => table[t]);
    if (known.length > 0 && known.length === types!.values!.length) {
        return Math.min(...known.map((t) => table[t].vcpu));
    }
    return undefined;
}

/** A NodePool's ceiling, or what is missing to know it. */
function poolCapacity(
    pool: PolicyResource,
    table: Record<string, InstanceCapacity>,
): PoolCapacity | string {
    const name = pool.props.metadata?.name ?? pool.name;
    const spec = pool.props.spec ?? {};
    const cpu = parseQuantity(spec.limits?.cpu);
    const memory = parseQuantity(spec.limits?.memory);
    if (cpu === undefined || memory === undefined) {
        return `NodePool ${name} must set spec.limits.cpu and spec.limits.memory: without them Karpenter may launch without bound and capacity cannot be checked.`;
    }
    const smallest = smallestPoolCpu(spec.template?.spec?.requirements ?? [], table);
    if (smallest === undefined) {
        return `NodePool ${name} must bound its instance sizes (requirement karpenter.k8s.aws/instance-cpu In [...], or node.kubernetes.io/instance-type In known types) so the nodes its limit buys can be counted.`;
    }
    const nodes = Math.ceil(cpu / smallest);
    return {
        capacity: { cpu, memory },
        nodes,
        label: `NodePool ${name} ${formatCpu(cpu)}/${formatMemory(memory)} (≤ ${nodes} nodes)`,
    };
}

export const nodeCapacityHeadroom: StackValidationPolicy = {
    name: "k8s-stack-node-capacity-headroom",
    description:
        "Checks whether the EKS node groups at maxSize and the Karpenter NodePools at their limits can hold every HPA at its maximum plus all fixed-size workloads, with the configured headroom (20 % by default), in CPU and memory requests.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["capacity"],
    configSchema: capacitySchema,
    remediationSteps:
        "Raise the limits of the general NodePool in mcp-platform:cluster.karpenter.nodePools (or a node group's maxSize in mcp-platform:cluster.nodeGroups), or lower HPA maxReplicas / pod requests in the service catalog.",
    validateStack: (args, reportViolation) => {
        const config = configOf<CapacityConfig>(capacitySchema, args);
        const table = { ...builtinInstanceTypes, ...config.instanceTypes };
        const groups = ofTypes(args.resources, [aws.eks.NodeGroup]);
        const pools = args.resources.filter((r) => r.type === nodePoolType);
        if (groups.length === 0 && pools.length === 0) {
            return args.notApplicable("the stack declares no EKS node group and no NodePool");
        }
        const launchTemplates = ofTypes(args.resources, [aws.ec2.LaunchTemplate]);
        const objects = k8sObjects(args.resources);

        let nodes = 0;
        let capacity: PodRequests = { cpu: 0, memory: 0 };
        const perGroup: string[] = [];
        for (const group of groups) {
            const maxSize = Number(group.props.scalingConfig?.maxSize ?? 0);
            const types = instanceTypesOf(group, launchTemplates);
            const unknown = types.filter((t) => !table[t]);
            if (unknown.length > 0) {
                reportViolation(
                    `Node group ${group.name}: instance type ${unknown.join(", ")} must be added to the policy's instanceTypes config (vcpu, memoryGiB) so its capacity can be checked.`,
                    group.urn,
                );
                continue;
            }
            const smallest = {
                cpu: Math.min(...types.map((t) => table[t].vcpu)),
                memory: Math.min(...types.map((t) => table[t].memoryGiB * gib)),
            };
            nodes += maxSize;
            capacity = add(capacity, scale(smallest, maxSize));
            perGroup.push(`${group.name} ${maxSize}× ${types.join("/")}`);
        }
        for (const pool of pools) {
            const ceiling = poolCapacity(pool, table);
            if (typeof ceiling === "string") {
                reportViolation(ceiling, pool.urn);
                continue;
            }
            nodes += ceiling.nodes;
            capacity = add(capacity, ceiling.capacity);
            perGroup.push(ceiling.label);
        }

        const daemonSets = ofKind(objects, "DaemonSet");
        const perNode = daemonSets.reduce<PodRequests>(
            (sum, ds) => add(sum, podRequests(templateOf(ds)?.spec ?? { containers: [] })),
            { cpu: 0, memory: 0 },
        );
        capacity = add(capacity, scale(perNode, -nodes));

        const hpaTargets = new Set(
            ofKind(objects, "HorizontalPodAutoscaler").map((h) => autoscalerTarget(h, objects)),
        );
        let demand: PodRequests = { cpu: 0, memory: 0 };
        const largest: { what: string; cpu: number }[] = [];
        for (const workload of ofKind(
            objects,
            "Deployment",
            "StatefulSet",
            "ReplicaSet",
            "Job",
            "CronJob",
            "Pod",
        )) {
            const d = workloadDemand(workload, objects);
            demand = add(demand, d);
            largest.push({
                what: `${describeObject(workload)}${hpaTargets.has(workload) ? " (HPA max)" : ""}`,
                cpu: d.cpu,
            });
        }

        const factor = 1 + config.headroomPercent / 100;
        const short: string[] = [];
        if (demand.cpu * factor > capacity.cpu) {
            short.push(
                `CPU: needs ${formatCpu(demand.cpu * factor)} (${formatCpu(demand.cpu)} + ${config.headroomPercent} %), has ${formatCpu(capacity.cpu)}`,
            );
        }
        if (demand.memory * factor > capacity.memory) {
            short.push(
                `memory: needs ${formatMemory(demand.memory * factor)} (${formatMemory(demand.memory)} + ${config.headroomPercent} %), has ${formatMemory(capacity.memory)}`,
            );
        }
        if (short.length > 0) {
            const top = largest
                .sort((a, b) => b.cpu - a.cpu)
                .slice(0, 3)
                .map((l) => `${l.what} ${formatCpu(l.cpu)}`)
                .join(", ");
            reportViolation(
                `Node groups and pools (${perGroup.join(", ")}) must hold every HPA at its maximum with ${config.headroomPercent} % headroom — ${short.join("; ")}. Largest demands: ${top}.`,
            );
        }
    },
};
