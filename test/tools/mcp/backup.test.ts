import { createHash } from "node:crypto";
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, mcp } from "./support";

/**
 * `mcp backup status|list|verify` with the AWS SDK against an S3-compatible server (s3rver),
 * on objects laid out as the backup CronJobs write them (ops/backup-lib.sh):
 * `<prefix>/<tier>/<stamp>/<file>` + metadata.json, and `<prefix>/latest.json`.
 */
const bucket = "mcp-platform-backups-123456789012-us-east-1";
const credentials = {
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
};

describe("mcp backup against s3rver", () => {
    let server: { close(): Promise<void> };
    let env: NodeJS.ProcessEnv;
    let endpoint: string;
    const saved: Record<string, string | undefined> = {};

    const put = async (key: string, body: Buffer | string) => {
        const response = await fetch(`${endpoint}/${bucket}/${key}`, { method: "PUT", body });
        expect(response.status).toBe(200);
    };
    /** A backup of `kind` taken `minutesAgo`, with its metadata and pointer. */
    const publish = async (kind: string, file: string, minutesAgo: number, body: Buffer) => {
        const at = new Date(Date.now() - minutesAgo * 60_000);
        const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
        const base = `${kind}/hourly/${stamp}`;
        const sha256 = createHash("sha256").update(body).digest("hex");
        await put(`${base}/${file}`, body);
        await put(`${base}/metadata.json`, JSON.stringify({ sha256, size: body.length }));
        await put(
            `${kind}/latest.json`,
            JSON.stringify({
                key: `${base}/${file}`,
                timestamp: at.toISOString(),
                sha256,
                size: body.length,
                metadata: `${base}/metadata.json`,
            }),
        );
        return `${base}/${file}`;
    };

    beforeAll(async () => {
        // The SDK's credential chain reads the process environment.
        for (const [k, v] of Object.entries(credentials)) {
            saved[k] = process.env[k];
            process.env[k] = v;
        }
        const S3rver = (await import("s3rver" as string)).default;
        const instance = new S3rver({
            address: "127.0.0.1",
            port: 0,
            silent: true,
            directory: fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-mcp-")),
            configureBuckets: [{ name: bucket }],
        });
        const address = (await instance.run()) as AddressInfo;
        endpoint = `http://127.0.0.1:${address.port}`;
        server = instance;
        env = { MCP_STACK: "production", MCP_BACKUP_BUCKET: bucket, S3_ENDPOINT_URL: endpoint };
    });
    afterAll(async () => {
        await server?.close();
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
    });

    it("status fails and names each kind without a backup", async () => {
        const run = await mcp(["backup", "status", "--json"], env);
        expect(run.code).toBe(1);
        const report = json(run);
        expect(report.healthy).toBe(false);
        expect(report.kinds.map((k: { kind: string }) => k.kind)).toEqual([
            "postgres",
            "redis",
            "app-data",
        ]);
        expect(report.kinds[0].problem).toBe(
            `no pointer s3://${bucket}/postgres/latest.json: no backup has been published`,
        );
    });

    it("status is ok when every kind's newest backup is within its schedule plus the grace", async () => {
        await publish("postgres", "mcp_db.dump", 10, Buffer.from("PGDMP".padEnd(2048, "x")));
        await publish("redis", "dump.rdb", 20, Buffer.from("REDIS0011".padEnd(512, "r")));
        await publish("app-data", "app-data.tar.gz", 60 * 20, Buffer.alloc(1024, 7));
        const run = await mcp(["backup", "status"], env);
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/^ {2}postgres +\S+ +10m \d+s +2048 +ok$/m);
        expect(run.stdout).toMatch(/^ {2}app-data +\S+ +20h 0m +1024 +ok$/m);
    });

    it("status reports a postgres backup older than 30 min + 30m grace as stale", async () => {
        await publish("postgres", "mcp_db.dump", 75, Buffer.from("PGDMP".padEnd(2048, "y")));
        const run = await mcp(["backup", "status", "--json"], env);
        expect(run.code).toBe(1);
        const postgres = json(run).kinds[0];
        expect(postgres.healthy).toBe(false);
        expect(postgres.maxAgeSeconds).toBe(3600);
        expect(postgres.problem).toMatch(
            /^the newest backup is 1h 15m old \(more than 1h 0m: schedule "\*\/30 \* \* \* \*" plus 30m\)$/,
        );
    });

    it("list shows the backups, newest first, without pointers and metadata", async () => {
        const run = await mcp(["backup", "list", "postgres", "--json"], env);
        expect(run.code).toBe(0);
        const listed = json<{ key: string; size: number }[]>(run);
        expect(listed).toHaveLength(2);
        expect(listed.every((o) => o.key.endsWith("/mcp_db.dump"))).toBe(true);
        expect(listed[0].key > listed[1].key).toBe(true);
    });

    it("verify checks the latest backup's sha256 and size, and catches a corrupted object", async () => {
        const key = await publish(
            "postgres",
            "mcp_db.dump",
            5,
            Buffer.from("PGDMP".padEnd(4096, "z")),
        );
        const good = await mcp(["backup", "verify", "postgres"], env);
        expect(good.code).toBe(0);
        expect(good.stdout).toMatch(
            new RegExp(`^verified s3://${bucket}/${key}: sha256 [0-9a-f]{64}, 4096 bytes$`),
        );

        await put(key, Buffer.from("PGDMP".padEnd(4096, "!")));
        const bad = await mcp(["backup", "verify", "--json"], env);
        expect(bad.code).toBe(1);
        const result = json(bad);
        expect(result.verified).toBe(false);
        expect(result.problems[0]).toMatch(/^sha256 is [0-9a-f]{64}, expected [0-9a-f]{64}$/);
    });

    it("verify --key checks one object against the metadata.json beside it", async () => {
        const key = await publish(
            "redis",
            "dump.rdb",
            1,
            Buffer.from("REDIS0011".padEnd(100, "q")),
        );
        const run = await mcp(["backup", "verify", "redis", "--key", key, "--json"], env);
        expect(run.code).toBe(0);
        expect(json(run)).toMatchObject({ key, verified: true, size: 100 });
    });

    it("on the standby dr stack reads the replicated backups under the same prefixes", async () => {
        const run = await mcp(["backup", "list", "postgres", "--json", "--stack", "dr"], env);
        expect(run.code).toBe(0);
        expect(json<{ key: string }[]>(run).every((o) => o.key.startsWith("postgres/"))).toBe(true);
    });

    it("says which bucket could not be reached and what to do", async () => {
        const run = await mcp(["backup", "status"], {
            ...env,
            S3_ENDPOINT_URL: "http://127.0.0.1:1",
        });
        expect(run.code).toBe(3);
        expect(run.stderr).toMatch(
            /^mcp backup: read s3:\/\/mcp-platform-backups-123456789012-us-east-1\/postgres\/latest.json: cannot reach S3 \(us-east-1\): .+\nwhat to do: check the network and AWS credentials/,
        );
    });

    it("rejects unknown actions and kinds as usage errors", async () => {
        expect((await mcp(["backup", "explode"], env)).stderr.split("\n")[0]).toBe(
            'mcp backup: unknown action "explode"; expected status, list, verify or create; see mcp backup --help',
        );
        const kind = await mcp(["backup", "list", "mongo"], env);
        expect(kind.code).toBe(2);
        expect(kind.stderr).toMatch(
            /unknown backup kind "mongo"; expected postgres, redis, app-data/,
        );
    });
});
