import { beforeAll, describe, expect, it } from "vitest";
import { LogStorage, type LogStorageArgs } from "../../../components/logging/log-storage";
import { type Recorded, recordResources } from "../../support/pulumi";
import { requestIdPlaceholder, savedQueries } from "../../../contracts/logging";

const oidc = {
    providerArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    issuerHost: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
};
const args: LogStorageArgs = {
    groupPrefix: "/mcp-platform/test",
    namespaces: ["mcp-production", "logging"],
    oidc,
    writer: { namespace: "logging", name: "fluent-bit" },
};
const groupType = "aws:cloudwatch/logGroup:LogGroup";
const queryType = "aws:cloudwatch/queryDefinition:QueryDefinition";

describe("LogStorage", () => {
    let recorded: Recorded;
    beforeAll(async () => {
        recorded = await recordResources(() => new LogStorage("logs", args));
    });

    it("declares one group per namespace plus _other, 30-day retention by default, all on the CMK", () => {
        const groups = recorded.ofType(groupType);
        expect(groups.map((g) => g.inputs.name)).toEqual([
            "/mcp-platform/test/mcp-production",
            "/mcp-platform/test/logging",
            "/mcp-platform/test/_other",
        ]);
        const key = recorded.one("aws:kms/key:Key", "logs-key");
        for (const group of groups) {
            expect(group.inputs.retentionInDays).toBe(30);
            expect(group.inputs.kmsKeyId).toBe("arn:aws:kms:us-east-1:123456789012:logs-key");
        }
        expect(key.inputs.enableKeyRotation).toBe(true);
    });

    it("lets CloudWatch Logs use the key only for log groups under the prefix", () => {
        const policy = JSON.parse(
            recorded.one("aws:kms/key:Key", "logs-key").inputs.policy as string,
        );
        const logs = policy.Statement.find(
            (s: any) => s.Principal?.Service === "logs.us-east-1.amazonaws.com",
        );
        expect(logs.Condition).toEqual({
            ArnLike: {
                "kms:EncryptionContext:aws:logs:arn":
                    "arn:aws:logs:us-east-1:123456789012:log-group:/mcp-platform/test/*",
            },
        });
        expect(logs.Action).not.toContain("kms:*");
        const root = policy.Statement.find((s: any) => s.Principal?.AWS);
        expect(root.Principal.AWS).toBe("arn:aws:iam::123456789012:root");
        expect(recorded.one("aws:kms/alias:Alias", "logs-key-alias").inputs.name).toBe(
            "alias/mcp-platform/test/logs",
        );
    });

    it("gives the collector's service account a role that writes to exactly those groups", () => {
        const role = recorded.one("aws:iam/role:Role", "logs-writer-role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
        expect(trust.Statement[0].Condition.StringEquals[`${oidc.issuerHost}:sub`]).toBe(
            "system:serviceaccount:logging:fluent-bit",
        );
        const policy = JSON.parse(
            recorded.one("aws:iam/rolePolicy:RolePolicy", "logs-writer-policy").inputs
                .policy as string,
        );
        expect(policy.Statement).toHaveLength(1);
        const [statement] = policy.Statement;
        expect(statement.Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
        const arns = recorded
            .ofType(groupType)
            .map((g) => `arn:aws:logs:us-east-1:123456789012:log-group:${g.inputs.name}`);
        expect(statement.Resource).toEqual(arns.flatMap((arn) => [arn, `${arn}:log-stream:*`]));
        expect(JSON.stringify(policy)).not.toMatch(/CreateLogGroup|PutRetentionPolicy|"\*"/);
    });

    it("saves the manuals' three searches over every platform log group", () => {
        const queries = recorded.ofType(queryType);
        expect(queries.map((q) => q.inputs.name)).toEqual([
            "mcp-platform/test/errors-by-service",
            "mcp-platform/test/request-trace",
            "mcp-platform/test/slow-requests",
        ]);
        for (const query of queries) {
            expect(query.inputs.logGroupNames).toEqual(
                recorded.ofType(groupType).map((g) => g.inputs.name),
            );
        }
        const [errors, trace, slow] = queries.map((q) => q.inputs.queryString as string);
        expect(errors).toContain('lvl = "error"');
        expect(errors).toContain("toMillis(@timestamp) >= now() * 1000 - 86400000");
        expect(errors).toContain("by svc");
        expect(trace).toContain(`filter request_id = "${requestIdPlaceholder}"`);
        expect(trace).toContain("sort @timestamp asc");
        expect(slow).toContain("duration_ms > 500");
    });

    it("takes the slow-request threshold and retention from its args", async () => {
        const custom = await recordResources(
            () =>
                new LogStorage("custom", {
                    ...args,
                    retentionDays: 90,
                    slowRequestThresholdMs: 1000,
                    queryFolder: "ops",
                }),
        );
        expect(custom.ofType(groupType).every((g) => g.inputs.retentionInDays === 90)).toBe(true);
        const slow = custom.one(queryType, "custom-query-slow-requests");
        expect(slow.inputs.name).toBe("ops/slow-requests");
        expect(slow.inputs.queryString).toContain("duration_ms > 1000");
        expect(() => savedQueries(0)).toThrow(/positive/);
    });

    it("names children after the instance so two stores never collide", async () => {
        const two = await recordResources(() => {
            new LogStorage("a", { ...args, groupPrefix: "/a" });
            new LogStorage("b", { ...args, groupPrefix: "/b" });
        });
        const urns = two.records.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
        expect(two.records.filter((r) => r.parent?.includes("LogStorage::a")).length).toBe(
            two.records.filter((r) => r.parent?.includes("LogStorage::b")).length,
        );
    });
});
