import { beforeAll, describe, expect, it } from "vitest";
import { synth } from "../support/synth";
import {
    checkov,
    type Finding,
    keyOf,
    kubeLinter,
    kubeScore,
    type PeerException,
    readExceptions,
    tools,
    binaryOf,
} from "./peers";

/**
 * Independent judges over what the program renders: every finding of kube-linter,
 * kube-score and checkov on out/<stack>/k8s is either fixed or listed, with its reason, in
 * test/peers/exceptions.yaml; an entry that no longer matches anything is stale and fails too.
 */

const stacks = ["production", "dr"];
const findings: Finding[] = [];

beforeAll(() => {
    for (const stack of stacks) {
        const result = synth(stack);
        if (result.status !== 0) throw new Error(`synth ${stack} failed:\n${result.stderr}`);
        const dir = `${result.outDir}/k8s`;
        findings.push(...kubeLinter(dir), ...kubeScore(dir), ...checkov(dir));
    }
}, 900_000);

function excepted(finding: Finding, exceptions: readonly PeerException[]): boolean {
    return exceptions.some(
        (e) =>
            e.tool === finding.tool &&
            e.check === finding.check &&
            e.objects.includes(finding.object),
    );
}

describe("peer linters", () => {
    it.each(tools.map((t) => [t.name, t] as const))(
        "%s is installed at its pinned version",
        (_n, tool) => {
            expect(() => binaryOf(tool)).not.toThrow();
        },
    );

    it("report nothing that is not a reviewed exception", () => {
        const exceptions = readExceptions();
        const unexplained = [
            ...new Set(findings.filter((f) => !excepted(f, exceptions)).map(keyOf)),
        ];
        expect(
            unexplained,
            "fix these or list them with a reason in test/peers/exceptions.yaml",
        ).toEqual([]);
    });

    it("list no stale exception", () => {
        const keys = new Set(findings.map(keyOf));
        const stale = readExceptions().flatMap((e) =>
            e.objects
                .map((object) => `${e.tool} ${e.check} ${object}`)
                .filter((key) => !keys.has(key)),
        );
        expect(stale, "remove these entries from test/peers/exceptions.yaml").toEqual([]);
    });

    it("give every exception a reason", () => {
        for (const e of readExceptions())
            expect(e.reason.trim().length, `${e.tool} ${e.check}`).toBeGreaterThan(30);
    });

    it("judge both stacks", () => {
        // A tool that silently read nothing would pass the checks above.
        for (const tool of tools)
            expect(
                findings.some((f) => f.tool === tool.name),
                tool.name,
            ).toBe(true);
    });
});
