import { describe, expect, it } from "vitest";
import { noWildcardResource } from "../../policies/aws-iam-documents";
import { coversInternet } from "../../policies/lib/cidr";
import { credentialKind } from "../../policies/lib/credentials";
import { resourceViolations } from "../support/policy";
import { synth } from "../support/synth";

describe("coversInternet", () => {
    it.each([
        [["0.0.0.0/0"], true],
        [["::/0"], true],
        [["0.0.0.0/1", "128.0.0.0/1"], true],
        [["128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2"], true],
        [["8000::/1", "::/1"], true],
        [["0.0.0.0/1", "128.0.0.0/2"], false],
        [["10.0.0.0/8", "172.16.0.0/12"], false],
        [["0.0.0.0/1", "::/1"], false],
        [["not-a-cidr", "300.0.0.0/1"], false],
    ])("%j → %s", (cidrs, expected) => {
        expect(coversInternet(cidrs)).toBe(expected);
    });
});

describe("credentialKind", () => {
    it("recognises the shapes the pack refuses and leaves ordinary config alone", () => {
        const secretKey = ["wJalrXUtnFEMI", "K7MDENG", "bPxRfiCYEXAMPLEKEY"].join("/");
        expect(credentialKind(`aws_secret_access_key = ${secretKey}`)).toBe(
            "an AWS secret access key",
        );
        expect(credentialKind(`xoxb-${"1234567890"}-abcdefghij`)).toBe("a Slack token");
        expect(credentialKind(`sk_live_${"a1b2c3d4".repeat(3)}`)).toBe("a Stripe live key");
        expect(credentialKind(`eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.${"sig".repeat(4)}`)).toBe(
            "a JSON Web Token",
        );
        // A git SHA is 40 hex characters, not a secret key.
        expect(credentialKind("c731829e0c1f3b7a1d9e5f4b2a6c8d0e1f2a3b4c")).toBeUndefined();
        expect(credentialKind("https://api-us-east-1.mcp-production.com/health")).toBeUndefined();
        expect(credentialKind("redis://:$(REDIS_PASSWORD)@redis:6379/0")).toBeUndefined();
    });
});

describe("the reviewed IAM exemption", () => {
    const alb = synth("production")
        .resources()
        .find((r) => r.name === "cluster-addons-alb-controller-policy");

    it("is needed by the real program: without it the controller's policy is refused", async () => {
        expect(alb, "the synth declares the controller policy").toBeDefined();
        expect(await resourceViolations(noWildcardResource, alb!)).toEqual([]);
        const refused = await resourceViolations(noWildcardResource, alb!, { exemptions: [] });
        expect(refused?.join("\n")).toMatch(/must scope wafv2:AssociateWebACL/);
    });
});
