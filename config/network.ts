import { z } from "zod";
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
