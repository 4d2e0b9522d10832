import { z } from "zod";
import { ipv4Cidr } from "./lib/validators";

/** `mcp-platform:network` — the VPC the cluster runs in. */
export const networkSchema = z.strictObject({
    /** The VPC's address range; subnets are carved from it per availability zone. */
    vpcCidr: ipv4Cidr,
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

export type NetworkConfig = z.output<typeof networkSchema>;
