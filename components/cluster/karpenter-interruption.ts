import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The events Karpenter acts on before AWS takes a node away: spot interruption warnings,
 * rebalance recommendations, instance state changes and AWS Health scheduled changes. Each
 * EventBridge rule sends them to the queue Karpenter reads (`settings.interruptionQueue`),
 * so it cordons and drains the node while there is still time.
 */
export const interruptionEvents = {
    "scheduled-change": { source: ["aws.health"], "detail-type": ["AWS Health Event"] },
    "spot-interruption": {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Spot Instance Interruption Warning"],
    },
    rebalance: { source: ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"] },
    "instance-state-change": {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
    },
} as const;

export interface KarpenterInterruptionArgs {
    /** The queue's name: the cluster's, as Karpenter's documentation names it. */
    readonly queueName: pulumi.Input<string>;
}

/** The queue policy: EventBridge (only these rules) and SQS may send; TLS only. */
export function interruptionQueuePolicy(
    queueArn: string,
    ruleArns: readonly string[],
    accountId: string,
): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "EventBridgeRules",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
            },
            {
                Sid: "SqsService",
                Effect: "Allow",
                Principal: { Service: "sqs.amazonaws.com" },
                Action: "sqs:SendMessage",
                Resource: queueArn,
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "sqs:*",
                Resource: queueArn,
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

/** Karpenter's interruption queue (SQS, server-side encrypted) and its EventBridge rules. */
export class KarpenterInterruption extends pulumi.ComponentResource {
    public readonly queueName: pulumi.Output<string>;
    public readonly queueArn: pulumi.Output<string>;

    constructor(
        name: string,
        args: KarpenterInterruptionArgs,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("mcp-platform:cluster:KarpenterInterruption", name, {}, opts);

        const queue = new aws.sqs.Queue(
            `${name}-queue`,
            {
                name: args.queueName,
                // An interruption warning is worth nothing after its two minutes.
                messageRetentionSeconds: 300,
                sqsManagedSseEnabled: true,
            },
            { parent: this },
        );
        const rules = Object.entries(interruptionEvents).map(([key, pattern]) => {
            const rule = new aws.cloudwatch.EventRule(
                `${name}-${key}`,
                {
                    description: `Karpenter interruption handling: ${pattern["detail-type"][0]}`,
                    eventPattern: JSON.stringify(pattern),
                },
                { parent: this },
            );
            new aws.cloudwatch.EventTarget(
                `${name}-${key}`,
                { rule: rule.name, arn: queue.arn, targetId: "KarpenterInterruptionQueue" },
                { parent: this },
            );
            return rule;
        });
        const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
        new aws.sqs.QueuePolicy(
            `${name}-queue`,
            {
                queueUrl: queue.url,
                policy: pulumi
                    .all([queue.arn, pulumi.all(rules.map((r) => r.arn)), accountId])
                    .apply(([arn, ruleArns, account]) =>
                        interruptionQueuePolicy(arn, ruleArns, account),
                    ),
            },
            { parent: this },
        );

        this.queueName = queue.name;
        this.queueArn = queue.arn;
        this.registerOutputs({ queueName: this.queueName, queueArn: this.queueArn });
    }
}
