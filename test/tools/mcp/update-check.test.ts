import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformPins } from "../../../tools/mcp/lib/pins";
import { EksSource } from "../../../tools/mcp/lib/update-sources";
import { newerVersions } from "../../../tools/mcp/lib/versions";
import { freePort } from "../../support/free-port";
import { projectDir } from "../../support/synth";
import { json, mcp } from "./support";

/**
 * `mcp update check` with its real clients — fetch for the Helm indexes, the registries' tag
 * lists (their 401 challenge, the anonymous token, Link pages) and the Go proxy; the AWS CLI
 * for EKS — against one loopback server that answers as those APIs are documented, from
 * recorded answers of our own in test/fixtures/update-sources/<host>/<path> (hand-written in
 * each API's documented format). `*=URL` sends every host there (`--mirror`).
 */
const fixtures = path.join(projectDir, "test/fixtures/update-sources");
/** Registries that answer 401 with a Bearer challenge until the anonymous token is shown. */
const challenges: Record<string, { realm: string; service: string; token: string }> = {
    "registry-1.docker.io": {
        realm: "https://auth.docker.io/token",
        service: "registry.docker.io",
        token: "anonymous-docker-hub",
    },
    "ghcr.io": { realm: "https://ghcr.io/token", service: "ghcr.io", token: "anonymous-ghcr" },
};

let server: http.Server;
let base: string;
const requests: string[] = [];

function answer(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url!, "http://loopback");
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(body);
    };
    const file = (relative: string) => {
        const full = path.join(fixtures, relative);
        return fs.existsSync(full) && fs.statSync(full).isFile()
            ? fs.readFileSync(full, "utf8")
            : undefined;
    };
    // EKS (REST JSON, as the AWS CLI calls it with AWS_ENDPOINT_URL_EKS).
    if (url.pathname === "/cluster-versions") return send(200, file("eks/cluster-versions.json")!);
    if (url.pathname === "/addons/supported-versions") {
        const body = file(`eks/addons/${url.searchParams.get("addonName")}.json`);
        return body ? send(200, body) : send(200, JSON.stringify({ addons: [] }));
    }
    const [, host, ...rest] = url.pathname.split("/");
    const name = rest.join("/");
    const tagsList = /^v2\/(.+)\/tags\/list$/.exec(name);
    if (tagsList) {
        const challenge = challenges[host];
        if (challenge && req.headers.authorization !== `Bearer ${challenge.token}`) {
            return send(401, JSON.stringify({ errors: [{ code: "UNAUTHORIZED" }] }), {
                "www-authenticate": `Bearer realm="${challenge.realm}",service="${challenge.service}",scope="repository:${tagsList[1]}:pull"`,
            });
        }
        const first = file(`${host}/${name}.json`);
        if (!first) {
            return send(
                404,
                JSON.stringify({
                    errors: [
                        { code: "NAME_UNKNOWN", message: "repository name not known to registry" },
                    ],
                }),
            );
        }
        if (url.searchParams.get("last")) return send(200, file(`${host}/${name}.page2.json`)!);
        const page2 = file(`${host}/${name}.page2.json`);
        const last = (JSON.parse(first) as { tags: string[] }).tags.at(-1)!;
        return send(
            200,
            first,
            page2 ? { link: `</v2/${tagsList[1]}/tags/list?n=1000&last=${last}>; rel="next"` } : {},
        );
    }
    if (name === "token") {
        if (!url.searchParams.get("scope")?.startsWith("repository:")) return send(400, "{}");
        return send(200, file(`${host}/token.json`)!);
    }
    const body = file(`${host}/${name}`);
    return body ? send(200, body, { "content-type": "text/plain" }) : send(404, "not found");
}

