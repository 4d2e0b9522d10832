import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    redisAuthConfig,
    redisExporterUser,
    redisUsers,
    type RedisUserPasswords,
    sentinelUsersConfig,
} from "../../components/data/redis-acl";
import { redisNames } from "../../components/data/redis-config";
import { freePort, requireTools, run, tempDir } from "../support/ops";
import { fields, until } from "../support/redis-lab";

/**
 * The Redis ACL (components/data/redis-acl.ts: redis-auth.conf of the servers,
 * sentinel-users.conf of the Sentinels) on a real primary, a replica and a Sentinel: each
 * client's user can do its job and is refused every command, key and channel outside it; the
 * replica streams as `replica`, the Sentinel watches both as `sentinel`; Debian's
 * redis_exporter runs with its user and nothing is denied to it.
 */

const passwords: RedisUserPasswords = {
    admin: "aclAdminPass1",
    app: "aclAppPass1",
    backup: "aclBackupPass1",
    replication: "aclReplicaPass1",
    sentinel: "aclSentinelPass1",
    proxy: "aclProxyPass1",
    exporter: "aclExporterPass1",
};
const master = redisNames.sentinelMaster;

describe("redis ACL users (redis-server, redis-sentinel, redis_exporter)", () => {
    let dir: string;
    let port: number;
    let replicaPort: number;
    let sentinelPort: number;
    let exporter: ChildProcess | undefined;

    const cliAt = async (at: number, auth: string[], ...args: string[]) => {
        const result = await run("redis-cli", [
            "--no-auth-warning",
            "-p",
            String(at),
            ...auth,
            ...args,
        ]);
        return (result.stdout + result.stderr).trim();
    };
    const cli = (auth: string[], ...args: string[]) => cliAt(port, auth, ...args);
    const as = (client: keyof typeof redisUsers) => [
        "--user",
        redisUsers[client],
        "--pass",
        passwords[client],
    ];
    const admin = ["--pass", passwords.admin];

    const startServer = async (at: number, name: string, extra: string[] = []) => {
        const started = await run("redis-server", [
            "--port",
            String(at),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir,
            "--dbfilename",
            `${name}.rdb`,
            "--daemonize",
            "yes",
            "--pidfile",
            path.join(dir, `${name}.pid`),
            "--logfile",
            path.join(dir, `${name}.log`),
            "--repl-diskless-sync-delay",
            "0",
            "--include",
            path.join(dir, "redis-auth.conf"),
            ...extra,
        ]);
        expect(started.status, started.stderr).toBe(0);
        await until(`${name} to answer`, 30, async () =>
            (await cliAt(at, admin, "ping")) === "PONG" ? true : undefined,
        );
    };

    beforeAll(async () => {
        requireTools("redis", "sentinel", "redis-exporter");
        dir = tempDir("redis-acl");
        port = await freePort();
        replicaPort = await freePort();
        sentinelPort = await freePort();
        fs.writeFileSync(path.join(dir, "redis-auth.conf"), redisAuthConfig(passwords));
        await startServer(port, "primary");
        await startServer(replicaPort, "replica", ["--replicaof", "127.0.0.1", String(port)]);
        // A Sentinel configured as ops/redis-start.sh writes it: the monitor line, then the
        // component's sentinel-users.conf.
        fs.writeFileSync(
            path.join(dir, "sentinel.conf"),
            [
                `port ${sentinelPort}`,
                "bind 127.0.0.1",
                `dir ${dir}`,
                `sentinel monitor ${master} 127.0.0.1 ${port} 1`,
                `requirepass ${passwords.admin}`,
                sentinelUsersConfig(passwords),
            ].join("\n"),
        );
        const sentinel = await run("redis-sentinel", [
            path.join(dir, "sentinel.conf"),
            "--daemonize",
            "yes",
            "--pidfile",
            path.join(dir, "sentinel.pid"),
            "--logfile",
            path.join(dir, "sentinel.log"),
        ]);
        expect(sentinel.status, sentinel.stderr).toBe(0);
        await cli(admin, "set", "session:1", "secret-value");
    });

    afterAll(async () => {
        if (exporter && exporter.exitCode === null) exporter.kill("SIGKILL");
        for (const at of [sentinelPort, replicaPort, port]) {
            if (at) await cliAt(at, admin, "shutdown", "nosave").catch(() => "");
        }
    });

    it("lets the apps read and write keys, and refuses them every admin or dangerous command", async () => {
        const app = as("app");
        expect(await cli(app, "set", "app:1", "v")).toBe("OK");
        expect(await cli(app, "get", "session:1")).toBe("secret-value");
        expect(await cli(app, "incr", "counter")).toBe("1");
        expect(await cli(app, "expire", "counter", "60")).toBe("1");
        expect(await cli(app, "hset", "h", "f", "1")).toBe("1");
        expect(await cli(app, "eval", "return redis.call('get', KEYS[1])", "1", "app:1")).toBe("v");
        expect(await cli(app, "scan", "0")).toMatch(/^0\n/);
        expect(await cli(app, "publish", "events", "x")).toBe("0");
        expect(await cli(app, "info", "replication")).toContain("role:master");
        expect(await cli(app, "role")).toMatch(/^master/);
        for (const forbidden of [
            ["flushall"],
            ["flushdb"],
            ["keys", "*"],
            ["config", "get", "maxmemory"],
            ["config", "set", "maxmemory", "1"],
            ["shutdown", "nosave"],
            ["replicaof", "127.0.0.1", "1"],
            ["acl", "list"],
            ["monitor"],
            ["client", "kill", "127.0.0.1:1"],
            ["migrate", "127.0.0.1", "1", "app:1", "0", "1000"],
            ["restore", "k", "0", "x"],
            ["script", "flush"],
            ["function", "flush"],
            ["save"],
            ["bgrewriteaof"],
        ]) {
            expect(await cli(app, ...forbidden), forbidden.join(" ")).toMatch(/^NOPERM/);
        }
        // DEBUG is off on these servers anyway (enable-debug-command), and redis-cli turns SYNC
        // into a replica session: ask the ACL itself.
        for (const command of [["debug", "sleep", "0"], ["sync"], ["psync", "?", "-1"]]) {
            expect(await cli(admin, "acl", "dryrun", "app", ...command)).toMatch(
                new RegExp(`no permissions to run the '${command[0]}' command`),
            );
        }
    });

    it("lets the backup user find the primary and stream a snapshot, and nothing else", async () => {
        const backup = as("backup");
        expect(await cli(backup, "ping")).toBe("PONG");
        expect(await cli(backup, "role")).toMatch(/^master/);
        expect(await cli(backup, "info", "server")).toContain("redis_version:");
        const rdb = path.join(dir, "backup.rdb");
        const snapshot = await run("redis-cli", [
            "--no-auth-warning",
            "-p",
            String(port),
            ...backup,
            "--rdb",
            rdb,
        ]);
        expect(snapshot.status, snapshot.stderr).toBe(0);
        expect(fs.readFileSync(rdb).subarray(0, 5).toString()).toBe("REDIS");
        for (const forbidden of [
            ["get", "session:1"],
            ["set", "x", "1"],
            ["keys", "*"],
            ["flushall"],
            ["config", "get", "*"],
            ["acl", "list"],
        ]) {
            expect(await cli(backup, ...forbidden), forbidden.join(" ")).toMatch(/^NOPERM/);
        }
    });

    it("streams the replica as `replica`, whose user can read no key", async () => {
        const link = await until("the replica's link to its primary", 30, async () => {
            const info = await cliAt(replicaPort, admin, "info", "replication");
            return /master_link_status:up/.test(info) ? info : undefined;
        });
        expect(link).toContain("role:slave");
        await until("the key on the replica", 30, async () =>
            (await cliAt(replicaPort, admin, "get", "session:1")) === "secret-value"
                ? true
                : undefined,
        );
        const replica = as("replication");
        expect(await cli(replica, "ping")).toBe("PONG");
        for (const forbidden of [["get", "session:1"], ["set", "x", "1"], ["info"]]) {
            expect(await cli(replica, ...forbidden), forbidden.join(" ")).toMatch(/^NOPERM/);
        }
    });

    it("lets the Sentinel watch the servers as `sentinel`, a user without keys", async () => {
        const state = await until(
            "the Sentinel to see the primary and its replica",
            60,
            async () => {
                const record = fields(
                    await cliAt(sentinelPort, admin, "sentinel", "master", master),
                );
                return record["num-slaves"] === "1" && record.flags === "master"
                    ? record
                    : undefined;
            },
        );
        expect(state.flags).toBe("master");
        // Nothing the Sentinel sent was refused by either server.
        const refusedSentinel = /username\nsentinel\n/;
        expect(await cli(admin, "acl", "log")).not.toMatch(refusedSentinel);
        expect(await cliAt(replicaPort, admin, "acl", "log")).not.toMatch(refusedSentinel);
        const sentinel = as("sentinel");
        for (const forbidden of [["get", "session:1"], ["set", "x", "1"], ["flushall"]]) {
            expect(await cli(sentinel, ...forbidden), forbidden.join(" ")).toMatch(/^NOPERM/);
        }
    });

    it("lets clients ask the Sentinel for the primary, and refuses them its admin commands", async () => {
        const addr = ["sentinel", "get-master-addr-by-name", master];
        for (const client of ["app", "backup", "proxy"] as const) {
            expect(await cliAt(sentinelPort, as(client), ...addr), client).toBe(
                `127.0.0.1\n${port}`,
            );
            for (const forbidden of [
                ["sentinel", "failover", master],
                ["sentinel", "set", master, "down-after-milliseconds", "1000"],
                ["sentinel", "reset", "*"],
                ["sentinel", "remove", master],
                ["sentinel", "config", "get", "*"],
                ["acl", "list"],
                ["shutdown"],
            ]) {
                expect(
                    await cliAt(sentinelPort, as(client), ...forbidden),
                    `${client}: ${forbidden.join(" ")}`,
                ).toMatch(/^NOPERM/);
            }
        }
        // Sentinel-aware libraries also list the replicas and Sentinels: the apps only.
        expect(await cliAt(sentinelPort, as("app"), "sentinel", "replicas", master)).toContain(
            String(replicaPort),
        );
        expect(await cliAt(sentinelPort, as("proxy"), "sentinel", "replicas", master)).toMatch(
            /^NOPERM/,
        );
        // The servers' admin password is not the apps' and opens nothing for them.
        expect(
            await cliAt(sentinelPort, ["--user", "app", "--pass", passwords.admin], "ping"),
        ).toMatch(/WRONGPASS/);
    });

    it("lets the exporter read its metrics, and refuses it keys, writes and admin commands", async () => {
        const asExporter = as("exporter");
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
        // The servers' own user is untouched: the pods and operators.
        expect(await cli(admin, "get", "session:1")).toBe("secret-value");
        expect(await cli(["--user", redisExporterUser, "--pass", "wrong"], "ping")).toMatch(
            /WRONGPASS/,
        );
    });

    it("is enough for Debian's redis_exporter: redis_up 1, no scrape error, nothing denied", async () => {
        // Start from an empty ACL log (the tests above were refused on purpose).
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
                env: { PATH: process.env.PATH, REDIS_PASSWORD: passwords.exporter },
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
        expect(metrics).toMatch(/^redis_config_maxmemory /m);
        // Redis records every command the ACL refused: none from the exporter.
        expect(await cli(admin, "acl", "log")).toBe("");
    });
});
