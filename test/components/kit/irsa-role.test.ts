import { describe, expect, it } from "vitest";
import { IrsaRole } from "../../../components/kit/irsa-role";
import { recordResources } from "../../support/pulumi";

const oidc = {
    providerArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    issuerHost: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
};

describe("IrsaRole", () => {
    it("trusts exactly one service account through the cluster's OIDC provider", async () => {
        const recorded = await recordResources(
            () =>
                new IrsaRole("backup", {
                    oidc,
                    serviceAccount: { namespace: "mcp-production", name: "postgres-backup" },
                    policy: JSON.stringify({ Version: "2012-10-17", Statement: [] }),
                }),
        );
        const role = recorded.one("aws:iam/role:Role", "backup-role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
        expect(trust.Statement).toHaveLength(1);
        expect(trust.Statement[0].Principal).toEqual({ Federated: oidc.providerArn });
        expect(trust.Statement[0].Condition.StringEquals).toEqual({
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":
                "system:serviceaccount:mcp-production:postgres-backup",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        });
        expect(recorded.ofType("aws:iam/rolePolicy:RolePolicy")).toHaveLength(1);
        expect(role.parent).toContain("mcp-platform:iam:IrsaRole::backup");
    });

    it("names children after the instance so two roles never collide", async () => {
        const recorded = await recordResources(() => {
            new IrsaRole("a", { oidc, serviceAccount: { namespace: "n", name: "a" } });
            new IrsaRole("b", { oidc, serviceAccount: { namespace: "n", name: "b" } });
        });
        const urns = recorded.records.map((r) => r.urn);
        expect(new Set(urns).size).toBe(urns.length);
        expect(recorded.ofType("aws:iam/rolePolicy:RolePolicy")).toHaveLength(0);
    });
});
