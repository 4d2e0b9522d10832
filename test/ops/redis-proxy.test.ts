import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisProxyConfig } from "../../components/data/redis-proxy-config";
import { sentinelQuorum } from "../../components/data/redis-config";
import { freePort, requireTools, run, tempDir } from "../support/ops";
import { type RedisLab, startRedisLab, until } from "../support/redis-lab";

/**
 * The primary-following endpoint (`redis-proxy` behind the Service `redis`) with the real
 * tools: Debian's HAProxy runs the configuration text the component deploys
 * (components/data/redis-proxy-config.ts), in front of three redis-server and three
 * redis-sentinel processes started by ops/redis-start.sh. An application that only knows a
 * Redis URL (ioredis given nothing but the URL) writes without pause while the primary is
 * killed, and while an operator switches the primary with `SENTINEL FAILOVER`.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Write {
    readonly n: number;
    readonly at: number;
    readonly ok: boolean;
    readonly error?: string;
}

/** One client that writes w:<n> = n, one write after the other, until stopped. */
function writer(url: string) {
    const client = new Redis(url);
    client.on("error", () => undefined);
    const writes: Write[] = [];
    let running = true;
    const done = (async () => {
        for (let n = 0; running; n++) {
            try {
                await client.set(`w:${n}`, String(n));
                writes.push({ n, at: Date.now(), ok: true });
            } catch (error) {
                writes.push({ n, at: Date.now(), ok: false, error: String(error) });
                await sleep(50);
            }
        }
    })();
    return {
        client,
        writes,
        /** Wait for `count` successful writes after `since`. */
        async succeeded(count: number, since: number, seconds: number) {
            return until(`${count} writes through the proxy`, seconds, async () =>
                writes.filter((w) => w.ok && w.at > since).length >= count ? true : undefined,
            );
        },
        async stop() {
            running = false;
            await done;
            client.disconnect();
        },
    };
}

/**
 * The longest time the writer went without an acknowledged write after `since` (the client
 * retries on its own, so a gap shows as one slow write as often as as failed ones), and how
 * many writes failed.
 */
function longestGap(writes: readonly Write[], since: number): { seconds: number; failed: number } {
    let previous = since;
    let longest = 0;
    for (const w of writes) {
        if (w.at < since || !w.ok) continue;
        longest = Math.max(longest, w.at - previous);
        previous = w.at;
    }
    return {
        seconds: longest / 1000,
        failed: writes.filter((w) => w.at >= since && !w.ok).length,
    };
}

