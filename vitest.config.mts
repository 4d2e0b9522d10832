import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Pulumi's runtime is a process-wide singleton: one file per worker process.
        pool: "forks",
        testTimeout: 120_000,
        hookTimeout: 120_000,
        // The EKS support-date policies judge the stacks as on this day, in every synth the
        // suites run (policies/aws-eks-support.ts): the suite means the same on every day.
        // `npm run synth` and `pulumi preview` outside the tests use the real date.
        env: { MCP_POLICY_TODAY: "2026-12-01" },
    },
});
