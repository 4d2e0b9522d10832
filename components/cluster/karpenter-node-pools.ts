/**
 * Karpenter's NodePools and EC2NodeClass as plain manifests (pure functions, so tests validate
 * them against the Karpenter schemas and the real apiserver), and the disruption budgets that
 * keep node churn out of the maintenance windows.
 */

import { dataStoreNodePool, ebsVolumeType } from "../../contracts/names";
import { karpenterDiscoveryTag } from "../network/subnets";
import type { MaintenanceWindow } from "../../contracts/monitoring";

/** The EC2NodeClass every pool launches from. */
export const nodeClassName = "mcp-platform";
/** The NodePool of the stateless MCP services. */
export const generalNodePoolName = "general";
/** Label every Karpenter node carries with its pool (as the managed groups carry theirs). */
const nodePoolLabel = dataStoreNodePool.labelKey;

type Obj = Record<string, unknown>;

/** One Karpenter disruption budget (`spec.disruption.budgets[]`). */
export interface DisruptionBudget {
    readonly nodes: string;
    readonly schedule?: string;
    readonly duration?: string;
    readonly reasons?: readonly ("Drifted" | "Underutilized" | "Empty")[];
}

const weekdayNumbers: Record<string, number> = {
    sunday: 0,
    monday: 1,
    tuesday: 2,
    wednesday: 3,
    thursday: 4,
    friday: 5,
    saturday: 6,
};
const minutesPerWeek = 7 * 24 * 60;

function minutesOf(clock: string): number {
    const [hours, minutes] = clock.split(":").map(Number);
    return hours * 60 + minutes;
}

/** A Go duration for whole minutes, e.g. 150 → "2h30m". */
export function goDuration(minutes: number): string {
    const hours = Math.floor(minutes / 60);
    const rest = minutes % 60;
    return `${hours > 0 ? `${hours}h` : ""}${rest > 0 || hours === 0 ? `${rest}m` : ""}`;
}

/** A Karpenter NodePool's capacity, limits and disruption budget. */
export interface NodePoolSettings {
    readonly capacityTypes: ("spot" | "on-demand")[];
    readonly instanceCategories: ("c" | "m" | "r")[];
    readonly instanceCpu: number[];
    readonly limits: { readonly cpu: number; readonly memoryGiB: number };
    readonly consolidationPolicy: "WhenEmpty" | "WhenEmptyOrUnderutilized";
    /** A duration such as `1m`. */
    readonly consolidateAfter: string;
    /** A share of the pool's nodes such as `10%`. */
    readonly maxDisruption: string;
    /** A duration such as `720h`. */
    readonly expireAfter: string;
}

/** The windows' weekly intervals in minutes from Sunday 00:00, merged and sorted. */
function weeklyIntervals(windows: readonly MaintenanceWindow[]): [number, number][] {
    const intervals = windows.flatMap((w) =>
        w.weekdays.map((day): [number, number] => {
            const base = weekdayNumbers[day] * 24 * 60;
            return [base + minutesOf(w.start), base + minutesOf(w.end)];
        }),
    );
    intervals.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [start, end] of intervals) {
        const last = merged.at(-1);
        if (last && start <= last[1]) last[1] = Math.max(last[1], end);
        else merged.push([start, end]);
    }
    return merged;
}

function cronAt(minuteOfWeek: number): string {
    const day = Math.floor(minuteOfWeek / (24 * 60)) % 7;
    const hour = Math.floor((minuteOfWeek % (24 * 60)) / 60);
    return `${minuteOfWeek % 60} ${hour} * * ${day}`;
}

/**
 * Budgets of a pool that may disrupt at any time except in the maintenance windows: `nodes: 0`
 * from each window's start for its length (Karpenter applies the most restrictive active
 * budget). During a window alerts are muted and operators run procedures; node churn then
 * would go unnoticed. A window limited to some days of the month (`daysOfMonth`) blocks every
 * one of its weekdays: cron cannot say "first Saturday", and blocking more is the safe side.
 */
export function budgetsOutsideWindows(
    maxDisruption: string,
    windows: readonly MaintenanceWindow[],
): DisruptionBudget[] {
    return [
        { nodes: maxDisruption },
        ...weeklyIntervals(windows).map(([start, end]) => ({
            nodes: "0",
            schedule: cronAt(start),
            duration: goDuration(end - start),
        })),
    ];
}

/**
 * Budgets of a pool that replaces its nodes only inside the maintenance windows (the data
 * stores: moving a database is a restart). Empty nodes may go at any time; drift and
 * underutilization are blocked (`nodes: 0`) in every gap between the windows. Only windows of
 * every week count (those with `daysOfMonth` are left out: allowing less is the safe side);
 * with none, drift waits for an operator (docs/cluster.md, "Karpenter").
 */