describe("redis-proxy: a URL-only client through a Sentinel failover (haproxy, redis, sentinel)", () => {
    let lab: RedisLab;
    let proxy: ChildProcess;
    let proxyPort: number;
    let url: string;
    let proxyLog: string;

    beforeAll(async () => {
        requireTools("redis", "sentinel", "haproxy");
        lab = await startRedisLab({
            password: "proxy-pass",
            sentinelEnv: { SENTINEL_FAILOVER_TIMEOUT_MS: "10000" },
        });
        proxyPort = await freePort();
        const dir = tempDir("redis-proxy");
        const config = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(
            config,
            redisProxyConfig({
                servers: lab.nodes.map((n) => ({
                    name: `redis-${n.index}`,
                    host: "127.0.0.1",
                    port: n.port,
                    sentinelPort: n.sentinelPort,
                })),
                master: lab.master,
                quorum: sentinelQuorum(lab.nodes.length),
                bind: `127.0.0.1:${proxyPort}`,
                resolveNames: false,
                authUser: "redis-proxy",
            }),
        );
        const checked = await run("haproxy", ["-c", "-f", config], {
            env: { REDIS_PASSWORD: lab.users.proxy },
        });
        expect(checked.status, checked.stdout + checked.stderr).toBe(0);
        proxyLog = path.join(dir, "haproxy.log");
        const out = fs.openSync(proxyLog, "a");
        proxy = spawn("haproxy", ["-db", "-f", config], {
            env: { PATH: process.env.PATH, REDIS_PASSWORD: lab.users.proxy },
            stdio: ["ignore", out, out],
        });
        url = `redis://app:${lab.users.app}@127.0.0.1:${proxyPort}/0`;
    }, 180_000);

    afterAll(async () => {
        await lab?.kill(proxy);
        await lab?.stop();
    });

    /** The server a connection through the proxy lands on (its INFO server tcp_port). */
    const landsOn = async () => {
        const client = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
        client.on("error", () => undefined);
        try {
            const info = await client.info("server");
            return Number(/tcp_port:(\d+)/.exec(info)?.[1]);
        } finally {
            client.disconnect();
        }
    };

    /** The writes among `writes` that the server on `port` does not hold. */
    const missingOn = async (port: number, writes: readonly Write[]) => {
        const direct = new Redis({ port, password: lab.password, lazyConnect: true });
        try {
            await direct.connect();
            const missing: Write[] = [];
            for (let i = 0; i < writes.length; i += 500) {
                const batch = writes.slice(i, i + 500);
                const values = await direct.mget(...batch.map((x) => `w:${x.n}`));
                batch.forEach((x, j) => {
                    if (values[j] !== String(x.n)) missing.push(x);
                });
            }
            return missing;
        } finally {
            direct.disconnect();
        }
    };

    it("sends a URL-only client to the primary the Sentinels name, never to a replica", async () => {
        const primary = await lab.primaryPort();
        expect(await until("the proxy to route to the primary", 30, landsOn)).toBe(primary);
        for (let i = 0; i < 5; i++) expect(await landsOn()).toBe(primary);
        const client = new Redis(url);
        try {
            expect(await client.set("hello", "world")).toBe("OK");
            expect(await lab.cli(primary, "get", "hello")).toBe("world");
            expect((await client.info("replication")).split("\r\n")).toContain("role:master");
        } finally {
            client.disconnect();
        }
    });

    it("keeps a URL-only client writing when the primary dies: a bounded gap, then the new primary", async () => {
        const oldPort = await lab.primaryPort();
        const old = lab.nodes.find((n) => n.port === oldPort)!;
        const w = writer(url);
        try {
            await w.succeeded(50, 0, 30);
            const killedAt = Date.now();
            await lab.kill(old.server);
            const promoted = await until("a replica to be promoted", 60, async () => {
                const port = await lab.primaryPort();
                return port !== oldPort ? port : undefined;
            });
            // New connections reach the promoted server; from then on every acknowledged
            // write must be there, the writer's own connection included.
            await until("the proxy to route to the new primary", 60, async () =>
                (await landsOn().catch(() => undefined)) === promoted ? true : undefined,
            );
            const routedAt = Date.now();
            await w.succeeded(50, routedAt, 60);
            const gap = longestGap(w.writes, killedAt);
            console.log(
                `redis-proxy, primary killed: longest gap ${gap.seconds.toFixed(1)} s, ${gap.failed} failed writes`,
            );
            // Sentinel's 5 s down-after, the promotion, and the proxy's 1 s checks.
            expect(gap.seconds).toBeLessThan(30);
            // The proxy never sent a write to a replica (it would answer READONLY).
            expect(w.writes.filter((x) => /READONLY/.test(x.error ?? ""))).toEqual([]);
            const after = w.writes.filter((x) => x.ok && x.at > routedAt);
            expect(after.length).toBeGreaterThanOrEqual(50);
            expect(await missingOn(promoted, after)).toEqual([]);
            expect(await landsOn()).toBe(promoted);
        } finally {
            await w.stop();
        }
        // The old primary rejoins as a replica and the proxy keeps away from it.
        lab.startServer(old);
        await until("the old primary to rejoin as a replica", 60, async () => {
            const info = await lab.cli(old.port, "info", "replication");
            return info.includes("role:slave") && info.includes("master_link_status:up")
                ? true
                : undefined;
        });
        for (let i = 0; i < 5; i++) expect(await landsOn()).toBe(await lab.primaryPort());
    }, 240_000);

    it("moves a URL-only client's writes to the new primary when an operator switches it", async () => {
        const oldPort = await lab.primaryPort();
        const w = writer(url);
        try {
            await w.succeeded(50, 0, 30);
            const switchedAt = Date.now();
            expect(
                await lab.cli(lab.nodes[0].sentinelPort, "sentinel", "failover", lab.master),
            ).toBe("OK");
            const promoted = await until("the switch", 60, async () => {
                const port = await lab.primaryPort();
                return port !== oldPort ? port : undefined;
            });
            // The old primary is still up and, for some seconds, still says `role:master`:
            // the proxy must close its clients' connections once the Sentinels name another
            // server, so that they reconnect to the new primary.
            await until("the proxy to route to the new primary", 60, async () =>
                (await landsOn().catch(() => undefined)) === promoted ? true : undefined,
            );
            const routedAt = Date.now();
            await w.succeeded(50, routedAt + 3000, 60);
            const gap = longestGap(w.writes, switchedAt);
            // Writes the old primary acknowledged between the switch and the closing of its
            // connections: Sentinel discards them when it makes it a replica.
            const lost = await missingOn(
                promoted,
                w.writes.filter((x) => x.ok && x.at > switchedAt),
            );
            console.log(
                `redis-proxy, planned switch: longest gap ${gap.seconds.toFixed(1)} s, ${gap.failed} failed writes, ${lost.length} acknowledged by the old primary, the last ${((Math.max(switchedAt, ...lost.map((x) => x.at)) - switchedAt) / 1000).toFixed(1)} s after the switch`,
            );
            expect(gap.seconds).toBeLessThan(30);
            expect(w.writes.filter((x) => /READONLY/.test(x.error ?? ""))).toEqual([]);
            // The writer's connection left the old primary within the proxy's checks: the
            // old primary's own Sentinel hears of the switch within its 2 s hello period, then
            // two failed 1 s checks close the connection (≈ 3 s measured). HAProxy checking the
            // server's role alone kept it for 11 s, until Sentinel made it a replica.
            for (const x of lost) expect(x.at - switchedAt).toBeLessThan(8000);
            const after = w.writes.filter((x) => x.ok && x.at > routedAt + 3000);
            expect(after.length).toBeGreaterThanOrEqual(50);
            expect(await landsOn()).toBe(promoted);
            await until("the old primary to become a replica", 60, async () =>
                (await lab.cli(oldPort, "role")).startsWith("slave") ? true : undefined,
            );
        } finally {
            await w.stop();
        }
        expect(fs.readFileSync(proxyLog, "utf8")).toMatch(/primary-redis-\d\/redis-\d is DOWN/);
    }, 240_000);

    it("checks every server and Sentinel as its own user, refused nothing", async () => {
        // HAProxy's checks (AUTH redis-proxy, SENTINEL GET-MASTER-ADDR-BY-NAME, INFO
        // replication) and the URL client (`app`) ran through every test above: the proxy's
        // password is not the `default` user's, so they could only have passed as its user.
        for (const node of lab.nodes) {
            for (const port of [node.port, node.sentinelPort]) {
                expect(await lab.cli(port, "acl", "log"), `ACL LOG of ${port}`).toBe("");
            }
        }
    });
});
