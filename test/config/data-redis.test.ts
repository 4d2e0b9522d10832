import { describe, expect, it } from "vitest";
import { configProblems, parseStack } from "../support/config";

/** The redis part of `mcp-platform:data` (config/data.ts): replicas and Sentinel. */

describe("redis data config", () => {
    it("defaults to three pods and a 5 s Sentinel down-after on both stacks", () => {
        for (const stack of ["production", "dr"]) {
            const config = parseStack(stack, (ns) => {
                delete ns["mcp-platform"].data.redis.replicas;
                delete ns["mcp-platform"].data.redis.sentinelDownAfterMilliseconds;
            });
            expect(config.data.redis, stack).toMatchObject({
                replicas: 3,
                sentinelDownAfterMilliseconds: 5000,
            });
        }
    });

    it("rejects fewer than three pods and a down-after under five seconds, with the key path", () => {
        // 4999 ms: one under the floor. A down-after this short lets Sentinel fail a freshly
        // promoted primary over again (test/ops/redis-failover.test.ts shows it).
        const found = configProblems("production", (ns) => {
            ns["mcp-platform"].data.redis.replicas = 2;
            ns["mcp-platform"].data.redis.sentinelDownAfterMilliseconds = 4999;
        });
        expect(found).toHaveLength(2);
        expect(found[0]).toMatch(
            /^Pulumi\.production\.yaml: mcp-platform:data\.redis\.replicas: .*3/,
        );
        expect(found[1]).toMatch(
            /^Pulumi\.production\.yaml: mcp-platform:data\.redis\.sentinelDownAfterMilliseconds: expected a number >= 5000 \(got 4999\)/,
        );
    });
});
