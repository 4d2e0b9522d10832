import type { Policy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { packEnforcementLevel, policies } from "../../policies/policies";
import { awsCases } from "./cases/aws";
import { eksSupportCases } from "./cases/aws-eks-support";
import { cloudflareCases } from "./cases/cloudflare";
import { imageCacheCases, imageOwnRegistryCases } from "./cases/kubernetes-image-cache";
import { podSecurityCases } from "./cases/kubernetes-pod-security";
import { clusterCases, rbacCases, workloadCases } from "./cases/kubernetes-workloads";
import { protectionCases } from "./cases/protection";
import { securityCases } from "./cases/security";
import { stackCases } from "./cases/stack";
import type { PolicyCases } from "./lib/cases";

/** Every fixture table the policy suites run. */
const tables = [
    ...podSecurityCases,
    ...workloadCases,
    ...imageCacheCases,
    ...imageOwnRegistryCases,
    ...rbacCases,
    ...clusterCases,
    ...awsCases,
    ...eksSupportCases,
    ...cloudflareCases,
    ...securityCases,
    ...stackCases,
    ...protectionCases,
];

/** Policies of `list` that lack a passing or a failing fixture in `cases`. */
function missingFixtures(list: readonly Policy[], cases: readonly PolicyCases[]): string[] {
    const missing: string[] = [];
    for (const policy of list) {
        const entries = cases.filter((t) => t.policy === policy);
        const pass = entries.reduce((n, t) => n + t.pass.length, 0);
        const fail = entries.reduce((n, t) => n + t.fail.length, 0);
        if (pass === 0) missing.push(`${policy.name}: no passing fixture`);
        if (fail === 0) missing.push(`${policy.name}: no failing fixture`);
    }
    return missing;
}

describe("the pack's policy list", () => {
    it("has at least one passing and one failing fixture for every policy", () => {
        expect(missingFixtures(policies, tables)).toEqual([]);
    });

    it("the check itself catches a policy without fixtures", () => {
        const [first] = tables;
        const untested: Policy = { name: "k8s-untested", description: "Checks whether nothing." };
        expect(
            missingFixtures(
                [first.policy, untested],
                [first, { ...first, policy: untested, fail: [] }],
            ),
        ).toEqual(["k8s-untested: no failing fixture"]);
        expect(missingFixtures([untested], [])).toEqual([
            "k8s-untested: no passing fixture",
            "k8s-untested: no failing fixture",
        ]);
    });

    it("tests only policies that are in the pack", () => {
        const strays = tables.filter((t) => !policies.includes(t.policy)).map((t) => t.policy.name);
        expect(strays).toEqual([]);
    });

    it("names every policy once, in kebab-case with an area prefix", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const name of names)
            expect(name).toMatch(/^(k8s|aws|cloudflare)-[a-z0-9]+(-[a-z0-9]+)*$/);
        expect(names).not.toContain("all");
    });

    it.each(policies.map((p) => [p.name, p] as const))(
        "%s is documented for users",
        (_name, policy) => {
            expect(policy.description).toMatch(/^Checks whether /);
            expect(policy.severity).toMatch(/^(low|medium|high|critical)$/);
            expect(policy.remediationSteps?.length ?? 0).toBeGreaterThan(20);
            expect(["mandatory", "advisory"]).toContain(policy.enforcementLevel);
            // The engine refuses a configSchema that declares enforcementLevel.
            expect(Object.keys(policy.configSchema?.properties ?? {})).not.toContain(
                "enforcementLevel",
            );
            for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
                expect(schema, `${key} has a default`).toHaveProperty("default");
            }
        },
    );

    it("blocks by default: the pack level is mandatory and advisory is the exception", () => {
        expect(packEnforcementLevel).toBe("mandatory");
        const advisory = policies
            .filter((p) => p.enforcementLevel === "advisory")
            .map((p) => p.name);
        expect(advisory.sort()).toEqual([
            "aws-cloudwatch-log-group-kms",
            // A quarter's notice before the mandatory aws-eks-version-standard-support fails.
            "aws-eks-version-support-ending",
            "k8s-service-account-no-automount",
        ]);
    });
});
