import * as ipaddr from "ipaddr.js";
import { karpenterDiscoveryTag } from "../../contracts/names";

/**
 * How the VPC's address range is carved into subnets, one private and one public per zone.
 *
 * The VPC is cut into eighths. Zone i's private subnet is eighth i (a /19 in a /16): with the
 * VPC CNI every pod takes a VPC address, so private subnets get the space. The last eighth is
 * cut into eighths again for the public subnets (a /22 each in a /16), which only hold load
 * balancers and NAT gateways. Six zones at most, so the two never overlap.
 */
export interface SubnetLayout {
    readonly privateCidrs: string[];
    readonly publicCidrs: string[];
}

/** The `index`-th block of `newBits` more prefix bits inside `cidr` (Terraform's cidrsubnet). */
export function cidrSubnet(cidr: string, newBits: number, index: number): string {
    const [address, prefix] = ipaddr.IPv4.parseCIDR(cidr);
    const newPrefix = prefix + newBits;
    if (newPrefix > 32) throw new Error(`cannot add ${newBits} bits to ${cidr}`);
    if (index < 0 || index >= 2 ** newBits) {
        throw new Error(`${cidr} has no subnet #${index} of /${newPrefix}`);
    }
    const base = address.toByteArray().reduce((n, byte) => n * 256 + byte, 0);
    const start = base + index * 2 ** (32 - newPrefix);
    const bytes = [24, 16, 8, 0].map((shift) => Math.floor(start / 2 ** shift) % 256);
    return `${bytes.join(".")}/${newPrefix}`;
}

export function subnetLayout(vpcCidr: string, zoneCount: number): SubnetLayout {
    if (zoneCount < 1 || zoneCount > 7) {
        throw new Error(`expected 1 to 7 availability zones, got ${zoneCount}`);
    }
    const zones = [...Array(zoneCount).keys()];
    const publicBlock = cidrSubnet(vpcCidr, 3, 7);
    return {
        privateCidrs: zones.map((zone) => cidrSubnet(vpcCidr, 3, zone)),
        publicCidrs: zones.map((zone) => cidrSubnet(publicBlock, 3, zone)),
    };
}

/**
 * Tags of the subnets nodes run in: the private ones only, so Karpenter never launches a node
 * with a route to the internet gateway. Untagged when no cluster uses the network.
 */
export function nodeSubnetTags(clusterName?: string): Record<string, string> {
    return clusterName ? { [karpenterDiscoveryTag]: clusterName } : {};
}
