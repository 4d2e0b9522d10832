import { afterEach, describe, expect, it } from "vitest";
import {
    eksStandardSupport,
    eksStandardSupportEnds,
    supportStatus,
} from "../../policies/aws-eks-support";
import { resourceViolations } from "../support/policy";
import { hardenedCluster } from "./lib/fixtures";

/** The date sources of the support-date policies, and the table's own consistency. */
describe("EKS standard-support dates", () => {
    const saved = process.env.MCP_POLICY_TODAY;
    afterEach(() => {
        if (saved === undefined) delete process.env.MCP_POLICY_TODAY;
        else process.env.MCP_POLICY_TODAY = saved;
    });
    const cluster134 = hardenedCluster((c) => (c.version = "1.34"));

    it("judges on MCP_POLICY_TODAY when the config leaves today empty", async () => {
        process.env.MCP_POLICY_TODAY = "2026-12-03";
        expect((await resourceViolations(eksStandardSupport, cluster134)) ?? []).toHaveLength(1);
        process.env.MCP_POLICY_TODAY = "2026-12-02";
        expect(await resourceViolations(eksStandardSupport, cluster134)).toEqual([]);
    });

    it("the config's today wins over the environment", async () => {
        process.env.MCP_POLICY_TODAY = "2026-12-03";
        expect(
            await resourceViolations(eksStandardSupport, cluster134, { today: "2026-12-01" }),
        ).toEqual([]);
    });

    it("refuses a malformed date instead of guessing", async () => {
        process.env.MCP_POLICY_TODAY = "tomorrow";
        await expect(resourceViolations(eksStandardSupport, cluster134)).rejects.toThrow(
            /today \(config, or MCP_POLICY_TODAY\) must be a date as YYYY-MM-DD \(got tomorrow\)/,
        );
    });

    it("lists each minor from 1.31 to 1.35, each ending after the one before", () => {
        const versions = Object.keys(eksStandardSupportEnds);
        expect(versions).toEqual(["1.31", "1.32", "1.33", "1.34", "1.35"]);
        const ends = versions.map((v) => eksStandardSupportEnds[v]);
        expect([...ends].sort()).toEqual(ends);
        expect(eksStandardSupportEnds["1.33"]).toBe("2026-07-29");
        expect(eksStandardSupportEnds["1.34"]).toBe("2026-12-02");
        expect(eksStandardSupportEnds["1.35"]).toBe("2027-03-27");
    });

    it("classifies the boundary days", () => {
        const on = (today: string) => supportStatus("1.35", today, eksStandardSupportEnds, 90).kind;
        expect([on("2026-12-26"), on("2026-12-27"), on("2027-03-27"), on("2027-03-28")]).toEqual([
            "supported",
            "ending",
            "ending",
            "ended",
        ]);
        expect(supportStatus("1.99", "2026-12-01", eksStandardSupportEnds, 90).kind).toBe(
            "unknown",
        );
    });
});
