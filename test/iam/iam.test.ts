import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkAll, synthVariants } from "./check";
import type { PolicyDocument, StackModel } from "./model";
import { loadCallerFiles } from "./requests";

describe("IAM against the callers' real requests", () => {
    const models = synthVariants();
    const files = loadCallerFiles();

    it("allows every caller request and denies every outside request", async () => {
        const result = await checkAll(models, files);
        console.log(
            `iam: ${result.roles} roles, ${result.allowed.length} requests allowed, ` +
                `${result.denied.length} outside requests denied, ${result.unexpected.length} unexpected`,
        );
        expect(result.unexpected.map((u) => `${u.kind}: ${u.message}`)).toEqual([]);
    });

    /**
     * The Karpenter component's policy source, copied to a scratch file with the instance
     * profile tag put back to `karpenter.sh/nodeclass`, replaces the controller's synthesized
     * policy: the same evaluation then reports Karpenter's instance-profile calls as denied.
     */
    it("reports the denial when the Karpenter tag condition is put back to karpenter.sh/nodeclass", async () => {
        const source = path.resolve(__dirname, "../../components/cluster/karpenter-policy.ts");
        const original = fs.readFileSync(source, "utf8");
        const tag = 'karpenterNodeClassTag = "karpenter.k8s.aws/ec2nodeclass"';
        expect(original).toContain(tag);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "iam-scratch-"));
        const scratch = path.join(dir, "karpenter-policy.ts");
        fs.writeFileSync(
            scratch,
            original.replace(tag, 'karpenterNodeClassTag = "karpenter.sh/nodeclass"'),
        );

        const production = models.find((m) => m.variant === "production")!;
        const karpenter = files.filter((f) => f.file.endsWith("karpenter-controller.yaml"));
        const withPolicyFrom = async (module: string): Promise<StackModel> => {
            const { karpenterControllerPolicy } = (await import(
                module
            )) as typeof import("../../components/cluster/karpenter-policy");
            const v = production.values;
            const document = JSON.parse(
                karpenterControllerPolicy({
                    partition: v.partition,
                    accountId: v.account,
                    region: v.region,
                    clusterName: v.cluster,
                    nodeRoleArn: v["arn:karpenter-node"],
                    queueArn: v["arn:karpenter-interruption-queue"],
                    volumeKeyArn: v["key:eks-volumes-key"],
                }),
            ) as PolicyDocument;
            const role = production.roles.get("karpenter-controller-role")!;
            const roles = new Map(production.roles);
            roles.set(role.name, {
                ...role,
                identityPolicies: [{ name: "inline karpenter-controller-policy", document }],
            });
            return { ...production, roles };
        };

        // The component as it is: the regenerated policy passes, so the copy is faithful.
        const control = await checkAll([await withPolicyFrom(source)], karpenter, false);
        expect(control.unexpected).toEqual([]);

        const broken = await checkAll([await withPolicyFrom(scratch)], karpenter, false);
        const denied = broken.unexpected.filter((u) => u.kind === "denied").map((u) => u.message);
        for (const action of [
            "iam:CreateInstanceProfile",
            "iam:TagInstanceProfile",
            "iam:AddRoleToInstanceProfile",
            "iam:RemoveRoleFromInstanceProfile",
            "iam:DeleteInstanceProfile",
        ]) {
            expect(denied.some((m) => m.includes(` ${action} on `))).toBe(true);
        }
        expect(denied.every((m) => m.includes("inline karpenter-controller-policy"))).toBe(true);
        console.log(
            `iam (scratch copy, karpenter.sh/nodeclass): ${denied.length} requests denied, e.g. ${denied[0]}`,
        );
    });
});
