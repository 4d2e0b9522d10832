import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    type RedisServer,
    requireTools,
    runScript,
    type S3Server,
    scriptPath,
    startRedis,
    startS3,
    tempDir,
} from "../support/ops";
import { testSigningKey } from "../support/backup-signing";

/**
 * backup-redis.sh → S3 → restore-redis.sh / verify-backup.sh against redis-server, and
 * backup-app-data.sh, with s3rver and the AWS CLI on loopback.
 */

interface KeyState {
    type: string;
    /** Absolute expiry in ms, -1 without TTL. */
    expireAt: number;
    /** The value, read with the type's own command (sets and hashes sorted: they have no order). */
    value: string;
}

async function valueOf(redis: RedisServer, key: string, type: string): Promise<string> {
    const sorted = (reply: string) => reply.split("\n").sort().join("\n");
    switch (type) {
        case "string":
            return redis.cli("get", key);
        case "hash":
            return sorted(await redis.cli("hgetall", key));
        case "list":
            return redis.cli("lrange", key, "0", "-1");
        case "set":
            return sorted(await redis.cli("smembers", key));
        case "zset":
            return redis.cli("zrange", key, "0", "-1", "withscores");
        case "stream":
            return redis.cli("xrange", key, "-", "+");
        default:
            throw new Error(`no reader for type ${type}`);
    }
}

async function snapshot(redis: RedisServer): Promise<Record<string, KeyState>> {
    const keys = (await redis.cli("--scan")).split("\n").filter((k) => k !== "");
    const state: Record<string, KeyState> = {};
    for (const key of keys) {
        const type = await redis.cli("type", key);
        state[key] = {
            type,
            expireAt: Number(await redis.cli("pexpiretime", key)),
            value: await valueOf(redis, key, type),
        };
    }
    return state;
}

