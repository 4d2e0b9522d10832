import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    type PostgresServer,
    type RedisServer,
    requireTools,
    type RunResult,
    runScript,
    scriptPath,
    type S3Server,
    startPostgres,
    startRedis,
    startS3,
    tempDir,
} from "../support/ops";
import { testSigningKey, withoutSignature } from "../support/backup-signing";

/**
 * The failure paths of the backup, verify and restore scripts, each against the real tools
 * (redis-server, PostgreSQL 15, s3rver, the AWS CLI): every one must exit non-zero with an
 * error line that names what is wrong, and leave the target as it was.
 */

const sha256 = (data: Buffer | string) => crypto.createHash("sha256").update(data).digest("hex");
const errorsOf = (result: RunResult) => result.logLines().filter((l) => l.level === "error");

describe("backup failure paths (redis-server, PostgreSQL, s3rver, AWS CLI)", () => {
    let s3: S3Server;
    let redis: RedisServer;
    let target: RedisServer;
    let postgres: PostgresServer;
    const signing = testSigningKey();
    const env = () => ({
        ...s3.env,
        ...signing.env,
        PATH: scriptPath(),
        WORK_DIR: tempDir("work"),
        HOME: tempDir("home"),
    });
    const redisEnv = (server: RedisServer, password: string) => ({
        ...env(),
        REDIS_HOST: "127.0.0.1",
        REDIS_PORT: String(server.port),
        REDISCLI_AUTH: password,
    });
    const pgEnv = () => ({ ...env(), ...postgres.env("postgres", "mcp_db") });

    /**
     * Puts a backup of `kind` into the bucket by hand: object, metadata.json and pointer, signed
     * with the stack's (test) key, so what is tested is the check after the signature's.
     */
    async function plant(
        prefix: string,
        file: string,
        body: Buffer,
        options: { metadata?: Record<string, unknown>; pointerSha?: string; stamp?: string } = {},
    ) {
        const stamp = options.stamp ?? "20260101T020000Z";
        const key = `${prefix}/hourly/${stamp}/${file}`;
        const digest = sha256(body);
        await s3.put(key, body);
        await s3.put(
            `${prefix}/hourly/${stamp}/metadata.json`,
            signing.signJson({ key, sha256: digest, size: body.length, ...options.metadata }),
        );
        await s3.put(
            `${prefix}/latest.json`,
            signing.signJson({
                key,
                timestamp: "2026-01-01T02:00:00Z",
                sha256: options.pointerSha ?? digest,
                size: body.length,
                metadata: `${prefix}/hourly/${stamp}/metadata.json`,
            }),
        );
        return key;
    }

    beforeAll(async () => {
        requireTools("redis", "postgres", "aws");
        s3 = await startS3();
        [redis, target, postgres] = await Promise.all([
            startRedis("paths-pass"),
            startRedis("target-pass"),
            startPostgres(),
        ]);
        await postgres.sql("CREATE DATABASE mcp_db");
        await postgres.sql("CREATE TABLE t (id int PRIMARY KEY, v text)", "mcp_db");
        await postgres.sql(
            "INSERT INTO t SELECT g, 'row ' || g FROM generate_series(1, 50) g",
            "mcp_db",
        );
        for (let i = 0; i < 20; i++) await redis.cli("set", `k:${i}`, `v${i}`);
        await target.cli("set", "target:only", "kept");
    }, 120_000);

    afterAll(async () => {
        await Promise.all([redis?.stop(), target?.stop(), postgres?.stop(), s3?.close()]);
    });

    describe("the latest pointer", () => {
        it("is missing: restore-redis, restore-postgres and verify say they cannot read it", async () => {
            const restoreRedis = await runScript("restore-redis.sh", [], {
                env: { ...redisEnv(target, "target-pass"), BACKUP_PREFIX: "nothing-here" },
            });
            expect(restoreRedis.status).not.toBe(0);
            expect(errorsOf(restoreRedis)[0]).toMatchObject({
                step: "resolve",
                msg: "cannot read the latest pointer",
                key: "nothing-here/latest.json",
            });

            const restorePostgres = await runScript("restore-postgres.sh", [], {
                env: { ...pgEnv(), BACKUP_PREFIX: "nothing-here", RESTORE_WAIT_SECONDS: "0" },
                unprivileged: true,
            });
            expect(restorePostgres.status).not.toBe(0);
            expect(errorsOf(restorePostgres)[0]).toMatchObject({
                step: "resolve",
                msg: "cannot read the latest pointer",
                key: "nothing-here/latest.json",
            });

            for (const kind of ["postgres", "redis", "app-data"]) {
                const verify = await runScript("verify-backup.sh", [kind], {
                    env: { ...env(), BACKUP_PREFIX_ROOT: "empty-root" },
                    unprivileged: kind === "postgres",
                });
                expect(verify.status, kind).not.toBe(0);
                expect(errorsOf(verify)[0], kind).toMatchObject({
                    step: `${kind}-resolve`,
                    msg: "cannot read the latest pointer",
                    key: `empty-root/${kind}/latest.json`,
                });
            }
        });

        it("names an object that is not there: every reader says which key is missing", async () => {
            const stamp = "20260102T030000Z";
            for (const prefix of ["ghost/redis", "ghost/postgres"]) {
                const file = prefix.endsWith("redis") ? "dump.rdb" : "mcp_db.dump";
                await s3.put(
                    `${prefix}/latest.json`,
                    signing.signJson({
                        key: `${prefix}/hourly/${stamp}/${file}`,
                        timestamp: "2026-01-02T03:00:00Z",
                        sha256: "00".repeat(32),
                        size: 1,
                        metadata: `${prefix}/hourly/${stamp}/metadata.json`,
                    }),
                );
            }
            const restoreRedis = await runScript("restore-redis.sh", [], {
                env: { ...redisEnv(target, "target-pass"), BACKUP_PREFIX: "ghost/redis" },
            });
            expect(restoreRedis.status).not.toBe(0);
            expect(errorsOf(restoreRedis)[0]).toMatchObject({
                step: "download",
                msg: "backup object or its metadata.json not found",
                key: `ghost/redis/hourly/${stamp}/dump.rdb`,
            });
            const restorePostgres = await runScript("restore-postgres.sh", [], {
                env: { ...pgEnv(), BACKUP_PREFIX: "ghost/postgres", RESTORE_WAIT_SECONDS: "0" },
                unprivileged: true,
            });
            expect(restorePostgres.status).not.toBe(0);
            expect(errorsOf(restorePostgres)[0]).toMatchObject({
                step: "download",
                msg: "backup object or its metadata.json not found",
                key: `ghost/postgres/hourly/${stamp}/mcp_db.dump`,
            });
            for (const kind of ["redis", "postgres"]) {
                const verify = await runScript("verify-backup.sh", [kind], {
                    env: { ...env(), BACKUP_PREFIX_ROOT: "ghost" },
                    unprivileged: kind === "postgres",
                });
                expect(verify.status, kind).not.toBe(0);
                expect(errorsOf(verify)[0], kind).toMatchObject({
                    step: `${kind}-download`,
                    msg: "backup object or its metadata.json not found",
                });
            }
            expect(await target.cli("get", "target:only")).toBe("kept");
        });

        it("disagrees with metadata.json on the sha256: restores and verify refuse", async () => {
            // Real backups, then a pointer whose digest is not the metadata's.
            const backup = await runScript("backup-redis.sh", [], {
                env: { ...redisEnv(redis, "paths-pass"), BACKUP_PREFIX: "mismatch/redis" },
            });
            expect(backup.status, backup.stderr).toBe(0);
            const pgBackup = await runScript("backup-postgres.sh", [], {
                env: { ...pgEnv(), BACKUP_PREFIX: "mismatch/postgres" },
                unprivileged: true,
            });
            expect(pgBackup.status, pgBackup.stderr).toBe(0);
            const wrong = "ab".repeat(32);
            for (const prefix of ["mismatch/redis", "mismatch/postgres"]) {
                const pointer = withoutSignature(
                    (await s3.get(`${prefix}/latest.json`)).toString(),
                );
                // Signed: a writer's mistake, not a forgery (backup-signatures.test.ts has those).
                await s3.put(
                    `${prefix}/latest.json`,
                    signing.signJson({ ...pointer, sha256: wrong }),
                );
            }
            const expected = {
                msg: "latest.json and metadata.json disagree on the sha256",
                pointer: wrong,
            };
            const restoreRedis = await runScript("restore-redis.sh", [], {
                env: { ...redisEnv(target, "target-pass"), BACKUP_PREFIX: "mismatch/redis" },
            });
            expect(restoreRedis.status).not.toBe(0);
            expect(errorsOf(restoreRedis)[0]).toMatchObject({ step: "download", ...expected });
            const restorePostgres = await runScript("restore-postgres.sh", [], {
                env: { ...pgEnv(), BACKUP_PREFIX: "mismatch/postgres", RESTORE_WAIT_SECONDS: "0" },
                unprivileged: true,
            });
            expect(restorePostgres.status).not.toBe(0);
            expect(errorsOf(restorePostgres)[0]).toMatchObject({ step: "checksum", ...expected });
            for (const kind of ["redis", "postgres"]) {
                const verify = await runScript("verify-backup.sh", [kind], {
                    env: { ...env(), BACKUP_PREFIX_ROOT: "mismatch" },
                    unprivileged: kind === "postgres",
                });
                expect(verify.status, kind).not.toBe(0);
                expect(errorsOf(verify)[0], kind).toMatchObject({
                    step: `${kind}-checksum`,
                    ...expected,
                });
            }
            expect(await postgres.sql("SELECT count(*) FROM t", "mcp_db")).toBe("50");
        }, 120_000);
    });

    it("restore-redis refuses a corrupted RDB, whether its digest is wrong or right", async () => {
        const backup = await runScript("backup-redis.sh", [], {
            env: { ...redisEnv(redis, "paths-pass"), BACKUP_PREFIX: "corrupt/redis" },
        });
        expect(backup.status, backup.stderr).toBe(0);
        const pointer = JSON.parse((await s3.get("corrupt/redis/latest.json")).toString());
        const rdb = await s3.get(pointer.key);
        // Flipped bytes in the middle of the file: the recorded sha256 no longer matches.
        const flipped = Buffer.from(rdb);
        for (let i = 40; i < 60; i++) flipped[i] ^= 0xff;
        await s3.put(pointer.key, flipped);
        const bad = await runScript("restore-redis.sh", [], {
            env: { ...redisEnv(target, "target-pass"), BACKUP_PREFIX: "corrupt/redis" },
        });
        expect(bad.status).not.toBe(0);
        expect(errorsOf(bad)[0]).toMatchObject({
            step: "download",
            msg: `backup ${pointer.key} is corrupted: sha256 differs from the recorded value`,
            expected: pointer.sha256,
            actual: sha256(flipped),
        });

        // A snapshot broken before it was recorded (digests agree): redis-check-rdb catches it.
        await plant("corrupt-recorded/redis", "dump.rdb", rdb.subarray(0, rdb.length - 30));
        const broken = await runScript("restore-redis.sh", [], {
            env: { ...redisEnv(target, "target-pass"), BACKUP_PREFIX: "corrupt-recorded/redis" },
        });
        expect(broken.status).not.toBe(0);
        const error = errorsOf(broken)[0];
        expect(error).toMatchObject({
            step: "download",
            msg: "redis-check-rdb rejects the snapshot",
        });
        expect(String(error.output)).toMatch(/RDB/i);
        // Nothing reached the target.
        expect(await target.cli("dbsize")).toBe("1");
    });

    it("backup-redis exits non-zero when the upload fails, and moves no pointer", async () => {
        const before = await s3.list("redis/");
        const result = await runScript("backup-redis.sh", [], {
            env: { ...redisEnv(redis, "paths-pass"), BACKUP_BUCKET: "no-such-bucket" },
        });
        expect(result.status).not.toBe(0);
        const error = errorsOf(result)[0];
        expect(error).toMatchObject({
            step: "upload",
            msg: "the upload to S3 failed; the latest pointer was not moved",
            bucket: "no-such-bucket",
        });
        expect(String(error.key)).toMatch(
            /^redis\/(hourly|daily|weekly|monthly)\/\d{8}T\d{6}Z\/dump\.rdb$/,
        );
        expect(String(error.stderr)).toMatch(/NoSuchBucket|does not exist/);
        expect(result.logLines().some((l) => l.step === "pointer")).toBe(false);
        expect(await s3.list("redis/")).toEqual(before);
    });

    it("verify fails a backup older than VERIFY_MAX_AGE_SECONDS, naming its age", async () => {
        const fresh = await runScript("backup-redis.sh", [], {
            env: { ...redisEnv(redis, "paths-pass"), BACKUP_PREFIX: "aged/redis" },
        });
        expect(fresh.status, fresh.stderr).toBe(0);
        const recent = await runScript("verify-backup.sh", ["redis"], {
            env: { ...env(), BACKUP_PREFIX_ROOT: "aged", VERIFY_MAX_AGE_SECONDS: "3600" },
        });
        expect(recent.status, recent.stderr).toBe(0);
        expect(
            recent
                .logLines()
                .find((l) => l.step === "redis-resolve" && l.age_seconds !== undefined),
        ).toMatchObject({
            msg: "the latest backup is recent enough",
        });

        // The same backup, its pointer dated three hours back (what a stalled CronJob leaves).
        const pointer = withoutSignature((await s3.get("aged/redis/latest.json")).toString());
        const old = new Date(Date.now() - 3 * 3600 * 1000).toISOString().replace(/\.\d+Z$/, "Z");
        await s3.put("aged/redis/latest.json", signing.signJson({ ...pointer, timestamp: old }));
        const stale = await runScript("verify-backup.sh", ["redis"], {
            env: { ...env(), BACKUP_PREFIX_ROOT: "aged", VERIFY_MAX_AGE_SECONDS: "7200" },
        });
        expect(stale.status).not.toBe(0);
        const error = errorsOf(stale)[0];
        expect(error).toMatchObject({
            step: "redis-resolve",
            msg: "the latest backup is too old",
            timestamp: old,
            max_age_seconds: 7200,
        });
        expect(Number(error.age_seconds)).toBeGreaterThanOrEqual(3 * 3600);
        expect(Number(error.age_seconds)).toBeLessThan(3 * 3600 + 120);
    });

    describe("restore-redis counts only the keys MIGRATE copied", () => {
        // A key whose name holds a newline reads back from --scan as two names that do not
        // exist: real NOKEY answers from MIGRATE for keys that are not there.
        const newlineKey = "first line\nsecond line";

        beforeAll(async () => {
            const source = await startRedis("nokey-pass");
            try {
                for (let i = 0; i < 5; i++) await source.cli("set", `plain:${i}`, `p${i}`);
                await source.cli("set", newlineKey, "unrestorable");
                const backup = await runScript("backup-redis.sh", [], {
                    env: { ...redisEnv(source, "nokey-pass"), BACKUP_PREFIX: "nokey/redis" },
                });
                expect(backup.status, backup.stderr).toBe(0);
            } finally {
                await source.stop();
            }
        });

        for (const batch of ["1", "100"]) {
            it(`fails with the true count when keys answer NOKEY (batches of ${batch})`, async () => {
                const fresh = await startRedis("fresh-pass");
                try {
                    const scriptEnv = {
                        ...redisEnv(fresh, "fresh-pass"),
                        BACKUP_PREFIX: "nokey/redis",
                        RESTORE_BATCH_KEYS: batch,
                    };
                    const result = await runScript("restore-redis.sh", [], { env: scriptEnv });
                    expect(result.status).not.toBe(0);
                    // The private server the snapshot was loaded into is stopped on the way out
                    // (before its run directory, which holds its socket, is removed).
                    const left = spawnSync("pgrep", ["-f", scriptEnv.WORK_DIR], {
                        encoding: "utf8",
                    });
                    expect(left.stdout, "processes left running in WORK_DIR").toBe("");
                    // Six keys loaded; the five plain ones were copied, the two fragments of the
                    // newline name were not found (NOKEY alone, or inside an OK batch).
                    expect(errorsOf(result)[0]).toMatchObject({
                        step: "copy",
                        msg: "not every key was copied",
                        loaded: 6,
                        copied: 5,
                        in_snapshot_now: 6,
                        not_found: 2,
                    });
                    expect(await fresh.cli("dbsize")).toBe("5");
                } finally {
                    await fresh.stop();
                }
            });
        }
    });
});