beforeAll(async () => {
    server = http.createServer(answer);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = () => ({
    MCP_UPDATE_MIRRORS: `*=${base}`,
    GOPROXY: `${base}/proxy.golang.org,direct`,
    AWS_ENDPOINT_URL_EKS: base,
    AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "example",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_MAX_ATTEMPTS: "1",
    MCP_POLICY_TODAY: "2026-12-01",
});

describe("mcp update check against recorded source answers", () => {
    it("reads every pin, finds the updates of each kind and exits 1", async () => {
        const run = await mcp(["update", "check", "-o", "json", "--show-breaking-changes"], env());
        expect(run.code, run.stderr).toBe(1);
        const { pins, summary } = json(run);
        expect(pins.length).toBe(platformPins().length);
        const pin = (name: string) => pins.find((p: any) => p.name === name);

        expect(pin("kubernetes")).toMatchObject({
            status: "update",
            current: "1.35",
            latest: "1.36",
            facts: [
                "contracts/eks-support.ts: standard support until 2027-03-27 (116 days after 2026-12-01)",
                "EKS: standard support until 2027-03-27, extended until 2028-03-27 (STANDARD_SUPPORT)",
            ],
            breaking: [{ version: "1.36", notes: ["standard support until 2027-08-10"] }],
        });
        for (const addon of ["vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"])
            expect(pin(addon).status, addon).toBe("current");
        expect(pin("vpc-cni").facts).toEqual(["EKS default for 1.35: v1.20.4-eksbuild.2"]);

        // A Helm index: the pre-release is never offered; the major line and the chart's notes.
        expect(pin("kube-prometheus-stack")).toMatchObject({
            status: "update",
            latest: "89.0.0",
            latestSameMajor: "88.6.0",
            newer: ["88.6.0", "89.0.0"],
            notesPublished: true,
            breaking: [
                { version: "88.6.0", notes: ["added: alertmanager.route.main.matchers"] },
                {
                    version: "89.0.0",
                    notes: [
                        "major version: 88.6.0 → 89.0.0",
                        "changed: Prometheus Operator CRDs updated: apply them before upgrading",
                        "removed: the deprecated grafana.sidecar.dashboards.searchNamespace key",
                    ],
                },
            ],
        });
        expect(pin("metrics-server").status).toBe("current");
        // An OCI chart on public.ecr.aws (no challenge): its beta is not offered.
        expect(pin("karpenter").status).toBe("current");

        // Registries: the tag's shape decides (bookworm stays bookworm, alpine is not offered).
        expect(pin("postgres")).toMatchObject({
            status: "update",
            newer: ["15.14-bookworm", "16.9-bookworm"],
            latestSameMajor: "15.14-bookworm",
            notesPublished: false,
        });
        // Docker Hub: the challenge, the anonymous token and the second page of tags.
        expect(pin("redis")).toMatchObject({
            status: "update",
            newer: ["7.2.6-bookworm", "8.0.2-bookworm"],
        });
        expect(requests).toContain(
            "GET /auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fredis%3Apull",
        );
        expect(requests).toContain(
            "GET /registry-1.docker.io/v2/library/redis/tags/list?n=1000&last=7.2.5-bookworm",
        );
        // ghcr.io, a date-stamped build: the same flavour (system) only.
        expect(pin("ghcr.io/cloudnative-pg/postgresql")).toMatchObject({
            status: "update",
            newer: ["15.15-202512010901-system-bookworm"],
            facts: ["pinned by digest too (sha256:cf13adf3e270…): the digest moves with the tag"],
        });
        expect(pin("ghcr.io/mcp-platform/mcp-registry")).toMatchObject({
            status: "update",
            latest: "v2.4.2",
        });
        // Not published where the stack file says: a problem, named.
        expect(pin("mcp-platform/filesystem")).toMatchObject({
            status: "not-found",
            problem: "registry-1.docker.io has no repository mcp-platform/filesystem",
        });

        // The Go proxy: releases only; a pseudo-version is a commit to compare by hand.
        expect(pin("k8s.io/kubernetes")).toMatchObject({
            status: "update",
            newer: ["v1.36.0", "v1.36.1"],
        });
        expect(pin("github.com/pulumi/pulumi-kubernetes/provider/v4")).toMatchObject({
            status: "commit",
            latest: "v4.25.0",
        });
        expect(pin("sigs.k8s.io/kwok").status).toBe("current");

        expect(pins.filter((p: any) => p.status === "update").map((p: any) => p.name)).toEqual([
            "kubernetes",
            "kube-prometheus-stack",
            "amazon/aws-cli",
            "alpine/k8s",
            "postgres",
            "ghcr.io/cloudnative-pg/postgresql",
            "redis",
            "ghcr.io/mcp-platform/mcp-registry",
            "k8s.io/kubernetes",
        ]);
        expect(summary).toEqual({
            current: pins.filter((p: any) => p.status === "current").length,
            updates: 9,
            commits: 1,
            notFound: 1,
            unreachable: 0,
        });
    }, 120_000);

    it("prints the breaking changes as text, saying where a source publishes none", async () => {
        const run = await mcp(
            [
                "update",
                "check",
                "--kind",
                "helm-chart",
                "--kind",
                "image",
                "--show-breaking-changes",
            ],
            env(),
        );
        expect(run.code).toBe(1);
        const lines = run.stdout.split("\n");
        expect(lines).toContain(
            "UPDATE     helm-chart kube-prometheus-stack 88.5.3 → 89.0.0 (newest on its major line: 88.6.0)",
        );
        expect(lines).toContain("             89.0.0: major version: 88.6.0 → 89.0.0");
        expect(lines).toContain(
            "             89.0.0: removed: the deprecated grafana.sidecar.dashboards.searchNamespace key",
        );
        const redis = lines.indexOf(
            "UPDATE     image      redis 7.2.5-bookworm → 8.0.2-bookworm (newest on its major line: 7.2.6-bookworm)",
        );
        expect(redis).toBeGreaterThan(-1);
        expect(lines.slice(redis + 1, redis + 4)).toEqual([
            "             pinned in Pulumi.dr.yaml mcp-platform:data.redis.image; Pulumi.production.yaml mcp-platform:data.redis.image",
            "             8.0.2-bookworm: major version: 7.2.6-bookworm → 8.0.2-bookworm",
            "             (this source publishes no change notes: read the project's release notes)",
        ]);
        expect(lines).toContain("ok         image      haproxy 2.6.12: current");
        expect(lines.at(-1)).toMatch(/^\d+ update\(s\), \d+ current, 1 not found, 0 not checked/);
    }, 60_000);

    it("exits 0 when every pin of the kinds asked for is current", async () => {
        const run = await mcp(
            ["update", "check", "--kind", "eks-addon", "--stack", "production"],
            env(),
        );
        expect(run.code, run.stdout).toBe(0);
        expect(run.stdout.split("\n").at(-1)).toBe(
            "0 update(s), 4 current, 0 not found, 0 not checked (unreachable), 0 pinned to a commit",
        );
    }, 60_000);

    it("exits 3 when a source cannot be reached, naming it", async () => {
        const closed = `http://127.0.0.1:${await freePort()}`;
        const run = await mcp(
            ["update", "check", "--kind", "helm-chart", "--mirror", `*=${closed}`, "-o", "yaml"],
            env(),
        );
        expect(run.code).toBe(3);
        expect(run.stdout).toContain("status: unreachable");
        expect(run.stdout).toContain('problem: "prometheus-community.github.io: ECONNREFUSED"');
    });

    it("without EKS, still states the support end of this repository's table (exit 3)", async () => {
        const closed = `http://127.0.0.1:${await freePort()}`;
        const run = await mcp(["update", "check", "--kind", "kubernetes", "--json"], {
            ...env(),
            AWS_ENDPOINT_URL_EKS: closed,
        });
        expect(run.code, run.stdout).toBe(3);
        const [pin] = json(run).pins;
        expect(pin).toMatchObject({
            status: "unreachable",
            facts: [
                "contracts/eks-support.ts: standard support until 2027-03-27 (116 days after 2026-12-01)",
            ],
        });
        expect(pin.problem).toMatch(/^aws eks describe-cluster-versions: /);
    }, 60_000);

    it("refuses a mirror that is not HOST=URL and an unknown kind (exit 2)", async () => {
        const mirror = await mcp(["update", "check", "--mirror", "ghcr.io"], env());
        expect(mirror.code).toBe(2);
        expect(mirror.stderr.split("\n")[0]).toBe(
            'mcp update: --mirror expects HOST=URL or *=URL, got "ghcr.io"; see mcp update --help',
        );
        const kind = await mcp(["update", "check", "--kind", "npm"], env());
        expect(kind.code).toBe(2);
        expect(kind.stderr).toContain(
            '--kind expects one of kubernetes, eks-addon, helm-chart, image, go-module, got "npm"',
        );
    });
});

describe("versions of the same shape", () => {
    it.each([
        [
            "15.13-bookworm",
            ["15.14-bookworm", "16-alpine", "15.14-rc1-bookworm", "15.12-bookworm"],
            ["15.14-bookworm"],
        ],
        [
            "v1.20.4-eksbuild.2",
            ["v1.20.4-eksbuild.3", "v1.20.10-eksbuild.1", "v1.20.4"],
            ["v1.20.4-eksbuild.3", "v1.20.10-eksbuild.1"],
        ],
        ["1.35", ["1.36", "1.9", "1.100"], ["1.36", "1.100"]],
    ])("%s: newer of %j", (current, available, expected) => {
        expect(newerVersions(current, available)).toEqual(expected);
    });
});

describe("the EKS source", () => {
    it("says when EKS's standard-support end differs from contracts/eks-support.ts", async () => {
        const answer = {
            clusterVersions: [
                {
                    clusterVersion: "1.35",
                    endOfStandardSupportDate: "2027-04-30T00:00:00Z",
                    endOfExtendedSupportDate: "2028-04-30T00:00:00Z",
                    versionStatus: "STANDARD_SUPPORT",
                },
            ],
        };
        const calls: (readonly string[])[] = [];
        const eks = new EksSource(
            async (args) => {
                calls.push(args);
                return answer;
            },
            { "1.35": "2027-03-27" },
        );
        const [pin] = platformPins({ stacks: ["production"] });
        expect(pin.kind).toBe("kubernetes");
        const found = await eks.available(pin);
        expect(calls).toEqual([["eks", "describe-cluster-versions"]]);
        expect(found.facts).toEqual([
            "EKS: standard support until 2027-04-30, extended until 2028-04-30 (STANDARD_SUPPORT)",
            "contracts/eks-support.ts says 2027-03-27 for 1.35: update its table",
        ]);
        expect(found.newer).toEqual([]);
    });
});
