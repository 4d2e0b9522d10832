import * as fs from "node:fs";
import * as path from "node:path";
import * as ipaddr from "ipaddr.js";
import { parse } from "yaml";
import { z } from "zod";
import type { ConfigProblem } from "./lib/format";
import { ipv4Cidr } from "./lib/validators";

/** `mcp-platform:network` — the VPC the cluster runs in. */
export const networkSchema = z.strictObject({
    /**
     * The VPC's address range; subnets are carved from it per availability zone (a /19-sized
     * eighth per private subnet for pod IPs, /22-sized public subnets for load balancers at /16).
     * The prefix must be /16 to /22 so every public subnet keeps at least 16 addresses.
     */
    vpcCidr: ipv4Cidr.refine(
        (cidr) => {
            const prefix = Number(cidr.split("/")[1]);
            // A malformed CIDR is reported once, by ipv4Cidr.
            if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return true;
            return prefix >= 16 && prefix <= 22;
        },
        { message: "expected a VPC prefix between /16 and /22" },
    ),
    /** How many availability zones to spread subnets and nodes across. @default 3 */
    availabilityZoneCount: z.number().int().min(2).max(6).default(3),
    /**
     * `perAz` gives each zone its own NAT gateway (a zone outage cannot cut the others off);
     * `single` shares one, which is cheaper but a single point of failure. @default "perAz"
     */
    natGateways: z.enum(["perAz", "single"]).default("perAz"),
    /** How long VPC flow logs are kept in CloudWatch. @default 90 */
    flowLogRetentionDays: z.number().int().min(1).max(3653).default(90),
});

/** Stacks whose VPCs are peered for replication, so their ranges must not overlap. */
const vpcPeers: Readonly<Record<string, string>> = { production: "dr", dr: "production" };

function overlaps(a: string, b: string): boolean {
    if (!ipaddr.IPv4.isValidCIDR(a) || !ipaddr.IPv4.isValidCIDR(b)) return false;
    const [left, right] = [ipaddr.IPv4.parseCIDR(a), ipaddr.IPv4.parseCIDR(b)];
    return left[0].match(right) || right[0].match(left);
}

/**
 * The peer stack's `network.vpcCidr` read from `Pulumi.<peer>.yaml` in `stackDir`; a range
 * overlapping it is a problem. Nothing is checked when that file does not exist.
 */
export function peerVpcProblems(stack: string, vpcCidr: string, stackDir: string): ConfigProblem[] {
    const peer = vpcPeers[stack];
    if (peer === undefined) return [];
    const peerFile = path.join(stackDir, `Pulumi.${peer}.yaml`);
    if (!fs.existsSync(peerFile)) return [];
    let peerCidr: unknown;
    try {
        const doc = parse(fs.readFileSync(peerFile, "utf8")) as {
            config?: Record<string, { vpcCidr?: unknown } | undefined>;
        } | null;
        peerCidr = doc?.config?.["mcp-platform:network"]?.vpcCidr;
    } catch {
        // The peer's own synth reports its file's errors.
        return [];
    }
    if (typeof peerCidr !== "string" || !overlaps(vpcCidr, peerCidr)) return [];
    return [
        {
            keyPath: "mcp-platform:network.vpcCidr",
            expected: `expected a range that does not overlap the ${peer} stack's ${peerCidr} (Pulumi.${peer}.yaml)`,
            got: JSON.stringify(vpcCidr),
        },
    ];
}