describe("redis backup and restore (redis-server, s3rver, AWS CLI)", () => {
    let s3: S3Server;
    let source: RedisServer;
    let target: RedisServer;
    const signing = testSigningKey();
    const env = () => ({
        ...s3.env,
        ...signing.env,
        PATH: scriptPath(),
        WORK_DIR: tempDir("work"),
        HOME: tempDir("home"),
    });
    const errorsOf = (result: { logLines(): Record<string, unknown>[] }) =>
        result.logLines().filter((l) => l.level === "error");

    beforeAll(async () => {
        requireTools("redis", "aws");
        s3 = await startS3();
        [source, target] = await Promise.all([
            startRedis("source-pass"),
            startRedis("target-pass"),
        ]);
        const commands: string[][] = [
            ["set", "session:plain", "hello ünïcødé ✓"],
            ["set", "session:ttl", "expires", "EX", "86400"],
            ["set", "counter", "42"],
            ["hset", "user:1", "name", "Ada", "email", "ada@example.com"],
            ["pexpire", "user:1", "7200000"],
            ["rpush", "queue", "a", "b", "c", "d"],
            ["sadd", "tags", "x", "y", "z"],
            ["zadd", "scores", "1.5", "a", "2", "b", "-3", "c"],
            ["xadd", "events", "*", "kind", "login", "user", "1"],
            ["set", "key with spaces", "v"],
            ["setex", "cache:short", "3600", "cached"],
        ];
        for (const command of commands) await source.cli(...command);
        // A key only in the target: a restore adds and replaces, it does not flush.
        await target.cli("set", "target:only", "kept");
    });

    afterAll(async () => {
        await Promise.all([source?.stop(), target?.stop(), s3?.close()]);
    });

    it("snapshots Redis, restores it into another server: every key, type, value and TTL", async () => {
        const before = await snapshot(source);
        const backup = await runScript("backup-redis.sh", [], {
            env: {
                ...env(),
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(source.port),
                REDISCLI_AUTH: "source-pass",
            },
        });
        expect(backup.status, backup.stderr).toBe(0);
        const pointer = JSON.parse((await s3.get("redis/latest.json")).toString());
        expect(pointer.key).toMatch(
            /^redis\/(hourly|daily|weekly|monthly)\/\d{8}T\d{6}Z\/dump\.rdb$/,
        );
        const metadata = JSON.parse(
            (await s3.get(pointer.key.replace("dump.rdb", "metadata.json"))).toString(),
        );
        expect(metadata).toMatchObject({
            format: "redis-rdb",
            keys: 10,
            expires: 3,
            sha256: pointer.sha256,
        });

        const restore = await runScript("restore-redis.sh", [], {
            env: {
                ...env(),
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(target.port),
                REDISCLI_AUTH: "target-pass",
            },
        });
        expect(restore.status, restore.stderr).toBe(0);
        expect(restore.logLines().find((l) => l.step === "copy")).toMatchObject({ keys: 10 });

        const after = await snapshot(target);
        expect(after["target:only"]).toBeDefined();
        delete after["target:only"];
        expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
        for (const [key, state] of Object.entries(before)) {
            expect(after[key].type, key).toBe(state.type);
            expect(after[key].value, key).toBe(state.value);
            if (state.expireAt === -1) {
                expect(after[key].expireAt, key).toBe(-1);
            } else {
                // MIGRATE carries the remaining TTL: the expiry instant moves by the copy time only.
                expect(Math.abs(after[key].expireAt - state.expireAt), key).toBeLessThan(5000);
            }
        }

        // The restored keys are in the target's AOF: they survive its restart.
        await target.restart();
        expect(Object.keys(await snapshot(target)).sort()).toEqual(
            [...Object.keys(before), "target:only"].sort(),
        );
    });

    it("verifies the snapshot, and fails loudly on a corrupted one", async () => {
        const ok = await runScript("verify-backup.sh", ["redis"], {
            env: { ...env(), VERIFY_MAX_AGE_SECONDS: "3600" },
        });
        expect(ok.status, ok.stderr).toBe(0);
        expect(ok.logLines().find((l) => l.step === "redis-check")).toMatchObject({
            msg: "the snapshot is valid",
            keys: 10,
        });

        const pointer = JSON.parse((await s3.get("redis/latest.json")).toString());
        const rdb = await s3.get(pointer.key);
        const truncated = rdb.subarray(0, rdb.length - 20);
        await s3.put(pointer.key, truncated);
        try {
            const bad = await runScript("verify-backup.sh", ["redis"], { env: env() });
            expect(bad.status).not.toBe(0);
            expect(errorsOf(bad)[0]).toMatchObject({
                step: "redis-checksum",
                msg: `backup ${pointer.key} is corrupted: sha256 differs from the recorded value`,
            });
        } finally {
            await s3.put(pointer.key, rdb);
        }
    });

    it("fails the backup when Redis refuses the password", async () => {
        const result = await runScript("backup-redis.sh", [], {
            env: {
                ...env(),
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(source.port),
                REDISCLI_AUTH: "wrong",
            },
        });
        expect(result.status).not.toBe(0);
        expect(errorsOf(result)[0]).toMatchObject({
            step: "connect",
            msg: "Redis does not answer PING",
        });
    });

    it("refuses to back up a replica named directly, and says so", async () => {
        // A replica of its own, so the refusal does not hang on which server some other test
        // left as primary.
        const replica = await startRedis("source-pass", [
            "--replicaof",
            "127.0.0.1",
            String(source.port),
            "--masterauth",
            "source-pass",
        ]);
        try {
            expect((await replica.cli("role")).split("\n")[0]).toBe("slave");
            const result = await runScript("backup-redis.sh", [], {
                env: {
                    ...env(),
                    REDIS_HOST: "127.0.0.1",
                    REDIS_PORT: String(replica.port),
                    REDISCLI_AUTH: "source-pass",
                },
            });
            expect(result.status).not.toBe(0);
            expect(errorsOf(result)[0]).toMatchObject({
                step: "connect",
                msg: "the Redis server is not a primary",
                role: "slave",
            });
        } finally {
            await replica.stop();
        }
    });

    it("archives application data, verifies it, and exits non-zero when the upload fails", async () => {
        const data = tempDir("app-data");
        fs.mkdirSync(path.join(data, "mcp-production"));
        fs.writeFileSync(
            path.join(data, "mcp-production", "configmaps.yaml"),
            "kind: List\nitems: []\n",
        );
        fs.writeFileSync(path.join(data, "notes ünïcødé.txt"), "x".repeat(10000));
        const result = await runScript("backup-app-data.sh", [], {
            env: { ...env(), APP_DATA_DIR: data, BACKUP_TIER: "daily" },
        });
        expect(result.status, result.stderr).toBe(0);
        const pointer = JSON.parse((await s3.get("app-data/latest.json")).toString());
        expect(pointer.key).toMatch(/^app-data\/daily\/\d{8}T\d{6}Z\/app-data\.tar\.gz$/);
        const verify = await runScript("verify-backup.sh", ["app-data"], { env: env() });
        expect(verify.status, verify.stderr).toBe(0);
        expect(verify.logLines().find((l) => l.step === "app-data-list")).toMatchObject({
            entries: 4,
        });

        const failed = await runScript("backup-app-data.sh", [], {
            env: { ...env(), APP_DATA_DIR: data, BACKUP_BUCKET: "no-such-bucket" },
        });
        expect(failed.status).not.toBe(0);
        expect(errorsOf(failed)[0]).toMatchObject({ step: "upload" });
    });

    it("does nothing on a standby stack, and says so", async () => {
        const result = await runScript("backup-redis.sh", [], {
            env: { ...env(), BACKUP_STANDBY: "true" },
        });
        expect(result.status).toBe(0);
        expect(result.logLines()).toEqual([
            expect.objectContaining({
                level: "info",
                msg: expect.stringMatching(/^standby stack: /),
            }),
        ]);
    });
});
