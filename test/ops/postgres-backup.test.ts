import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pointerSchema } from "../../tools/lib/dr/backup";
import {
    type PostgresServer,
    requireTools,
    runScript,
    type S3Server,
    scriptPath,
    startPostgres,
    startS3,
    tempDir,
} from "../support/ops";
import { testSigningKey, type TestSigningKey } from "../support/backup-signing";

/**
 * backup-postgres.sh → S3 → verify-backup.sh / restore-postgres.sh, against PostgreSQL 15,
 * s3rver and the AWS CLI on loopback: the acceptance test of the database backups.
 */

const hba = [
    "local all all trust",
    "host replication replicator 127.0.0.1/32 scram-sha-256",
    "host all all 127.0.0.1/32 scram-sha-256",
    "",
].join("\n");
const passwords = { app: "app-Secret-1", replication: "repl-Secret-2", exporter: "exp-Secret-3" };
const roleEnv = {
    APP_USER: "mcp_user",
    APP_PASSWORD: passwords.app,
    APP_DATABASE: "mcp_db",
    REPLICATION_USER: "replicator",
    REPLICATION_PASSWORD: passwords.replication,
    EXPORTER_USER: "postgres_exporter",
    EXPORTER_PASSWORD: passwords.exporter,
};

/** Several tables as mcp_user: 100,000 rows with NULLs and unicode, bytea, big text, large objects. */
const seed = `
SET ROLE mcp_user;
CREATE TABLE events (
    id bigserial PRIMARY KEY,
    payload text,
    amount numeric(12, 2),
    ratio double precision,
    at timestamptz NOT NULL,
    tags jsonb
);
INSERT INTO events (payload, amount, ratio, at, tags)
SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE 'évènement ' || g || ' — ünïcødé ✓ 日本語 🚀' END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE g * 1.25 END,
       g / 3.0,
       timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute',
       CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('n', g, 'even', g % 2 = 0) END
FROM generate_series(1, 100000) AS g;
CREATE TABLE blobs (id int PRIMARY KEY, data bytea, document text, attachment oid);
INSERT INTO blobs
SELECT g,
       decode(md5(g::text), 'hex') || '\\x00ff00'::bytea,
       repeat('big text ' || g || ' ', 40000),
       lo_from_bytea(0, convert_to(repeat('large object ' || g, 2000), 'UTF8'))
FROM generate_series(1, 5) AS g;
CREATE SCHEMA app;
CREATE TABLE app."Mixed Case" (k text, v jsonb, empty text);
INSERT INTO app."Mixed Case" VALUES ('a', '{"x": [1, null]}', ''), (NULL, NULL, NULL), ('quote''s', '"s"', E'tab\\there');
CREATE TABLE empty_table (id int);
`;

/** Row counts and content digests computed independently of the scripts (sorted rows). */
const fingerprintSql = `
SELECT 'events|' || count(*) || '|' || md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM events t;
SELECT 'blobs|' || count(*) || '|' || md5(string_agg(t::text, E'\\n' ORDER BY t.id)) FROM blobs t;
SELECT 'mixed|' || count(*) || '|' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM app."Mixed Case" t;
SELECT 'empty|' || count(*) FROM empty_table;
SELECT 'lo|' || count(*) || '|' || md5(string_agg(oid::text || ':' || md5(lo_get(oid)), ',' ORDER BY oid)) FROM pg_largeobject_metadata;
SELECT 'nulls|' || count(*) FILTER (WHERE payload IS NULL) || '|' || count(*) FILTER (WHERE amount IS NULL) FROM events;
SELECT 'sequence|' || last_value FROM events_id_seq;
`;

