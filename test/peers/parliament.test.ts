import { beforeAll, describe, expect, it } from "vitest";
import { synthVariants } from "../iam/check";
import type { ResourceRecord } from "../../tools/lib/records";
import { type StackModel, stackModel } from "../iam/model";
import { isExcepted, type LintedDocument, parliament, parliamentTool } from "./parliament";
import { binaryOf, type Finding, keyOf, readExceptions } from "./peers";

/**
 * parliament over every IAM policy document the synth writes (production, dr on standby, dr
 * activated): each finding is fixed or listed, with its reason, in test/peers/exceptions.yaml
 * (tool: parliament), and a listed finding that no longer occurs is stale.
 */

let models: StackModel[] = [];
let documents: LintedDocument[] = [];
let findings: Finding[] = [];

/** The document's name without its synth variant: the same policy in every stack. */
function stable(name: string): string {
    return name.replace(/^[a-z-]+: /, "");
}

beforeAll(() => {
    models = synthVariants();
    documents = models.flatMap((m) => m.documents.map((d) => ({ ...d, name: stable(d.name) })));
    findings = parliament(documents);
}, 900_000);

const ours = () => readExceptions().filter((e) => e.tool === "parliament");

function unexplained(found: readonly Finding[]): string[] {
    return [...new Set(found.filter((f) => !isExcepted(f, ours())).map(keyOf))].sort();
}

describe("parliament over the synthesized IAM policies", () => {
    it("is installed at its pinned version", () => {
        expect(() => binaryOf(parliamentTool)).not.toThrow();
    });

    it("reads every policy document the synth writes", () => {
        // A policy-bearing resource the model does not read would escape the linter.
        for (const model of models) expect(model.unread, model.variant).toEqual([]);
        expect(documents.some((d) => d.trustOf !== undefined)).toBe(true);
        expect(documents.some((d) => d.name.startsWith("key policy "))).toBe(true);
    });

    it("notices a policy-bearing resource the model does not read", () => {
        const policy = JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
        });
        const managed = { type: "aws:iam/policy:Policy", name: "extra", inputs: { policy } };
        const model = stackModel("production", "us-east-1", [managed as unknown as ResourceRecord]);
        expect(model.unread).toEqual(["aws:iam/policy:Policy extra inputs.policy"]);
    });

    it("reports nothing that is not a reviewed exception", () => {
        const keys = new Set(findings.map(keyOf));
        const excepted = [...keys].filter((k) =>
            findings.some((f) => keyOf(f) === k && isExcepted(f, ours())),
        );
        console.log(
            `parliament: ${documents.length} documents, ${keys.size} findings, ${excepted.length} excepted`,
        );
        expect(
            unexplained(findings),
            "fix these or list them with a reason in test/peers/exceptions.yaml",
        ).toEqual([]);
    });

    it("lists no stale exception", () => {
        const keys = new Set(findings.map(keyOf));
        const stale = ours().flatMap((e) =>
            e.objects
                .map((object) => `${e.tool} ${e.check} ${object}`)
                .filter((key) => !keys.has(key)),
        );
        expect(stale, "remove these entries from test/peers/exceptions.yaml").toEqual([]);
    });

    it("fails on a real mistake, in a policy with exceptions and in a trust policy", () => {
        const karpenter = documents.find((d) => d.name === "inline karpenter-controller-policy")!;
        const trust = documents.find((d) => d.name === "role karpenter-controller-role trust")!;
        const misspell = (value: unknown, from: string, to: string): unknown =>
            JSON.parse(JSON.stringify(value).replace(from, to));
        const scratch: LintedDocument[] = [
            // The same document name: its reviewed exceptions still apply, the new one does not.
            {
                ...karpenter,
                document: misspell(
                    karpenter.document,
                    '"ec2:DescribeImages"',
                    '"ec2:DescribeImage"',
                ),
            } as LintedDocument,
            {
                ...trust,
                document: misspell(
                    trust.document,
                    '"sts:AssumeRoleWithWebIdentity"',
                    '"sts:AssumeRoleWithWebIdentiy"',
                ),
            } as LintedDocument,
        ];
        expect(unexplained(parliament(scratch))).toEqual([
            "parliament UNKNOWN_ACTION inline karpenter-controller-policy statement ReadRegion (ec2:DescribeImage)",
            "parliament UNKNOWN_ACTION role karpenter-controller-role trust statement #0 (sts:AssumeRoleWithWebIdentiy)",
        ]);
    });
});
