import { describe, expect, it } from "vitest";
import {
    redisAuthConfig,
    redisServerAcls,
    redisUsers,
    type RedisUserPasswords,
    sentinelUsersConfig,
} from "../../../components/data/redis-acl";

/**
 * The Redis ACL as rendered into redis-auth.conf (servers) and sentinel-users.conf (Sentinels):
 * one user per client, none with every command, keys only for the apps. The same texts run on
 * real servers in test/ops/redis-acl.test.ts and in the failover lab (test/support/redis-lab.ts).
 */

const passwords: RedisUserPasswords = {
    admin: "pw-admin",
    app: "pw-app",
    backup: "pw-backup",
    replication: "pw-replication",
    sentinel: "pw-sentinel",
    proxy: "pw-proxy",
    exporter: "pw-exporter",
};

/** `user <name> on ><password> <rules...>` lines as name → rules. */
function users(text: string): Record<string, string[]> {
    return Object.fromEntries(
        text
            .split("\n")
            .filter((l) => l.startsWith("user "))
            .map((l) => {
                const [, name, on, password, ...rules] = l.split(" ");
                expect(on, name).toBe("on");
                expect(password, name).toBe(`>${passwords[clientOf(name!)]}`);
                return [name, rules];
            }),
    );
}
const clientOf = (user: string) =>
    (Object.keys(redisUsers) as (keyof typeof redisUsers)[]).find((k) => redisUsers[k] === user)!;

describe("redis ACL (redis-acl.ts)", () => {
    it("renders one user per client on the servers, replicas authenticating as `replica`", () => {
        const text = redisAuthConfig(passwords);
        expect(text.split("\n").slice(0, 3)).toEqual([
            "requirepass pw-admin",
            "masteruser replica",
            "masterauth pw-replication",
        ]);
        const rules = users(text);
        expect(Object.keys(rules).sort()).toEqual(
            ["app", "backup", "exporter", "redis-proxy", "replica", "sentinel"].sort(),
        );
        for (const [user, list] of Object.entries(rules)) {
            // Everything is granted from nothing: no user but `default` has +@all.
            expect(list, user).toContain("-@all");
            expect(list, user).not.toContain("+@all");
            expect(list.indexOf("-@all"), user).toBeLessThan(
                list.findIndex((r) => r.startsWith("+")),
            );
            // Keys for the apps only.
            expect(
                list.some((r) => r.startsWith("~")),
                user,
            ).toBe(user === "app");
        }
        // The apps: no admin or dangerous command, and none granted back but INFO and ROLE.
        const app = rules.app!;
        expect(app.slice(app.indexOf("-@dangerous"))).toEqual(
            expect.arrayContaining(["-@dangerous", "-@admin", "-@scripting", "+info", "+role"]),
        );
        for (const forbidden of ["+flushall", "+config", "+keys", "+@admin", "+@dangerous"]) {
            expect(app, forbidden).not.toContain(forbidden);
        }
        expect(rules.sentinel).toContain("&__sentinel__:hello");
        expect(rules.replica).toEqual(["-@all", "+psync", "+replconf", "+ping"]);
        expect(rules.backup).toEqual(redisServerAcls.backup.split(" "));
    });

    it("renders the Sentinels' client users and the users Sentinel presents to servers and peers", () => {
        const text = sentinelUsersConfig(passwords);
        const rules = users(text);
        expect(Object.keys(rules).sort()).toEqual(["app", "backup", "redis-proxy", "sentinel"]);
        for (const [user, list] of Object.entries(rules)) {
            expect(list[list.indexOf("-@all") + 1], user).toBeDefined();
            expect(list, user).not.toContain("+@all");
            for (const admin of ["+sentinel|failover", "+sentinel|set", "+sentinel|reset"]) {
                expect(list, `${user} ${admin}`).not.toContain(admin);
            }
        }
        expect(rules.backup).toEqual(["-@all", "+ping", "+sentinel|get-master-addr-by-name"]);
        expect(text).toContain(
            "sentinel sentinel-user sentinel\nsentinel sentinel-pass pw-sentinel",
        );
        expect(text).toContain(
            "sentinel auth-user mcp-cache sentinel\nsentinel auth-pass mcp-cache pw-sentinel",
        );
        // The administrator's password is not in the Sentinels' users file (requirepass comes
        // from the pod's REDISCLI_AUTH).
        expect(text).not.toContain("pw-admin");
    });

    it("refuses a password with a space or a quote, and two clients sharing one", () => {
        expect(() => redisAuthConfig({ ...passwords, app: "a b" })).toThrow(
            "redis ACL: the app password must be printable, without spaces, quotes or backslashes",
        );
        expect(() => redisAuthConfig({ ...passwords, app: 'a"b' })).toThrow(/quotes/);
        expect(() => sentinelUsersConfig({ ...passwords, backup: "pw-app" })).toThrow(
            "redis ACL: the backup and app passwords must differ",
        );
    });
});