describe("postgres backup, verify and restore (PostgreSQL 15, s3rver, AWS CLI)", () => {
    let s3: S3Server;
    let source: PostgresServer;
    let target: PostgresServer;
    let firstKey = "";
    let signing: TestSigningKey;

    const baseEnv = () => ({
        ...s3.env,
        ...signing.env,
        PATH: scriptPath(),
        WORK_DIR: tempDir("work"),
        HOME: tempDir("home"),
    });
    /** A metadata.json as stored, without its signature. */
    const unsigned = (text: string): Record<string, any> => {
        const { signature, ...rest } = JSON.parse(text) as Record<string, any>;
        expect(signature).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
        return rest;
    };
    const backup = (extra: Record<string, string> = {}) =>
        runScript("backup-postgres.sh", [], {
            env: {
                ...baseEnv(),
                ...source.env("mcp_user", "mcp_db"),
                PGPASSWORD: passwords.app,
                ...extra,
            },
        });
    const verify = (extra: Record<string, string> = {}) =>
        runScript("verify-backup.sh", ["postgres"], {
            env: { ...baseEnv(), ...extra },
            unprivileged: true,
        });
    const errorsOf = (result: { logLines(): Record<string, unknown>[] }) =>
        result.logLines().filter((l) => l.level === "error");

    beforeAll(async () => {
        requireTools("postgres", "aws");
        signing = testSigningKey();
        s3 = await startS3();
        [source, target] = await Promise.all([startPostgres({ hba }), startPostgres({ hba })]);
        for (const server of [source, target]) {
            const init = await runScript("postgres-init.sh", [], {
                env: {
                    ...roleEnv,
                    PATH: scriptPath(),
                    PGHOST: server.socketDir,
                    PGPORT: String(server.port),
                    PGUSER: "postgres",
                    PGDATABASE: "postgres",
                },
            });
            expect(init.status, init.stderr).toBe(0);
        }
        await source.sql(seed, "mcp_db");
    });

    afterAll(async () => {
        await Promise.all([source?.stop(), target?.stop(), s3?.close()]);
    });

    it("writes a custom-format dump, metadata.json with row counts and the latest pointer, one JSON line per step", async () => {
        const result = await backup();
        expect(result.status, result.stderr).toBe(0);
        const lines = result.logLines();
        for (const line of lines) {
            expect(Object.keys(line)).toEqual(
                expect.arrayContaining(["ts", "level", "job", "step", "msg"]),
            );
        }
        expect(lines.map((l) => l.step)).toEqual(
            expect.arrayContaining([
                "connect",
                "snapshot",
                "dump",
                "row-counts",
                "metadata",
                "upload",
                "pointer",
                "finish",
            ]),
        );

        const pointer = pointerSchema.parse(
            JSON.parse((await s3.get("postgres/latest.json")).toString()),
        );
        expect(pointer.key).toMatch(
            /^postgres\/(hourly|daily|weekly|monthly)\/\d{8}T\d{6}Z\/mcp_db\.dump$/,
        );
        expect(Date.now() - Date.parse(pointer.timestamp)).toBeLessThan(5 * 60_000);
        const dump = await s3.get(pointer.key);
        expect(dump.subarray(0, 5).toString()).toBe("PGDMP");
        expect(dump.length).toBe(pointer.size);
        expect(createHash("sha256").update(dump).digest("hex")).toBe(pointer.sha256);

        const metadataText = (
            await s3.get(pointer.key.replace(/mcp_db\.dump$/, "metadata.json"))
        ).toString();
        // Both JSON files carry a signature that Node's crypto verifies with the public key.
        expect(signing.verifies((await s3.get("postgres/latest.json")).toString())).toBe(true);
        expect(signing.verifies(metadataText)).toBe(true);
        const metadata = JSON.parse(metadataText);
        expect(metadata).toMatchObject({
            database: "mcp_db",
            sha256: pointer.sha256,
            size: pointer.size,
            key: pointer.key,
        });
        expect(metadata.tables["public.events"].rows).toBe(100000);
        expect(metadata.tables["public.blobs"].rows).toBe(5);
        expect(metadata.tables["app.Mixed Case"].rows).toBe(3);
        expect(metadata.tables["public.empty_table"].rows).toBe(0);
        expect(metadata.tables.pg_largeobject.rows).toBe(5);
        firstKey = pointer.key;
    });

    it("restores a chosen timestamp into another primary: 0 rows lost, identical checksums", async () => {
        const stamp = /\/(\d{8}T\d{6}Z)\//.exec(firstKey)![1];
        const result = await runScript("restore-postgres.sh", ["--timestamp", stamp], {
            env: { ...baseEnv(), ...target.env("mcp_user", "mcp_db"), PGPASSWORD: passwords.app },
        });
        expect(result.status, result.stderr).toBe(0);
        expect(result.logLines().at(-1)).toMatchObject({ step: "finish", key: firstKey });
        const [expected, restored] = await Promise.all([
            source.sql(fingerprintSql, "mcp_db"),
            target.sql(fingerprintSql, "mcp_db"),
        ]);
        expect(restored).toBe(expected);
        expect(restored).toContain("events|100000|");
        // The restored objects belong to the application user.
        expect(
            await target.sql(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'events'",
                "mcp_db",
            ),
        ).toBe("mcp_user");
    });

    it("restores again over the restored data with the same result (idempotent)", async () => {
        await target.sql(
            "INSERT INTO events (payload, at) VALUES ('written after the backup', now())",
            "mcp_db",
        );
        const result = await runScript("restore-postgres.sh", [], {
            env: { ...baseEnv(), ...target.env("mcp_user", "mcp_db"), PGPASSWORD: passwords.app },
        });
        expect(result.status, result.stderr).toBe(0);
        expect(await target.sql(fingerprintSql, "mcp_db")).toBe(
            await source.sql(fingerprintSql, "mcp_db"),
        );
    });

    it("verifies the latest backup in a scratch PostgreSQL: row counts and checksums match", async () => {
        const result = await verify({ VERIFY_MAX_AGE_SECONDS: "3600" });
        expect(result.status, result.stderr).toBe(0);
        const messages = result.logLines().map((l) => l.msg);
        expect(messages).toContain("every table's row count and checksum match");
        expect(messages).toContain("verification passed");
    });

    it("keeps the dr stack's own backups under dr/ and verifies them there", async () => {
        // The tier comes from the clock (daily in the 02:00 hour); pin it.
        const own = await backup({ BACKUP_PREFIX: "dr/postgres", BACKUP_TIER: "hourly" });
        expect(own.status, own.stderr).toBe(0);
        const pointer = JSON.parse((await s3.get("dr/postgres/latest.json")).toString());
        expect(pointer.key).toMatch(/^dr\/postgres\/hourly\/\d{8}T\d{6}Z\/mcp_db\.dump$/);
        const result = await verify({ BACKUP_PREFIX_ROOT: "dr" });
        expect(result.status, result.stderr).toBe(0);
        expect(JSON.stringify(result.logLines())).toContain(pointer.key);
    });

    it("fails verify loudly on a corrupted dump, and restore refuses it", async () => {
        const dump = await s3.get(firstKey);
        const corrupted = Buffer.from(dump);
        for (let i = 4096; i < 4160; i++) corrupted[i] ^= 0xff;
        await s3.put(firstKey, corrupted);

        const result = await verify();
        expect(result.status).not.toBe(0);
        expect(errorsOf(result)[0]).toMatchObject({
            step: "postgres-checksum",
            msg: `backup ${firstKey} is corrupted: sha256 differs from the recorded value`,
        });

        const before = await target.sql(fingerprintSql, "mcp_db");
        const restore = await runScript("restore-postgres.sh", [], {
            env: { ...baseEnv(), ...target.env("mcp_user", "mcp_db"), PGPASSWORD: passwords.app },
        });
        expect(restore.status).not.toBe(0);
        expect(errorsOf(restore)[0].msg).toMatch(/is corrupted: sha256 differs/);
        expect(await target.sql(fingerprintSql, "mcp_db")).toBe(before);
        await s3.put(firstKey, dump);
    });

    it("fails verify on a truncated dump even when its checksum was recorded for the truncated file", async () => {
        const dump = await s3.get(firstKey);
        const truncated = dump.subarray(0, Math.floor(dump.length / 2));
        const sha256 = createHash("sha256").update(truncated).digest("hex");
        const key = "postgres/hourly/20260101T000000Z/mcp_db.dump";
        const metadata = unsigned(
            (await s3.get(firstKey.replace(/mcp_db\.dump$/, "metadata.json"))).toString(),
        );
        // Signed with the stack's key: what is tested here is pg_restore's verdict.
        await s3.put(key, truncated);
        await s3.put(
            key.replace(/mcp_db\.dump$/, "metadata.json"),
            signing.signJson({ ...metadata, key, sha256, size: truncated.length }),
        );

        const result = await verify({ BACKUP_KEY: key });
        expect(result.status).not.toBe(0);
        const error = errorsOf(result)[0];
        expect(error.step).toBe("postgres-restore");
        expect(error.msg).toBe("pg_restore exited with status 1");
        expect(String(error.stderr)).toMatch(/end of file|could not read/);
    });

    it("fails verify when the restored data differs from the metadata, naming the table", async () => {
        const metadataKey = firstKey.replace(/mcp_db\.dump$/, "metadata.json");
        const original = (await s3.get(metadataKey)).toString();
        const metadata = unsigned(original);
        metadata.tables["public.events"].rows = 100001;
        // Signed with the stack's key: what is tested here is the comparison after the restore.
        await s3.put(metadataKey, signing.signJson(metadata));
        try {
            const result = await verify({ BACKUP_KEY: firstKey });
            expect(result.status).not.toBe(0);
            const error = errorsOf(result)[0];
            expect(error.msg).toBe("restored data differs from the backup's metadata");
            expect(String(error.differences)).toContain(
                "public.events: rows 100001 in metadata, 100000 restored",
            );
        } finally {
            await s3.put(metadataKey, original);
        }
    });

    it("exits non-zero when the upload fails, and leaves the latest pointer alone", async () => {
        const pointerBefore = (await s3.get("postgres/latest.json")).toString();

        const missingBucket = await backup({ BACKUP_BUCKET: "no-such-bucket" });
        expect(missingBucket.status).not.toBe(0);
        expect(errorsOf(missingBucket)[0]).toMatchObject({ step: "upload" });
        expect(String(errorsOf(missingBucket)[0].stderr)).toMatch(/NoSuchBucket/);

        const unreachable = await backup({ S3_ENDPOINT_URL: "http://127.0.0.1:9" });
        expect(unreachable.status).not.toBe(0);
        expect(errorsOf(unreachable)[0]).toMatchObject({ step: "upload" });

        expect((await s3.get("postgres/latest.json")).toString()).toBe(pointerBefore);
    });

    it("refuses a timestamp that names no backup", async () => {
        const result = await runScript("restore-postgres.sh", ["--timestamp", "20000101T000000Z"], {
            env: { ...baseEnv(), ...target.env("mcp_user", "mcp_db"), PGPASSWORD: passwords.app },
        });
        expect(result.status).not.toBe(0);
        expect(errorsOf(result)[0]).toMatchObject({
            step: "resolve",
            msg: "no backup with this timestamp in any tier",
            timestamp: "20000101T000000Z",
        });
    });

    it("exits non-zero with a clear message when the database is unreachable", async () => {
        const result = await backup({ PGPORT: "9", PG_WAIT_SECONDS: "1" });
        expect(result.status).not.toBe(0);
        expect(errorsOf(result)[0]).toMatchObject({
            step: "connect",
            msg: "PostgreSQL is not accepting connections",
        });
    });
});
