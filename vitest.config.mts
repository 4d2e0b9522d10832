import { availableParallelism } from "node:os";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/**
 * The longest suites first: the e2e flow (test/e2e/real-engine.test.ts, most of its time spent
 * waiting on the engine and the control planes) starts at once and the rest of the suite runs
 * beside it, instead of it starting last on a fresh clone (vitest orders files it has no
 * timings for by size).
 */
class LongestFirst extends BaseSequencer {
    override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
        const sorted = await super.sort(files);
        const first = (file: TestSpecification) =>
            /\/test\/e2e\/real-engine\.test\.ts$/.test(file.moduleId) ? 0 : 1;
        return [...sorted].sort((a, b) => first(a) - first(b));
    }
}

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Pulumi's runtime is a process-wide singleton: one file per worker process.
        pool: "forks",
        // One worker more than the cores: the real-server suites mostly wait on their servers.
        maxWorkers: availableParallelism() + 1,
        sequence: { sequencer: LongestFirst },
        testTimeout: 120_000,
        hookTimeout: 120_000,
        // The EKS support-date policies judge the stacks as on this day, in every synth the
        // suites run (policies/aws-eks-support.ts): the suite means the same on every day.
        // `npm run synth` and `pulumi preview` outside the tests use the real date.
        env: { MCP_POLICY_TODAY: "2026-12-01" },
    },
});
