import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { coversInternet } from "./lib/cidr";
import { asArray, configOf } from "./lib/config";

/**
 * Security groups open to the internet. Inline ingress blocks, aws.ec2.SecurityGroupRule
 * and aws.vpc.SecurityGroupIngressRule are judged alike; the CIDRs of one rule count
 * together, so 0.0.0.0/1 + 128.0.0.0/1 is the internet just as 0.0.0.0/0 is.
 */

const publicSchema = {
    properties: {
        publicPorts: {
            type: "array" as const,
            items: { type: "integer" as const },
            description: "Ports that may be open to the whole internet (HTTP and HTTPS).",
            default: [80, 443],
        },
    },
};

interface IngressRule {
    readonly protocol?: string;
    readonly fromPort?: number;
    readonly toPort?: number;
    readonly cidrs: string[];
}

/** Why an ingress rule open to the internet is refused; undefined when it is not. */
function publicIngressProblem(rule: IngressRule, publicPorts: number[]): string | undefined {
    if (!coversInternet(rule.cidrs)) return undefined;
    const protocol = String(rule.protocol ?? "").toLowerCase();
    if (protocol === "-1" || protocol === "all") {
        return "is open to the internet on every protocol and port";
    }
    const from = Number(rule.fromPort);
    const to = Number(rule.toPort);
    if (from === to && publicPorts.includes(from)) return undefined;
    const ports = from === to ? `port ${from}` : `ports ${from}-${to}`;
    return `is open to the internet on ${ports}; only ${publicPorts.join(", ")} may be`;
}

export const securityGroupNoPublicIngress: ResourceValidationPolicy = {
    name: "aws-ec2-security-group-no-public-ingress",
    description:
        "Checks whether a security group admits ingress from the whole internet (0.0.0.0/0, ::/0 or CIDRs that together cover it) on anything but ports 80 and 443.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["network-exposure"],
    configSchema: publicSchema,
    remediationSteps:
        "Limit the rule to the VPC CIDR or named CIDRs (office, VPN), or to the load balancer's security group; only 80/443 of a public load balancer may face the internet.",
    validateResource: [
        ...[aws.ec2.SecurityGroup, aws.ec2.DefaultSecurityGroup].map((cls) =>
            validateResourceOfType(
                cls as typeof aws.ec2.SecurityGroup,
                (group, args, reportViolation) => {
                    const { publicPorts } = configOf<{ publicPorts: number[] }>(publicSchema, args);
                    (group.ingress ?? []).forEach((block, index) => {
                        const problem = publicIngressProblem(
                            {
                                protocol: block.protocol,
                                fromPort: block.fromPort,
                                toPort: block.toPort,
                                cidrs: [
                                    ...asArray(block.cidrBlocks),
                                    ...asArray(block.ipv6CidrBlocks),
                                ],
                            },
                            publicPorts,
                        );
                        if (problem) {
                            reportViolation(
                                `Security group ${args.name} ingress[${index}] must not be public: it ${problem}.`,
                            );
                        }
                    });
                },
            ),
        ),
        validateResourceOfType(aws.ec2.SecurityGroupRule, (rule, args, reportViolation) => {
            if (rule.type !== "ingress") return;
            const { publicPorts } = configOf<{ publicPorts: number[] }>(publicSchema, args);
            const problem = publicIngressProblem(
                {
                    protocol: rule.protocol,
                    fromPort: rule.fromPort,
                    toPort: rule.toPort,
                    cidrs: [...asArray(rule.cidrBlocks), ...asArray(rule.ipv6CidrBlocks)],
                },
                publicPorts,
            );
            if (problem) {
                reportViolation(
                    `Security group rule ${args.name} must not be public: it ${problem}.`,
                );
            }
        }),
        validateResourceOfType(aws.vpc.SecurityGroupIngressRule, (rule, args, reportViolation) => {
            const { publicPorts } = configOf<{ publicPorts: number[] }>(publicSchema, args);
            const problem = publicIngressProblem(
                {
                    protocol: rule.ipProtocol,
                    fromPort: rule.fromPort,
                    toPort: rule.toPort,
                    cidrs: [rule.cidrIpv4, rule.cidrIpv6].filter((c): c is string => !!c),
                },
                publicPorts,
            );
            if (problem) {
                reportViolation(
                    `Security group ingress rule ${args.name} must not be public: it ${problem}.`,
                );
            }
        }),
    ],
};

export const awsNetworkPolicies: ResourceValidationPolicy[] = [securityGroupNoPublicIngress];
