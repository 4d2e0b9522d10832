import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    refusedUrl,
    startEdge,
    startOrigin,
    type TestEdge,
    type TestOrigin,
} from "../../worker/support";
import { startPrometheus, type TestPrometheus } from "./prometheus";
import { json, mcp } from "./support";

/**
 * The verbs that read the edge and Prometheus: `mcp tls check` on blackbox probe series in a
 * real Prometheus, `mcp health` on the edge Worker in workerd (Miniflare, the bundle the
 * stack deploys) in front of loopback origins plus Prometheus's `up` and ALERTS, and
 * `mcp maintenance status` on the edge's switch.
 */
const day = 86_400;
const api = "https://api.mcp-production.com";
const semantic = "https://semantic.mcp-production.com";
const edgeHost = "https://mcp.mcp-production.com";

describe("mcp tls check, health and maintenance status against Prometheus and the edge", () => {
    let prometheus: TestPrometheus;
    let edge: TestEdge;
    let primary: TestOrigin;
    let dr: TestOrigin;
    const env = () => ({
        MCP_STACK: "production",
        MCP_PROMETHEUS_URL: prometheus.url,
        MCP_EDGE_URL: edge.url.toString(),
    });

    beforeAll(async () => {
        prometheus = await startPrometheus({
            rules: {
                groups: [
                    {
                        name: "fixture",
                        rules: [
                            {
                                alert: "PostgresDown",
                                expr: "vector(1)",
                                labels: { severity: "critical" },
                            },
                        ],
                    },
                ],
            },
        });
        primary = await startOrigin("primary");
        dr = await startOrigin("dr");
        edge = await startEdge({ primary: primary.url, dr: dr.url });
    });
    afterAll(async () => {
        await edge?.close();
        await primary?.close();
        await dr?.close();
        await prometheus?.stop();
    });

    const probes = (certificates: Record<string, number | undefined>) => {
        const now = Date.now() / 1000;
        return Object.entries(certificates)
            .flatMap(([instance, days]) => [
                ...(days === undefined
                    ? []
                    : [
                          `probe_ssl_earliest_cert_expiry{job="blackbox",instance="${instance}"} ${now + days * day}`,
                      ]),
                `probe_success{job="blackbox",instance="${instance}"} ${days === undefined ? 0 : 1}`,
            ])
            .join("\n")
            .concat("\n");
    };

    it("tls check lists days left per endpoint and fails below the warning threshold", async () => {
        prometheus.expose(probes({ [api]: 40, [semantic]: 10, [edgeHost]: undefined }));
        await prometheus.waitFor('probe_success{job="blackbox"}', 3);
        await prometheus.waitFor('probe_ssl_earliest_cert_expiry{job="blackbox"}', 2);
        const run = await mcp(["tls", "check", "--json"], env());
        expect(run.code).toBe(1);
        const report = json(run);
        const byInstance = Object.fromEntries(
            report.certificates.map((c: { instance: string }) => [c.instance, c]),
        );
        expect(byInstance[api].state).toBe("ok");
        expect(byInstance[api].expiresInSeconds / day).toBeCloseTo(40, 1);
        expect(byInstance[semantic].state).toBe("warning");
        expect(byInstance[edgeHost]).toMatchObject({
            state: "probe-failing",
            probeSucceeded: false,
        });

        const text = await mcp(["tls", "check", "--warn-days", "5"], env());
        expect(text.stdout).toMatch(
            new RegExp(
                `^${semantic.replace(/\./g, "\\.")} +(9\\.9|10\\.0) +\\d{4}-\\d{2}-\\d{2} +ok$`,
                "m",
            ),
        );
        expect(text.stdout).toMatch(/PROBE-FAILING$/m);
    });

    it("tls check passes when every certificate has time left", async () => {
        prometheus.expose(probes({ [api]: 60 }));
        const until = Date.now() + 30_000;
        let run;
        do {
            run = await mcp(["tls", "check"], env());
            if (run.code === 0) break;
            await new Promise((resolve) => setTimeout(resolve, 1000));
        } while (Date.now() < until && (await Promise.resolve(true)));
        // The failed probe's series go stale 5 minutes after the last scrape; read only api.
        expect(run.stdout).toMatch(/^https:\/\/api\.mcp-production\.com +(59\.9|60\.0) /m);
    });

    it("tls check says when Prometheus cannot be reached and how to reach it", async () => {
        const closed = await refusedUrl();
        const run = await mcp(["tls", "check"], {
            MCP_STACK: "production",
            MCP_PROMETHEUS_URL: closed,
        });
        expect(run.code).toBe(3);
        expect(run.stderr).toBe(
            `mcp tls: cannot reach Prometheus at ${closed}: ECONNREFUSED\nwhat to do: start the port-forward: kubectl -n monitoring port-forward svc/kube-prometheus-stack-prometheus 9090:9090 (or pass --prometheus-url)`,
        );
    });

    it("health lists what is unhealthy: a scrape target down and a firing critical alert; the edge is ok", async () => {
        await prometheus.waitFor('up{job="mcp-services"} == 0');
        await prometheus.waitFor('ALERTS{alertstate="firing"}');
        const run = await mcp(["health", "--no-cluster", "--verbose"], env());
        expect(run.code).toBe(1);
        expect(run.stdout).toMatch(/^ok {4}edge: ok, active region primary$/m);
        expect(run.stdout).toMatch(/^ok {4}edge origin primary: up, HTTP 200, \d+ ms$/m);
        expect(run.stdout).toMatch(/^FAIL {2}scrape targets: down: 127\.0\.0\.1:\d+$/m);
        expect(run.stdout).toMatch(/^FAIL {2}critical alerts: PostgresDown$/m);
        expect(run.stdout).toMatch(/^UNHEALTHY: 2 of 5 checks on the production stack$/m);
    });

    it("health is healthy on the edge alone while its active origin answers, and fails when only the failover does", async () => {
        const ok = await mcp(["health", "--no-cluster", "--json"], {
            ...env(),
            MCP_PROMETHEUS_URL: undefined,
        });
        expect(ok.code).toBe(0);
        expect(json(ok).checks.map((c: { name: string }) => c.name)).toEqual([
            "edge",
            expect.stringMatching(/^edge origin primary/),
            expect.stringMatching(/^edge origin dr/),
        ]);
        primary.mode = "error";
        try {
            const degraded = await mcp(["health", "--no-cluster"], {
                ...env(),
                MCP_PROMETHEUS_URL: undefined,
            });
            expect(degraded.code).toBe(1);
            expect(degraded.stdout).toMatch(/^FAIL {2}edge: degraded, active region primary$/m);
            expect(degraded.stdout).toMatch(
                /^FAIL {2}edge origin primary: down, HTTP 5\d\d, \d+ ms, unhealthy_status$/m,
            );
        } finally {
            primary.reset();
        }
    });

    it("report daily puts health, backups, TLS and firing alerts in one report, each with its result", async () => {
        const run = await mcp(["report", "daily", "--json"], {
            ...env(),
            MCP_BACKUP_BUCKET: "mcp-backups-unreachable",
            S3_ENDPOINT_URL: await refusedUrl(),
        });
        expect(run.code).toBe(1);
        const report = json(run);
        expect(report.ok).toBe(false);
        expect(Object.keys(report.sections)).toEqual(["health", "backups", "tls", "alerts"]);
        expect(report.sections.alerts.json).toContainEqual(
            expect.objectContaining({ alertname: "PostgresDown", severity: "critical" }),
        );
        expect(report.sections.backups).toMatchObject({
            code: 3,
            error: expect.stringMatching(/cannot reach S3/),
        });
        expect(report.sections.health.json.checks[0]).toMatchObject({
            name: "edge",
            healthy: true,
        });
        expect(report.sections.tls.json.certificates.length).toBeGreaterThan(0);
    });

    it("maintenance status reads the edge's switch", async () => {
        const off = await mcp(["maintenance", "status"], env());
        expect(off.code).toBe(0);
        expect(off.stdout).toMatch(/^edge: serving$/m);
        await edge.setSwitch("maintenance", "on");
        try {
            const on = await mcp(["maintenance", "status", "--json"], env());
            expect(on.code).toBe(1);
            expect(json(on)).toMatchObject({
                edge: { maintenance: true, activeRegion: "primary" },
                stackConfig: false,
            });
        } finally {
            await edge.setSwitch("maintenance", "off");
        }
    });
});