export function budgetsInsideWindows(
    maxDisruption: string,
    windows: readonly MaintenanceWindow[],
): DisruptionBudget[] {
    const weekly = weeklyIntervals(windows.filter((w) => w.daysOfMonth === undefined));
    const reasons = ["Drifted", "Underutilized"] as const;
    if (weekly.length === 0) return [{ nodes: maxDisruption }, { nodes: "0", reasons }];
    const gaps = weekly.map(([, end], index): DisruptionBudget => {
        const nextStart =
            index + 1 < weekly.length ? weekly[index + 1][0] : weekly[0][0] + minutesPerWeek;
        return {
            nodes: "0",
            reasons,
            schedule: cronAt(end % minutesPerWeek),
            duration: goDuration(nextStart - end),
        };
    });
    return [{ nodes: maxDisruption }, ...gaps];
}

export interface NodePoolSpec {
    readonly name: string;
    readonly pool: NodePoolSettings;
    readonly budgets: readonly DisruptionBudget[];
    /** Taints that keep other pods off the pool's nodes. @default none */
    readonly taints?: readonly { key: string; value: string; effect: string }[];
}

/** A `karpenter.sh/v1` NodePool manifest. */
export function nodePoolManifest(spec: NodePoolSpec): Obj {
    const { pool } = spec;
    return {
        apiVersion: "karpenter.sh/v1",
        kind: "NodePool",
        metadata: { name: spec.name },
        spec: {
            template: {
                metadata: { labels: { [nodePoolLabel]: spec.name } },
                spec: {
                    nodeClassRef: {
                        group: "karpenter.k8s.aws",
                        kind: "EC2NodeClass",
                        name: nodeClassName,
                    },
                    requirements: [
                        {
                            key: "karpenter.sh/capacity-type",
                            operator: "In",
                            values: [...pool.capacityTypes],
                        },
                        { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
                        { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
                        {
                            key: "karpenter.k8s.aws/instance-category",
                            operator: "In",
                            values: [...pool.instanceCategories],
                        },
                        {
                            key: "karpenter.k8s.aws/instance-cpu",
                            operator: "In",
                            values: pool.instanceCpu.map(String),
                        },
                        // Current generations only (Nitro, gp3 and IMDSv2 everywhere).
                        {
                            key: "karpenter.k8s.aws/instance-generation",
                            operator: "Gt",
                            values: ["5"],
                        },
                    ],
                    taints: (spec.taints ?? []).map((t) => ({ ...t })),
                    expireAfter: pool.expireAfter,
                    // A drain that pods' PodDisruptionBudgets block ends after this long.
                    terminationGracePeriod: "48h",
                },
            },
            disruption: {
                consolidationPolicy: pool.consolidationPolicy,
                consolidateAfter: pool.consolidateAfter,
                budgets: spec.budgets.map((b) => ({
                    ...b,
                    ...(b.reasons ? { reasons: [...b.reasons] } : {}),
                })),
            },
            limits: { cpu: String(pool.limits.cpu), memory: `${pool.limits.memoryGiB}Gi` },
        },
    };
}

export interface NodeClassSpec {
    /** The cluster name: the `karpenter.sh/discovery` value of subnets and security groups. */
    readonly clusterName: string;
    /** The IAM role of Karpenter's nodes (Karpenter creates the instance profile). */
    readonly nodeRoleName: string;
    /** e.g. `al2023@v20260903`. */
    readonly amiAlias: string;
    readonly rootVolumeGiB: number;
    /** The customer-managed key of the cluster's volumes. */
    readonly volumeKeyArn: string;
}

/** The `karpenter.k8s.aws/v1` EC2NodeClass manifest. */
export function ec2NodeClassManifest(spec: NodeClassSpec): Obj {
    const discovery = { [karpenterDiscoveryTag]: spec.clusterName };
    return {
        apiVersion: "karpenter.k8s.aws/v1",
        kind: "EC2NodeClass",
        metadata: { name: nodeClassName },
        spec: {
            role: spec.nodeRoleName,
            amiSelectorTerms: [{ alias: spec.amiAlias }],
            subnetSelectorTerms: [{ tags: discovery }],
            securityGroupSelectorTerms: [{ tags: discovery }],
            // IMDSv2 only, one hop: pods cannot reach the node's credentials (they use IRSA).
            metadataOptions: {
                httpEndpoint: "enabled",
                httpProtocolIPv6: "disabled",
                httpPutResponseHopLimit: 1,
                httpTokens: "required",
            },
            blockDeviceMappings: [
                {
                    deviceName: "/dev/xvda",
                    ebs: {
                        volumeSize: `${spec.rootVolumeGiB}Gi`,
                        volumeType: ebsVolumeType,
                        encrypted: true,
                        kmsKeyID: spec.volumeKeyArn,
                        deleteOnTermination: true,
                    },
                },
            ],
            detailedMonitoring: true,
            tags: { "mcp-platform.io/karpenter-node-class": nodeClassName },
        },
    };
}
