/**
 * Pure builders for the log store: the collector's write policy limited to exactly those log
 * groups, and the saved Logs Insights queries operators run instead of `mcp logs`.
 */

/**
 * What the collector may do: create streams in, and put events to, exactly these log groups.
 * No CreateLogGroup and no PutRetentionPolicy: groups, retention and encryption are Pulumi's.
 */
export function logWriterPolicy(logGroupArns: readonly string[]): string {
    if (logGroupArns.length === 0) throw new Error("log writer policy: no log groups");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "WritePlatformLogGroups",
                Effect: "Allow",
                Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                Resource: logGroupArns.flatMap((arn) => [arn, `${arn}:log-stream:*`]),
            },
        ],
    });
}
