import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { activate } from "../../tools/lib/dr/activate";
import { AwsCliBackupStore } from "../../tools/lib/dr/aws-cli-store";
import { checkLatestBackup } from "../../tools/lib/dr/backup";
import { fetchGet } from "../../tools/lib/dr/http";
import { rpoMs } from "../../tools/lib/dr/targets";
import { ObjectNotFound, systemClock } from "../../tools/lib/dr/types";
import { World } from "./dr-fakes";

/**
 * The DR tool's real S3 reader — the AWS CLI — against an S3-compatible server (s3rver) on
 * loopback, and a whole activation with only the Pulumi workspace faked: real `aws`, real
 * HTTP to an edge stand-in that flips when the "up" runs.
 */
const credentials = {
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
};
const bucket = "mcp-backups-dr-1a2b";

function requireAwsCli(): void {
    const probe = spawnSync("aws", ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        throw new Error(
            "the AWS CLI is required for this test: apt-get install -y --no-install-recommends awscli",
        );
    }
}

describe("AwsCliBackupStore against an S3-compatible server", () => {
    let server: { close(): Promise<void> };
    let endpoint: string;
    let store: AwsCliBackupStore;
    const dump = Buffer.from("PGDMP".padEnd(4096, "x"));
    const dumpKey = "postgres/hourly/20261121T110000Z/mcp_db.dump";

    // Objects are written with a plain PUT (s3rver accepts anonymous writes), so the slow part
    // — a Python process per `aws` call — is spent only on the reads under test.
    const put = async (key: string, body: Buffer | string) => {
        const response = await fetch(`${endpoint}/${bucket}/${key}`, { method: "PUT", body });
        expect(response.status).toBe(200);
    };

    beforeAll(async () => {
        requireAwsCli();
        const S3rver = (await import("s3rver" as string)).default;
        const instance = new S3rver({
            address: "127.0.0.1",
            port: 0,
            silent: true,
            directory: fs.mkdtempSync(path.join(os.tmpdir(), "s3rver-dr-")),
            configureBuckets: [{ name: bucket }],
        });
        const address = (await instance.run()) as AddressInfo;
        endpoint = `http://127.0.0.1:${address.port}`;
        server = instance;
        store = new AwsCliBackupStore({ endpointUrl: endpoint, env: credentials });
    });
    afterAll(async () => {
        await server?.close();
    });

    it("reads an object's text and size", async () => {
        await put("notes/hello.txt", "hello dr\n");
        const location = { bucket, key: "notes/hello.txt", region: "us-west-2" };
        expect(await store.readText(location)).toBe("hello dr\n");
        expect(await store.size(location)).toBe(9);
    });

    it("reports a missing object as missing, not as an error", async () => {
        const location = { bucket, key: "postgres/none.json", region: "us-west-2" };
        await expect(store.readText(location)).rejects.toBeInstanceOf(ObjectNotFound);
        expect(await store.size(location)).toBeUndefined();
    });

    it("checks a fresh backup written the way the backup job writes it", async () => {
        await put(dumpKey, dump);
        const timestamp = new Date(Date.now() - 10 * 60_000).toISOString();
        await put(
            "postgres/latest.json",
            JSON.stringify({
                key: dumpKey,
                timestamp,
                sha256: createHash("sha256").update(dump).digest("hex"),
                size: dump.length,
            }),
        );
        const check = await checkLatestBackup(store, bucket, "us-west-2", Date.now(), rpoMs);
        expect(check.pointer.timestamp).toBe(timestamp);
        expect(check.storedSize).toBe(4096);
    });

    it("fails with the CLI's reason when the server is unreachable", async () => {
        const closed = new AwsCliBackupStore({
            endpointUrl: "http://127.0.0.1:9",
            env: { ...credentials, AWS_MAX_ATTEMPTS: "1", AWS_RETRY_MODE: "standard" },
        });
        await expect(
            closed.readText({ bucket, key: "postgres/latest.json", region: "us-west-2" }),
        ).rejects.toThrow(/reading s3:\/\/mcp-backups-dr-1a2b\/postgres\/latest.json failed: .+/);
    });

    describe("a whole activation with the real AWS CLI and HTTP", () => {
        let edge: http.Server;
        let edgeUrl: string;
        let region = "primary";
        beforeAll(async () => {
            edge = http.createServer((req, res) => {
                res.writeHead(req.url === "/health/detailed" ? 200 : 404, {
                    "content-type": "application/json",
                });
                res.end(JSON.stringify({ status: "ok", activeRegion: region, maintenance: false }));
            });
            await new Promise<void>((resolve) => edge.listen(0, "127.0.0.1", resolve));
            edgeUrl = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
        });
        afterAll(() => edge.close());

        it("reads the replicated pointer, runs the update and sees the edge switch", async () => {
            await put(dumpKey, dump);
            await put(
                "postgres/latest.json",
                JSON.stringify({
                    key: dumpKey,
                    timestamp: new Date(Date.now() - 5 * 60_000).toISOString(),
                    sha256: createHash("sha256").update(dump).digest("hex"),
                    size: dump.length,
                }),
            );
            const world = new World();
            const originalUp = world.dr.up.bind(world.dr);
            world.dr.up = async (onOutput) => {
                const result = await originalUp(onOutput);
                region = "dr"; // what the EdgeSwitch's KV write does
                return result;
            };
            const lines: string[] = [];
            const result = await activate(
                {
                    workspace: world.workspace,
                    store,
                    database: world.database,
                    http: fetchGet,
                    clock: systemClock,
                    log: (l) => lines.push(l),
                },
                {
                    drStack: "dr",
                    productionStack: "production",
                    maxBackupAgeMs: rpoMs,
                    edgeHostname: edgeUrl,
                    edgeDeadlineMs: 5000,
                    edgePollIntervalMs: 100,
                    dryRun: false,
                    confirm: async () => true,
                },
            );
            expect(result.changed).toBe(true);
            expect(result.backup?.pointer.key).toBe(dumpKey);
            expect(result.edge?.activeRegion).toBe("dr");
            expect(world.journal).toContain("dr up");
        });
    });
});
