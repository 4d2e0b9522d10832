import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    freePort,
    requireTools,
    runScript,
    scriptPath,
    type S3Server,
    startS3,
    tempDir,
} from "../support/ops";
import { testSigningKey } from "../support/backup-signing";
import {
    fields,
    type RedisLab,
    type RedisLabNode,
    startRedisLab,
    until,
} from "../support/redis-lab";

/**
 * The redis StatefulSet's topology on loopback (test/support/redis-lab.ts): three redis-server
 * and three redis-sentinel processes (Debian's), each started by ops/redis-start.sh exactly as
 * the pods start them.
 * The primary is killed without warning; Sentinel promotes a replica, a Sentinel-aware client
 * (ioredis) follows it, the old primary rejoins as a replica, and the backup script dumps from
 * whichever server Sentinel names. The Sentinels run with the production down-after (the
 * script's default, 5 s): with 1 s, a new primary that was slow for a moment right after the
 * failover was failed over again (the stall below reproduces it).
 */

const password = "failover-pass";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const master = "mcp-cache";

describe("redis failover with Sentinel (redis-server, redis-sentinel, s3rver)", () => {
    let lab: RedisLab;
    let all: RedisLabNode[] = [];
    let s3: S3Server;
    const cli = (port: number, ...args: string[]) => lab.cli(port, ...args);
    const sentinels = () => lab.sentinels();
    const logOf = (node: RedisLabNode, kind: "server" | "sentinel") => lab.logOf(node, kind);
    const startServer = (node: RedisLabNode) => lab.startServer(node);
    const startSentinel = (node: RedisLabNode, extra?: Record<string, string>) =>
        lab.startSentinel(node, extra);
    const stopped = (child: ChildProcess | undefined) => lab.kill(child);
    const signing = testSigningKey();
    const backupEnv = () => ({
        ...s3.env,
        ...signing.env,
        PATH: scriptPath(),
        WORK_DIR: tempDir("work"),
        HOME: tempDir("home"),
        REDIS_SENTINELS: sentinels(),
        REDIS_SENTINEL_MASTER: master,
        // The job's own ACL user, as in the CronJob.
        REDIS_USER: "backup",
        REDISCLI_AUTH: lab.users.backup,
    });
    /** Each Sentinel's config epoch of mcp-cache: 1 after exactly one failover. */
    const configEpochs = async () => {
        const epochs: number[] = [];
        for (const node of all) {
            const state = fields(await cli(node.sentinelPort, "sentinel", "master", master));
            epochs.push(Number(state["config-epoch"]));
        }
        return epochs;
    };
    const primaryPort = async () =>
        Number(
            (await cli(all[0].sentinelPort, "sentinel", "get-master-addr-by-name", master)).split(
                "\n",
            )[1],
        );

    beforeAll(async () => {
        requireTools("redis", "sentinel", "aws");
        s3 = await startS3();
        lab = await startRedisLab({
            password,
            sentinelEnv: { SENTINEL_FAILOVER_TIMEOUT_MS: "10000" },
        });
        all = lab.nodes;
    }, 240_000);

    afterAll(async () => {
        await lab?.stop();
        await s3?.close();
    });

    it("starts redis-0 as the primary and the others as its replicas", async () => {
        expect(await primaryPort()).toBe(all[0].port);
        expect((await cli(all[0].port, "role")).split("\n")[0]).toBe("master");
        for (const node of all.slice(1)) {
            const info = await cli(node.port, "info", "replication");
            expect(info).toContain("role:slave");
            expect(info).toContain(`master_port:${all[0].port}`);
        }
    });

    it("promotes a replica when the primary dies; clients, the old primary and backups follow", async () => {
        // A Sentinel-aware client, as the apps connect (docs/data.md).
        const client = new Redis({
            sentinels: all.map((n) => ({ host: "127.0.0.1", port: n.sentinelPort })),
            name: master,
            // The apps' ACL user, on the servers and the Sentinels (redis-credentials).
            username: "app",
            password: lab.users.app,
            sentinelUsername: "app",
            sentinelPassword: lab.users.app,
            maxRetriesPerRequest: 50,
            retryStrategy: () => 200,
            sentinelRetryStrategy: () => 200,
            lazyConnect: true,
        });
        client.on("error", () => undefined);
        try {
            await client.connect();
            for (let i = 0; i < 200; i++) await client.set(`before:${i}`, `value-${i}`);
            // Every replica has the writes before the primary goes.
            expect(Number(await cli(all[0].port, "wait", "2", "5000"))).toBe(2);

            const first = await runScript("backup-redis.sh", [], { env: backupEnv() });
            expect(first.status, first.stderr).toBe(0);
            expect(first.logLines().find((l) => l.step === "connect" && l.port)).toMatchObject({
                msg: "connected to the primary",
                port: all[0].port,
            });

            const killedAt = Date.now();
            all[0].server!.kill("SIGKILL");
            const promoted = await until("a replica to be promoted", 60, async () => {
                const port = await primaryPort();
                return port !== all[0].port ? port : undefined;
            });
            const failoverSeconds = (Date.now() - killedAt) / 1000;
            console.log(`redis failover: new primary after ${failoverSeconds.toFixed(1)} s`);
            expect(all.slice(1).map((n) => n.port)).toContain(promoted);
            // The new primary stalls for 2 s just after its promotion, as a loaded node, a fork
            // or a slow fsync can make it. The Sentinels must not fail it over again: each
            // reconnects to it on its 1 s ping period and still counts the old primary's "down"
            // votes for 5 s, so a down-after shorter than that promoted yet another server.
            const promotedNode = all.find((n) => n.port === promoted)!;
            promotedNode.server!.kill("SIGSTOP");
            await sleep(2000);
            promotedNode.server!.kill("SIGCONT");
            await sleep(4000);
            expect(await configEpochs(), "one failover, not two").toEqual([1, 1, 1]);
            expect((await cli(promoted, "role")).split("\n")[0]).toBe("master");
            // Every Sentinel agrees.
            for (const node of all) {
                const answer = await cli(
                    node.sentinelPort,
                    "sentinel",
                    "get-master-addr-by-name",
                    master,
                );
                expect(answer.split("\n")[1], `sentinel ${node.index}`).toBe(String(promoted));
            }

            // The client reaches the new primary through the Sentinels and writes there.
            await until("the client to write to the new primary", 30, async () =>
                (await client.set("after", "failover")) === "OK" ? true : undefined,
            );
            expect(await cli(promoted, "get", "after")).toBe("failover");
            expect(await client.get("before:199")).toBe("value-199");

            // The killed redis-0 restarts, asks a Sentinel and rejoins as a replica.
            startServer(all[0]);
            await until("redis-0 to replicate from the new primary", 60, async () => {
                const info = await cli(all[0].port, "info", "replication");
                return info.includes("role:slave") &&
                    info.includes(`master_port:${promoted}`) &&
                    info.includes("master_link_status:up")
                    ? true
                    : undefined;
            });
            expect(await cli(all[0].port, "get", "after")).toBe("failover");

            // The backup finds the new primary through the Sentinels.
            const second = await runScript("backup-redis.sh", [], { env: backupEnv() });
            expect(second.status, second.stderr).toBe(0);
            expect(
                second.logLines().find((l) => l.msg === "Sentinel names the primary"),
            ).toMatchObject({
                primary: `127.0.0.1:${promoted}`,
            });
            const pointer = JSON.parse((await s3.get("redis/latest.json")).toString());
            const metadata = JSON.parse(
                (await s3.get(pointer.key.replace("dump.rdb", "metadata.json"))).toString(),
            );
            expect(metadata).toMatchObject({ source: `127.0.0.1:${promoted}`, keys: 201 });

            // A Sentinel that restarts learns the new primary from its peers.
            const restarted = all[2];
            await stopped(restarted.sentinel);
            startSentinel(restarted);
            await until("the restarted Sentinel to name the new primary", 30, async () => {
                const answer = await cli(
                    restarted.sentinelPort,
                    "sentinel",
                    "get-master-addr-by-name",
                    master,
                );
                return answer.split("\n")[1] === String(promoted) ? true : undefined;
            });
            expect(fs.readFileSync(logOf(restarted, "sentinel"), "utf8")).toContain(
                `"msg":"a Sentinel names the current primary","primary":"127.0.0.1:${promoted}"`,
            );

            // restore-redis finds its target through the Sentinels too: the new primary.
            await cli(promoted, "del", "before:0");
            // As the administrator (`default`, admin-password): copying keys in takes RESTORE,
            // which the backup user may not run (docs/data.md).
            const restore = await runScript("restore-redis.sh", [], {
                env: { ...backupEnv(), REDIS_USER: "", REDISCLI_AUTH: lab.password },
            });
            expect(restore.status, restore.stderr).toBe(0);
            expect(restore.logLines().find((l) => l.step === "copy")).toMatchObject({
                target: `127.0.0.1:${promoted}`,
                keys: 201,
            });
            expect(await client.get("before:0")).toBe("value-0");
            // Still the one failover: nothing above made the Sentinels promote another server.
            expect(await configEpochs()).toEqual([1, 1, 1]);
            // Through all of it, no server and no Sentinel refused a client anything: each
            // user's rules cover what the replicas, the Sentinels, ioredis and the backup send.
            for (const node of all) {
                for (const port of [node.port, node.sentinelPort]) {
                    expect(await cli(port, "acl", "log"), `ACL LOG of ${port}`).toBe("");
                }
            }
        } finally {
            client.disconnect();
        }
    }, 300_000);

    it("Sentinels that all restart at once monitor the current primary, not the initial one", async () => {
        // Whatever the tests before left: make sure the primary is not redis-0, the initial one.
        if ((await primaryPort()) === all[0].port) {
            await cli(all[1].sentinelPort, "sentinel", "failover", master);
            await until("the switch away from redis-0", 60, async () =>
                (await primaryPort()) !== all[0].port ? true : undefined,
            );
        }
        const primary = await until("every server to follow one primary", 60, async () => {
            const port = await primaryPort();
            for (const node of all.filter((n) => n.port !== port)) {
                const info = await cli(node.port, "info", "replication");
                if (!info.includes(`master_port:${port}`)) return undefined;
            }
            return port;
        });
        // Every Sentinel goes at once (a node drain, a rollout gone wrong): when they start
        // again no Sentinel answers, and each must learn the primary from its own server.
        for (const node of all) await stopped(node.sentinel);
        const logStart = all.map((node) => fs.statSync(logOf(node, "sentinel")).size);
        for (const node of all) startSentinel(node);
        await until("the Sentinels to agree again", 60, async () => {
            for (const node of all) {
                const state = fields(await cli(node.sentinelPort, "sentinel", "master", master));
                if (state["num-other-sentinels"] !== "2") return undefined;
            }
            return true;
        });
        for (const node of all) {
            const answer = await cli(
                node.sentinelPort,
                "sentinel",
                "get-master-addr-by-name",
                master,
            );
            expect(answer.split("\n")[1], `sentinel ${node.index}`).toBe(String(primary));
        }
        // The first to start found no peer and asked its server; none fell back to redis-0.
        const logs = all
            .map((node, i) => fs.readFileSync(logOf(node, "sentinel")).subarray(logStart[i]))
            .join("\n");
        expect(logs).toContain(
            `"msg":"no Sentinel answers: this server names the primary","primary":"127.0.0.1:${primary}"`,
        );
        expect(logs).not.toContain("starting from the initial primary");
        // They still fail over: the primary they found is the one they watch.
        expect((await cli(primary, "role")).split("\n")[0]).toBe("master");
    }, 180_000);

    it("refuses a Sentinel down-after under five seconds, and says so", async () => {
        const node = all[1];
        const result = await runScript("redis-start.sh", ["sentinel"], {
            env: {
                ...lab.startEnv(node),
                SENTINEL_PORT: String(await freePort()),
                SENTINEL_CONFIG: path.join(tempDir("sentinel"), "sentinel.conf"),
                SENTINEL_DOWN_AFTER_MS: "1000",
            },
        });
        expect(result.status).not.toBe(0);
        expect(result.logLines().find((l) => l.level === "error")).toMatchObject({
            step: "config",
            msg: "SENTINEL_DOWN_AFTER_MS must be a whole number of milliseconds, at least 5000",
            got: 1000,
        });
    });

    it("fails loudly when no Sentinel answers", async () => {
        const result = await runScript("backup-redis.sh", [], {
            env: { ...backupEnv(), REDIS_SENTINELS: `127.0.0.1:${await freePort()}` },
        });
        expect(result.status).not.toBe(0);
        expect(result.logLines().find((l) => l.level === "error")).toMatchObject({
            step: "connect",
            msg: "no Sentinel names the Redis primary",
            master_name: master,
        });
    });
});
