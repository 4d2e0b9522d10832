/**
 * haproxy.cfg of `redis-proxy`, the primary-following endpoint behind the Service `redis`
 * (docs/data.md, "How clients reach the primary"). A pure function of the servers' addresses,
 * so the tests run the very same text with real HAProxy, Redis and Sentinel on loopback.
 *
 * A client connection goes to server N only when
 *   - server N says `role:master`, and its own pod's Sentinel names N as the primary (checked
 *     every second; a server that fails this closes its clients' connections, so they
 *     reconnect and land on the new primary), and
 *   - a quorum of all the Sentinels names N (so an old primary cut off with its own Sentinel
 *     gets no new connections).
 * With no such server the connection is closed at once; clients retry.
 */

/** One redis pod as the proxy reaches it. */
export interface RedisProxyServer {
    /** HAProxy's name for it: the pod name (`redis-0`). */
    readonly name: string;
    /** The name Sentinel announces for it (its headless-Service DNS name). */
    readonly host: string;
    readonly port: number;
    /** Its pod's Sentinel. */
    readonly sentinelPort: number;
}

export interface RedisProxyConfigArgs {
    readonly servers: readonly RedisProxyServer[];
    /** The master name the Sentinels monitor (`mcp-cache`). */
    readonly master: string;
    /** Sentinels that must name a server before it gets new connections. */
    readonly quorum: number;
    /** HAProxy's listening address, `:6379` in the pod. */
    readonly bind: string;
    /**
     * Resolve the servers' names through the pod's resolv.conf while running (pod IPs change
     * on every restart). Off for literal addresses. @default true
     */
    readonly resolveNames?: boolean;
    /** Milliseconds between two checks of a server. @default 1000 */
    readonly checkIntervalMs?: number;
    /**
     * The ACL user the checks authenticate as (`AUTH <user> <password>`), with the password in
     * HAProxy's `REDIS_PASSWORD`. @default the `default` user (`AUTH <password>`)
     */
    readonly authUser?: string;
}

/** The RESP reply of `SENTINEL GET-MASTER-ADDR-BY-NAME` naming host:port, as hex. */
export function sentinelAnswerHex(host: string, port: number): string {
    const bulk = (value: string) => `$${Buffer.byteLength(value)}\r\n${value}\r\n`;
    return Buffer.from(`*2\r\n${bulk(host)}${bulk(String(port))}`).toString("hex");
}

/** The AUTH command of a check: as `user` when given, else as the `default` user. */
function authCommand(user: string | undefined): string {
    if (user !== undefined && !/^[A-Za-z0-9_-]+$/.test(user)) {
        throw new Error(
            `redis-proxy: the ACL user name must be letters, digits, _ or -; got ${user}`,
        );
    }
    return `tcp-check send "AUTH ${user === undefined ? "" : `${user} `}\${REDIS_PASSWORD}\\r\\n"`;
}

/** AUTH, then the Sentinel's answer must name `server`: the steps of one check. */
function sentinelNames(server: RedisProxyServer, master: string, user?: string): string[] {
    return [
        authCommand(user),
        "tcp-check expect string +OK",
        `tcp-check send "SENTINEL GET-MASTER-ADDR-BY-NAME ${master}\\r\\n"`,
        // min-recv 0: judge the first reply as it is; a Sentinel naming another server fails
        // the check at once instead of after the check timeout.
        `tcp-check expect min-recv 0 binary ${sentinelAnswerHex(server.host, server.port)}`,
        `tcp-check send "QUIT\\r\\n"`,
    ];
}

const indent = (lines: string[]) => lines.map((line) => `    ${line}`);

/** The proxy's configuration text; `${REDIS_PASSWORD}` is read from HAProxy's environment. */
export function redisProxyConfig(args: RedisProxyConfigArgs): string {
    if (args.servers.length === 0) throw new Error("redis-proxy needs at least one server");
    if (!Number.isInteger(args.quorum) || args.quorum < 1 || args.quorum > args.servers.length) {
        throw new Error(
            `redis-proxy quorum must be between 1 and ${args.servers.length}; got ${args.quorum}`,
        );
    }
    const resolve = args.resolveNames ?? true;
    const inter = args.checkIntervalMs ?? 1000;
    const addressing = resolve ? " resolvers cluster-dns init-addr last,libc,none" : "";
    const sections: string[][] = [
        [
            "global",
            ...indent([
                "maxconn 4096",
                // Server up/down events, not one line per client connection.
                "log stdout format raw local0 notice",
            ]),
        ],
        [
            "defaults",
            ...indent([
                "mode tcp",
                "log global",
                "timeout connect 3s",
                // Redis connections live long and may idle (pools, pub/sub, blocking pops).
                "timeout client 1h",
                "timeout server 1h",
                "timeout check 2s",
                `default-server inter ${inter}ms fall 2 rise 1`,
            ]),
        ],
    ];
    if (resolve) {
        sections.push([
            "resolvers cluster-dns",
            ...indent(["parse-resolv-conf", "hold valid 5s", "timeout resolve 1s"]),
        ]);
    }
    const routes: string[] = [];
    for (const server of args.servers) {
        const primary = `primary-${server.name}`;
        const named = `sentinels-name-${server.name}`;
        // The data path: one server, up while it is the primary for itself and its Sentinel.
        sections.push([
            `backend ${primary}`,
            ...indent([
                "option tcp-check",
                `tcp-check connect port ${server.sentinelPort}`,
                ...sentinelNames(server, args.master, args.authUser),
                "tcp-check connect",
                authCommand(args.authUser),
                "tcp-check expect string +OK",
                `tcp-check send "INFO replication\\r\\n"`,
                "tcp-check expect min-recv 0 string role:master",
                `tcp-check send "QUIT\\r\\n"`,
                `server ${server.name} ${server.host}:${server.port} check on-marked-down shutdown-sessions${addressing}`,
            ]),
        ]);
        // Every Sentinel asked whether this server is the primary: nbsrv counts the yeses.
        sections.push([
            `backend ${named}`,
            ...indent([
                "option tcp-check",
                "tcp-check connect",
                ...sentinelNames(server, args.master, args.authUser),
                ...args.servers.map(
                    (s) => `server ${s.name} ${s.host}:${s.sentinelPort} check${addressing}`,
                ),
            ]),
        ]);
        routes.push(
            `use_backend ${primary} if { srv_is_up(${primary}/${server.name}) } { nbsrv(${named}) ge ${args.quorum} }`,
        );
    }
    sections.push([
        "frontend redis",
        ...indent([`bind ${args.bind}`, ...routes, "default_backend no-primary"]),
    ]);
    // No server: HAProxy closes the connection at once and the client retries.
    sections.push(["backend no-primary"]);
    return sections.map((lines) => lines.join("\n")).join("\n\n") + "\n";
}
