import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        include: ["test/**/*.test.ts"],
        // Pulumi's runtime is a process-wide singleton: one file per worker process.
        pool: "forks",
        testTimeout: 120_000,
        hookTimeout: 120_000,
    },
});
