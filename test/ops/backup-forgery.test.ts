import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    requireOpenssl,
    testSigningKey,
    type TestSigningKey,
    withoutSignature,
} from "../support/backup-signing";
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

/**
 * Someone who can write to the bucket but does not hold the signing key replaces a backup:
 * the dump (or RDB, or archive), its metadata.json and latest.json, consistent with each other
 * (sha256 and size recomputed). restore and verify must refuse every variant before they
 * touch a target. Real PostgreSQL 15, redis-server, s3rver, the AWS CLI and openssl; the
 * stack's signing key is a local key (test/support/backup-signing.ts), the attacker's another.
 */

const errorsOf = (result: RunResult) => result.logLines().filter((l) => l.level === "error");
const fingerprint = "SELECT count(*) || '|' || md5(string_agg(v, ',' ORDER BY id)) FROM t";

describe("a substituted backup is refused (PostgreSQL, redis-server, s3rver, AWS CLI, openssl)", () => {
    let s3: S3Server;
    let source: PostgresServer;
    let rogue: PostgresServer;
    let target: PostgresServer;
    let redis: RedisServer;
    let redisTarget: RedisServer;
    let stack: TestSigningKey;
    let attacker: TestSigningKey;

    const base = (key: TestSigningKey) => ({
        ...s3.env,
        ...key.env,
        // Readers trust only the stack's key, whoever wrote.
        BACKUP_TRUSTED_KEYS: stack.publicKeyPem,
        PATH: scriptPath(),
        WORK_DIR: tempDir("work"),
        HOME: tempDir("home"),
    });
    const pg = (server: PostgresServer) => server.env("postgres", "mcp_db");
    const restorePostgres = (extra: Record<string, string> = {}) =>
        runScript("restore-postgres.sh", [], {
            env: { ...base(stack), ...pg(target), RESTORE_WAIT_SECONDS: "0", ...extra },
            unprivileged: true,
        });
    const verify = (kind: string) =>
        runScript("verify-backup.sh", [kind], {
            env: base(stack),
            unprivileged: kind === "postgres",
        });

    /** Copies the attacker's backup of `kind` over the stack's: object, metadata, pointer. */
    async function substitute(kind: string, file: string, sign: "attacker" | "none") {
        const pointer = withoutSignature((await s3.get(`rogue/${kind}/latest.json`)).toString());
        const tail = pointer.key.split("/").slice(-3).join("/");
        const key = `${kind}/${tail}`;
        const folder = key.slice(0, key.lastIndexOf("/"));
        const metadata = withoutSignature(
            (await s3.get(pointer.key.replace(/[^/]+$/, "metadata.json"))).toString(),
        );
        const write = (value: Record<string, unknown>) =>
            sign === "attacker" ? attacker.signJson(value) : `${JSON.stringify(value)}\n`;
        await s3.put(key, await s3.get(pointer.key));
        await s3.put(`${folder}/metadata.json`, write({ ...metadata, key }));
        await s3.put(
            `${kind}/latest.json`,
            write({ ...pointer, key, metadata: `${folder}/metadata.json` }),
        );
        return { key, file };
    }

    beforeAll(async () => {
        requireTools("postgres", "redis", "aws");
        requireOpenssl();
        stack = testSigningKey();
        attacker = testSigningKey();
        s3 = await startS3();
        [source, rogue, target, redis, redisTarget] = await Promise.all([
            startPostgres(),
            startPostgres(),
            startPostgres(),
            startRedis("stack-pass"),
            startRedis("target-pass"),
        ]);
        for (const [server, rows] of [
            [source, "'genuine ' || g"],
            [rogue, "'planted ' || g"],
            [target, "'target ' || g"],
        ] as const) {
            await server.sql("CREATE DATABASE mcp_db");
            await server.sql(
                `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, ${rows} FROM generate_series(1, 20) g`,
                "mcp_db",
            );
        }
        await redis.cli("set", "genuine", "1");
        // The stack's own backups, signed with its key; the attacker's, signed with theirs.
        const runs = await Promise.all([
            runScript("backup-postgres.sh", [], {
                env: { ...base(stack), ...pg(source), BACKUP_TIER: "hourly" },
                unprivileged: true,
            }),
            runScript("backup-postgres.sh", [], {
                env: {
                    ...base(attacker),
                    BACKUP_TRUSTED_KEYS: attacker.publicKeyPem,
                    ...pg(rogue),
                    BACKUP_PREFIX: "rogue/postgres",
                    BACKUP_TIER: "daily",
                },
                unprivileged: true,
            }),
        ]);
        for (const result of runs) expect(result.status, result.stderr).toBe(0);
        const redisRun = await runScript("backup-redis.sh", [], {
            env: {
                ...base(attacker),
                BACKUP_TRUSTED_KEYS: attacker.publicKeyPem,
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(redis.port),
                REDISCLI_AUTH: "stack-pass",
                BACKUP_PREFIX: "rogue/redis",
            },
        });
        expect(redisRun.status, redisRun.stderr).toBe(0);
    }, 180_000);

    afterAll(async () => {
        await Promise.all([
            source?.stop(),
            rogue?.stop(),
            target?.stop(),
            redis?.stop(),
            redisTarget?.stop(),
            s3?.close(),
        ]);
    });

    it("verify passes on the stack's own signed backup", async () => {
        const result = await verify("postgres");
        expect(result.status, result.stderr).toBe(0);
    });

    for (const sign of ["none", "attacker"] as const) {
        it(`refuses a dump, metadata.json and latest.json rewritten together (signature: ${sign})`, async () => {
            const genuinePointer = (await s3.get("postgres/latest.json")).toString();
            const before = await target.sql(fingerprint, "mcp_db");
            await substitute("postgres", "mcp_db.dump", sign);
            try {
                const expected = {
                    step: "resolve",
                    msg:
                        sign === "none"
                            ? "the latest pointer postgres/latest.json is not signed: it may have been written by someone other than the backup job"
                            : "the latest pointer postgres/latest.json has a signature that no trusted key verifies: it was changed or signed by another key",
                };
                const restore = await restorePostgres();
                expect(restore.status).not.toBe(0);
                expect(errorsOf(restore)[0]).toMatchObject(expected);
                const verified = await verify("postgres");
                expect(verified.status).not.toBe(0);
                expect(errorsOf(verified)[0]).toMatchObject({
                    ...expected,
                    step: "postgres-resolve",
                });
                expect(await target.sql(fingerprint, "mcp_db")).toBe(before);
            } finally {
                await s3.put("postgres/latest.json", genuinePointer);
            }
        }, 120_000);
    }

    it("refuses a dump and metadata.json replaced under the genuine pointer's key", async () => {
        const genuinePointer = (await s3.get("postgres/latest.json")).toString();
        const key = withoutSignature(genuinePointer).key as string;
        const folder = key.slice(0, key.lastIndexOf("/"));
        const [dump, metadata] = await Promise.all([
            s3.get(key),
            s3.get(`${folder}/metadata.json`),
        ]);
        // The attacker's dump at the genuine key, with metadata that records its digest.
        const { key: planted } = await substitute("postgres", "mcp_db.dump", "attacker");
        const rogueMeta = withoutSignature(
            (await s3.get(planted.replace(/[^/]+$/, "metadata.json"))).toString(),
        );
        await s3.put(key, await s3.get(planted));
        await s3.put(`${folder}/metadata.json`, attacker.signJson({ ...rogueMeta, key }));
        await s3.put("postgres/latest.json", genuinePointer);
        const before = await target.sql(fingerprint, "mcp_db");
        try {
            const restore = await restorePostgres();
            expect(restore.status).not.toBe(0);
            expect(errorsOf(restore)[0]).toMatchObject({
                step: "checksum",
                msg: `metadata.json of ${key} has a signature that no trusted key verifies: it was changed or signed by another key`,
            });
            const verified = await verify("postgres");
            expect(verified.status).not.toBe(0);
            expect(errorsOf(verified)[0]).toMatchObject({ step: "postgres-checksum" });
            expect(await target.sql(fingerprint, "mcp_db")).toBe(before);
        } finally {
            await Promise.all([s3.put(key, dump), s3.put(`${folder}/metadata.json`, metadata)]);
        }
    }, 120_000);

    it("refuses the genuine pointer's signature carried over to a pointer naming another backup", async () => {
        const genuinePointer = (await s3.get("postgres/latest.json")).toString();
        const { key: planted } = await substitute("postgres", "mcp_db.dump", "none");
        const fields = withoutSignature(genuinePointer);
        const signature = JSON.parse(genuinePointer).signature as string;
        const moved = { ...fields, key: planted, signature };
        await s3.put("postgres/latest.json", `${JSON.stringify(moved)}\n`);
        try {
            const restore = await restorePostgres();
            expect(restore.status).not.toBe(0);
            expect(errorsOf(restore)[0]).toMatchObject({
                step: "resolve",
                msg: "the latest pointer postgres/latest.json has a signature that no trusted key verifies: it was changed or signed by another key",
            });
        } finally {
            await s3.put("postgres/latest.json", genuinePointer);
        }
    }, 120_000);

    it("refuses a substituted Redis snapshot in restore-redis and verify", async () => {
        await redisTarget.cli("set", "target:only", "kept");
        // The stack's genuine Redis backup first, so there is something to replace.
        const own = await runScript("backup-redis.sh", [], {
            env: {
                ...base(stack),
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(redis.port),
                REDISCLI_AUTH: "stack-pass",
            },
        });
        expect(own.status, own.stderr).toBe(0);
        await substitute("redis", "dump.rdb", "none");
        const restore = await runScript("restore-redis.sh", [], {
            env: {
                ...base(stack),
                REDIS_HOST: "127.0.0.1",
                REDIS_PORT: String(redisTarget.port),
                REDISCLI_AUTH: "target-pass",
            },
        });
        expect(restore.status).not.toBe(0);
        expect(errorsOf(restore)[0]).toMatchObject({
            step: "resolve",
            msg: "the latest pointer redis/latest.json is not signed: it may have been written by someone other than the backup job",
        });
        const verified = await verify("redis");
        expect(verified.status).not.toBe(0);
        expect(errorsOf(verified)[0]).toMatchObject({ step: "redis-resolve" });
        expect(await redisTarget.cli("dbsize")).toBe("1");
    }, 120_000);

    it("restores a backup taken before signing began only with BACKUP_ACCEPT_UNSIGNED=true", async () => {
        const genuinePointer = (await s3.get("postgres/latest.json")).toString();
        const { key: planted } = await substitute("postgres", "mcp_db.dump", "none");
        try {
            const refused = await restorePostgres();
            expect(refused.status).not.toBe(0);
            const accepted = await restorePostgres({ BACKUP_ACCEPT_UNSIGNED: "true" });
            expect(accepted.status, accepted.stderr).toBe(0);
            const warnings = accepted.logLines().filter((l) => l.level === "warning");
            expect(warnings.map((w) => w.file)).toEqual([
                "the latest pointer postgres/latest.json",
                `metadata.json of ${planted}`,
            ]);
            expect(await target.sql(fingerprint, "mcp_db")).toBe(
                await rogue.sql(fingerprint, "mcp_db"),
            );
        } finally {
            await s3.put("postgres/latest.json", genuinePointer);
        }
    }, 120_000);
});
