import { z } from "zod";
import { iamRoleArn, ipv4Cidr } from "./lib/validators";

/** One managed node group's capacity. */
export const nodeGroupSchema = z
    .strictObject({
        instanceTypes: z
            .array(
                z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, {
                    message: "expected an EC2 instance type such as m6i.large",
                }),
            )
            .min(1),
        minSize: z.number().int().min(0),
        desiredSize: z.number().int().min(0),
        maxSize: z.number().int().min(1),
        /** Root volume size (encrypted gp3). @default 50 */
        diskSizeGiB: z.number().int().min(20).max(16384).default(50),
    })
    .superRefine((group, ctx) => {
        if (group.minSize > group.maxSize) {
            ctx.addIssue({
                code: "custom",
                path: ["minSize"],
                input: group.minSize,
                message: `expected minSize <= maxSize (${group.maxSize})`,
            });
        }
        if (group.desiredSize < group.minSize || group.desiredSize > group.maxSize) {
            ctx.addIssue({
                code: "custom",
                path: ["desiredSize"],
                input: group.desiredSize,
                message: `expected desiredSize between minSize (${group.minSize}) and maxSize (${group.maxSize})`,
            });
        }
    });

/** `mcp-platform:cluster` — the EKS control plane and its node groups. */
export const clusterSchema = z.strictObject({
    /** Kubernetes minor version of the control plane, e.g. "1.33". */
    version: z
        .string()
        .regex(/^1\.\d{2}$/, { message: 'expected a Kubernetes version such as "1.33"' }),
    /**
     * CIDRs allowed to reach the public API endpoint. Empty keeps the endpoint private-only
     * (CIS 5.4.2). `0.0.0.0/0` is refused (CIS 5.4.1). @default []
     */
    endpointPublicAccessCidrs: z
        .array(
            ipv4Cidr.refine((cidr) => !cidr.endsWith("/0"), {
                message: "expected a restricted CIDR; 0.0.0.0/0 opens the API to the internet",
            }),
        )
        .default([]),
    /** IAM roles granted cluster-admin through EKS access entries. At least one. */
    adminRoleArns: z.array(iamRoleArn).min(1),
    /** Control-plane log retention in CloudWatch. @default 90 */
    logRetentionDays: z.number().int().min(1).max(3653).default(90),
    nodeGroups: z.strictObject({
        /** Runs cluster add-ons (CoreDNS, monitoring, ingress). */
        system: nodeGroupSchema,
        /** Runs the MCP services and the data layer. */
        workload: nodeGroupSchema,
    }),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type NodeGroupConfig = z.output<typeof nodeGroupSchema>;
