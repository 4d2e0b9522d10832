import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisAuthConfig, redisExporterUser } from "../../components/data/redis-config";
import { freePort, requireTools, run, tempDir } from "../support/ops";
import { until } from "../support/redis-lab";

/**
 * The redis servers' ACL (components/data/redis-config.ts, redis-auth.conf) on a real
 * redis-server: the exporter's user reads what Debian's redis_exporter needs and nothing else.
 */

const password = "aclAdminPass1";
const exporterPassword = "aclExporterPass1";

describe("redis ACL users (redis-server, redis_exporter)", () => {
    let port: number;
    let dir: string;
    let exporter: ChildProcess | undefined;

    const cli = async (auth: string[], ...args: string[]) => {
        const result = await run("redis-cli", [
            "--no-auth-warning",
            "-p",
            String(port),
            ...auth,
            ...args,
        ]);
        return (result.stdout + result.stderr).trim();
    };
    const admin = ["--pass", password];
    const asExporter = ["--user", redisExporterUser, "--pass", exporterPassword];

    beforeAll(async () => {
        requireTools("redis", "redis-exporter");
        dir = tempDir("redis-acl");
        port = await freePort();
        fs.writeFileSync(
            path.join(dir, "redis-auth.conf"),
            redisAuthConfig(password, exporterPassword),
        );
        const started = await run("redis-server", [
            "--port",
            String(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir,
            "--daemonize",
            "yes",
            "--pidfile",
            path.join(dir, "redis.pid"),
            "--logfile",
            path.join(dir, "redis.log"),
            "--include",
            path.join(dir, "redis-auth.conf"),
        ]);
        expect(started.status, started.stderr).toBe(0);
        await until("redis-server to answer", 30, async () =>
            (await cli(admin, "ping")) === "PONG" ? true : undefined,
        );
        await cli(admin, "set", "session:1", "secret-value");
    });

    afterAll(async () => {
        if (exporter && exporter.exitCode === null) exporter.kill("SIGKILL");
        if (port) await cli(admin, "shutdown", "nosave").catch(() => "");
    });

    it("lets the exporter read its metrics, and refuses it keys, writes and admin commands", async () => {
        expect(await cli(asExporter, "ping")).toBe("PONG");
        expect(await cli(asExporter, "info", "replication")).toContain("role:master");
        expect(await cli(asExporter, "config", "get", "maxmemory")).toContain("maxmemory");
        for (const forbidden of [
            ["get", "session:1"],
            ["set", "x", "1"],
            ["keys", "*"],
            ["flushall"],
            ["config", "set", "maxmemory", "1"],
            ["replicaof", "127.0.0.1", "1"],
            ["acl", "list"],
            ["shutdown"],
        ]) {
            expect(await cli(asExporter, ...forbidden), forbidden.join(" ")).toMatch(/^NOPERM/);
        }
        // The servers' own user is untouched: the pods, replication, Sentinel, the backups.
        expect(await cli(admin, "get", "session:1")).toBe("secret-value");
        expect(await cli(["--user", redisExporterUser, "--pass", "wrong"], "ping")).toMatch(
            /WRONGPASS/,
        );
    });

    it("is enough for Debian's redis_exporter: redis_up 1, no scrape error, nothing denied", async () => {
        // Start from an empty ACL log (the test above logged a wrong password on purpose).
        expect(await cli(admin, "acl", "log", "reset")).toBe("OK");
        const listen = await freePort();
        const log = path.join(dir, "exporter.log");
        const out = fs.openSync(log, "a");
        exporter = spawn(
            "prometheus-redis-exporter",
            [
                "-redis.addr",
                `redis://127.0.0.1:${port}`,
                "-redis.user",
                redisExporterUser,
                "-web.listen-address",
                `127.0.0.1:${listen}`,
            ],
            {
                env: { PATH: process.env.PATH, REDIS_PASSWORD: exporterPassword },
                stdio: ["ignore", out, out],
            },
        );
        const metrics = await until("the exporter's metrics", 30, async () => {
            const response = await fetch(`http://127.0.0.1:${listen}/metrics`);
            const text = await response.text();
            return /^redis_up /m.test(text) ? text : undefined;
        });
        expect(metrics).toMatch(/^redis_up 1$/m);
        expect(metrics).toMatch(/^redis_exporter_last_scrape_error\{err=""\} 0$/m);
        expect(metrics).toMatch(/^redis_db_keys\{db="db0"\} 1$/m);
        expect(metrics).toMatch(/^redis_config_maxmemory /m);
        // Redis records every command the ACL refused: none from the exporter.
        expect(await cli(admin, "acl", "log")).toBe("");
    });
});
