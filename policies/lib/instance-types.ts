/**
 * vCPU and memory of the EC2 instance types node groups use, for the capacity policy.
 * Figures are the instance's nominal size (AWS instance type pages); the kubelet's reserve
 * and add-ons (Helm releases the pack cannot see) are what the capacity headroom absorbs.
 * Types not listed here are added through the policy's `instanceTypes` config.
 */
export interface InstanceCapacity {
    readonly vcpu: number;
    readonly memoryGiB: number;
}

const sizes: Record<string, number> = {
    large: 2,
    xlarge: 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
};

/** GiB of memory per vCPU by family class: general purpose, compute, memory optimised. */
const families: Record<string, number> = {
    m5: 4,
    m5a: 4,
    m6i: 4,
    m6a: 4,
    m6g: 4,
    m7i: 4,
    m7a: 4,
    m7g: 4,
    c6i: 2,
    c6a: 2,
    c6g: 2,
    c7i: 2,
    c7a: 2,
    c7g: 2,
    r5: 8,
    r6i: 8,
    r6a: 8,
    r6g: 8,
    r7i: 8,
    r7g: 8,
};

export const builtinInstanceTypes: Readonly<Record<string, InstanceCapacity>> = (() => {
    const table: Record<string, InstanceCapacity> = {
        "t3.medium": { vcpu: 2, memoryGiB: 4 },
        "t3.large": { vcpu: 2, memoryGiB: 8 },
        "t3.xlarge": { vcpu: 4, memoryGiB: 16 },
        "t3.2xlarge": { vcpu: 8, memoryGiB: 32 },
    };
    for (const [family, gibPerVcpu] of Object.entries(families)) {
        for (const [size, vcpu] of Object.entries(sizes)) {
            table[`${family}.${size}`] = { vcpu, memoryGiB: vcpu * gibPerVcpu };
        }
    }
    return table;
})();

/** The instance type EKS managed node groups use when none is given. */
export const eksDefaultInstanceType = "t3.medium";
