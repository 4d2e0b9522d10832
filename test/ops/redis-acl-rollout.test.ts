import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTools } from "../support/ops";
import {
    fields,
    type RedisLab,
    type RedisLabNode,
    startRedisLab,
    until,
} from "../support/redis-lab";

/**
 * The first deploy of the Redis ACL users (docs/data.md, "Redis users") on real servers and
 * Sentinels: three pods that authenticate with one password are restarted one at a time, in
 * the StatefulSet's order (redis-2, redis-1, then redis-0, the primary), each by
 * ops/redis-start.sh with the component's users. A restarted replica must still sync from the
 * old primary and a restarted Sentinel still reach it and its peers: otherwise two restarted
 * Sentinels would count the primary as down (NOAUTH is no answer to them) and fail over to a
 * replica that never synced. redis-start.sh defines the users on the pods not yet restarted
 * first (share_users).
 */

const master = "mcp-cache";

describe("rolling out the Redis ACL users over password-only pods (redis-server, redis-sentinel)", () => {
    let lab: RedisLab;

    const epochs = async () => {
        const all: string[] = [];
        for (const node of lab.nodes) {
            all.push(
                fields(await lab.cli(node.sentinelPort, "sentinel", "master", master))[
                    "config-epoch"
                ]!,
            );
        }
        return all;
    };
    const restart = async (node: RedisLabNode) => {
        await lab.kill(node.sentinel);
        await lab.kill(node.server);
        lab.startServer(node, "users");
        lab.startSentinel(node, {}, "users");
        await until(`redis-${node.index} to answer again`, 30, async () =>
            (await lab.cli(node.port, "ping")) === "PONG" ? true : undefined,
        );
        await until(`redis-${node.index}'s Sentinel to answer again`, 30, async () =>
            (await lab.cli(node.sentinelPort, "ping")) === "PONG" ? true : undefined,
        );
    };
    const linkedTo = (node: RedisLabNode, primaryPort: number) =>
        until(`redis-${node.index} to sync from ${primaryPort}`, 30, async () => {
            const info = await lab.cli(node.port, "info", "replication");
            return info.includes(`master_port:${primaryPort}`) &&
                info.includes("master_link_status:up")
                ? true
                : undefined;
        });

    beforeAll(async () => {
        requireTools("redis", "sentinel");
        lab = await startRedisLab({
            auth: "password",
            password: "rollout-pass",
            sentinelEnv: { SENTINEL_FAILOVER_TIMEOUT_MS: "10000" },
        });
        for (let i = 0; i < 50; i++) await lab.cli(lab.nodes[0].port, "set", `key:${i}`, `v${i}`);
    }, 180_000);

    afterAll(async () => {
        await lab?.stop();
    });

    it("restarts the replicas with the users while the old primary keeps serving, without a failover", async () => {
        const [primary, ...replicas] = lab.nodes;
        expect(await epochs()).toEqual(["0", "0", "0"]);
        for (const node of [...replicas].reverse()) {
            await restart(node);
            await linkedTo(node, primary!.port);
        }
        // Two restarted Sentinels of three: long enough past the 5 s down-after for them to
        // have failed the primary over had they been refused by it or by each other.
        await new Promise((r) => setTimeout(r, 9000));
        expect(await epochs()).toEqual(["0", "0", "0"]);
        expect(await lab.primaryPort()).toBe(primary!.port);
        // The restarted replicas sync as `replica`, their Sentinels reach the old pods as
        // `sentinel`: defined there by redis-start.sh before they started.
        expect(await lab.cli(primary!.port, "acl", "users")).toContain("replica");
        for (const node of replicas) {
            expect(await lab.cli(node.port, "get", "key:49")).toBe("v49");
        }
        const clients = await lab.cli(primary!.port, "client", "list");
        expect(clients).toMatch(/ user=replica /);
        expect(clients).toMatch(/ user=sentinel /);
    }, 180_000);

    it("restarts the primary last; every pod then runs the users and the apps' user works", async () => {
        const [primary] = lab.nodes;
        await restart(primary!);
        const current = await until("the Sentinels to agree on a primary", 60, async () => {
            const ports = new Set<number>();
            for (const node of lab.nodes) {
                const reply = await lab.cli(
                    node.sentinelPort,
                    "sentinel",
                    "get-master-addr-by-name",
                    master,
                );
                ports.add(Number(reply.split("\n")[1]));
            }
            return ports.size === 1 ? [...ports][0] : undefined;
        });
        for (const node of lab.nodes.filter((n) => n.port !== current)) {
            await linkedTo(node, current!);
        }
        expect(await lab.cli(current!, "get", "key:0")).toBe("v0");
        const asApp = ["--user", "app", "--pass", lab.users.app];
        for (const node of lab.nodes) {
            expect(await lab.cli(node.port, ...asApp, "ping")).toBe("PONG");
            expect(await lab.cli(node.port, ...asApp, "config", "get", "maxmemory")).toMatch(
                /^NOPERM/,
            );
        }
    }, 180_000);
});
