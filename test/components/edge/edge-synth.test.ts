import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleWorker } from "../../../components/edge/worker-bundle";
import type { ResourceRecord } from "../../../tools/lib/records";
import { workerModules, workersScriptType } from "../../../tools/lib/writers/worker";
import { engineInputs, runStackProgram } from "../../support/program";
import { stackFileVariant, synth, type SynthResult } from "../../support/synth";
import { startOrigin, type TestOrigin } from "../../worker/support";

/**
 * The edge as `npm run synth` declares it: resources.json holds the Worker script, its KV
 * namespace, route and DNS records, and out/<stack>/worker/ holds exactly the module the
 * script deploys — which runs in workerd with the declared bindings.
 */

const T = {
    script: "cloudflare:index/workersScript:WorkersScript",
    kvNamespace: "cloudflare:index/workersKvNamespace:WorkersKvNamespace",
    kv: "cloudflare:index/workersKv:WorkersKv",
    dns: "cloudflare:index/dnsRecord:DnsRecord",
    route: "cloudflare:index/workersRoute:WorkersRoute",
};

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** resources.json, or the synth's own error when it wrote none (e.g. invalid config). */
function resourcesOf(result: SynthResult): ResourceRecord[] {
    if (!fs.existsSync(path.join(result.outDir, "resources.json"))) {
        throw new Error(`synth wrote no resources.json (exit ${result.status}):\n${result.stderr}`);
    }
    return result.resources();
}

describe("npm run synth -- production: the edge", () => {
    let result: SynthResult;
    let resources: ResourceRecord[];
    beforeAll(() => {
        result = synth("production");
        resources = resourcesOf(result);
    });
    const one = (type: string) => {
        const found = resources.filter((r) => r.type === type);
        expect(found, type).toHaveLength(1);
        return found[0];
    };

    it("declares the Worker script, KV namespace, route and proxied DNS records", () => {
        const script = one(T.script);
        expect(script.inputs).toMatchObject({
            scriptName: "cloudflare-workers-app-production",
            mainModule: "worker.js",
            observability: { enabled: true },
        });
        expect(one(T.kvNamespace).inputs.title).toBe("mcp-edge-switches-production");
        // The edge hostname and the public names it fails over with it.
        const routes = resources.filter((r) => r.type === T.route).map((r) => r.inputs);
        expect(routes.map((r) => r.pattern).sort()).toEqual([
            "api.mcp-production.com/*",
            "mcp.mcp-production.com/*",
            "semantic.mcp-production.com/*",
        ]);
        for (const route of routes) expect(route.script).toBe("cloudflare-workers-app-production");
        const records = resources.filter((r) => r.type === T.dns).map((r) => r.inputs);
        // The DR origin's record belongs to the dr stack (test/components/edge/dns-synth.test.ts).
        expect(records.map((r) => r.name).sort()).toEqual([
            "api-us-east-1.mcp-production.com",
            "api.mcp-production.com",
            "mcp.mcp-production.com",
            "semantic-us-east-1.mcp-production.com",
            "semantic.mcp-production.com",
        ]);
        for (const record of records) expect(record.proxied).toBe(true);
        // Production owns maintenance only; the DR switch belongs to the dr stack.
        expect(resources.filter((r) => r.type === T.kv).map((r) => r.inputs.keyName)).toEqual([
            "maintenance",
        ]);
        const outputs = JSON.parse(result.read("outputs.json"));
        expect(outputs.edgeHostname).toBe("mcp.mcp-production.com");
        expect(outputs.edgeKvNamespaceId).toBe("edge-switches-id");
    });

    it("writes exactly the deployed module to out/production/worker/", () => {
        const content = one(T.script).inputs.content as string;
        expect(fs.readdirSync(path.join(result.outDir, "worker"))).toEqual(["worker.js"]);
        const file = fs.readFileSync(path.join(result.outDir, "worker", "worker.js"));
        expect(file.equals(Buffer.from(content, "utf8"))).toBe(true);
        expect(sha256(file)).toBe(sha256(content));
        // ...which is the bundle of worker/src, rebuilt here (the build is deterministic).
        expect(sha256(file)).toBe(bundleWorker().sha256);
    });

    describe("the written module in workerd with the declared bindings", () => {
        let origin: TestOrigin;
        let mf: Miniflare;
        beforeAll(async () => {
            origin = await startOrigin("primary");
            // resources.json shows the bindings redacted (one is the credential); the program
            // run in-process gives them as the engine receives them.
            const script = (await runStackProgram("production")).find((r) => r.type === T.script)!;
            const bindings: Record<string, string> = {};
            const kvNamespaces: Record<string, string> = {};
            const ratelimits: Record<string, { simple: { limit: number; period: 10 | 60 } }> = {};
            for (const b of engineInputs(script).bindings as Record<string, any>[]) {
                if (b.type === "plain_text" || b.type === "secret_text") bindings[b.name] = b.text;
                if (b.type === "kv_namespace") kvNamespaces[b.name] = b.namespaceId;
                if (b.type === "ratelimit") ratelimits[b.name] = { simple: b.simple };
            }
            expect(Object.keys(ratelimits)).toEqual(["HEALTH_RATE_LIMITER"]);
            // Deployed origins are https hostnames; locally both point at one loopback origin.
            expect(bindings.PRIMARY_ORIGIN).toBe("https://api-us-east-1.mcp-production.com");
            bindings.PRIMARY_ORIGIN = origin.url;
            bindings.DR_ORIGIN = origin.url;
            mf = new Miniflare({
                modules: [
                    {
                        type: "ESModule",
                        path: "worker.js",
                        contents: result.read("worker/worker.js"),
                    },
                ],
                compatibilityDate: one(T.script).inputs.compatibilityDate as string,
                bindings,
                kvNamespaces,
                ratelimits,
                cf: false,
            });
            await mf.ready;
        });
        afterAll(async () => {
            await mf?.dispose();
            await origin?.close();
        });

        it("serves /health and probes the declared health path", async () => {
            const health = await mf.dispatchFetch("https://mcp.mcp-production.com/health");
            expect(health.status).toBe(200);
            const detailed = await mf.dispatchFetch(
                "https://mcp.mcp-production.com/health/detailed",
            );
            const body = (await detailed.json()) as Record<string, any>;
            expect(body).toMatchObject({
                environment: "production",
                activeRegion: "primary",
                maintenance: false,
            });
            // Both regions point at this one origin here, so they share one probe (per origin
            // URL, cached), sent with the credential.
            expect(body.origins.primary).toMatchObject({ status: "up" });
            expect(body.origins.dr).toMatchObject({ status: "up" });
            expect(origin.seen.map((r) => r.url)).toEqual(["/health/ready"]);
            expect(origin.seen[0].headers["x-edge-auth"]).toBe(
                "unset:mcp-platform:edgeOriginToken",
            );
        });
    });
});

describe("npm run synth -- dr: the DR switch", () => {
    let standby: SynthResult;
    let active: SynthResult;
    beforeAll(() => {
        standby = synth("dr");
        active = synth("dr", {
            stackFile: stackFileVariant("dr", (doc) => {
                doc.config["mcp-platform:drActive"] = true;
            }),
        });
    });
    const switchOf = (result: SynthResult) =>
        resourcesOf(result)
            .filter((r) => r.type === T.kv)
            .map((r) => r.inputs);

    it("owns active-region in the production namespace via a StackReference, no Worker", () => {
        const resources = resourcesOf(standby);
        expect(resources.filter((r) => r.type === T.script)).toHaveLength(0);
        // The switch's own reference (the backups read the peer stack's signing key too).
        const reference = resources.filter(
            (r) =>
                r.type === "pulumi:pulumi:StackReference" &&
                r.parent?.endsWith("mcp-platform:edge:EdgeSwitch::edge-switch"),
        );
        expect(reference.map((r) => r.inputs.name)).toEqual([
            "organization/mcp-platform/production",
        ]);
        expect(switchOf(standby)).toEqual([
            {
                accountId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                namespaceId: "edge-switches-id",
                keyName: "active-region",
                value: "primary",
            },
        ]);
        expect(fs.existsSync(path.join(standby.outDir, "worker"))).toBe(false);
        expect(JSON.parse(standby.read("outputs.json")).edgeKvNamespaceId).toBe("edge-switches-id");
    });

    it('sets active-region to "dr" once drActive is true', () => {
        expect(switchOf(active).map((kv) => kv.value)).toEqual(["dr"]);
    });
});

describe("the worker/ writer", () => {
    const script = (name: string, inputs: Record<string, unknown>): ResourceRecord => ({
        type: workersScriptType,
        name,
        urn: `urn:pulumi:test::mcp-platform::${workersScriptType}::${name}`,
        custom: true,
        inputs,
    });

    it("writes each script's content under its mainModule name", () => {
        expect(
            workerModules([script("a", { mainModule: "edge.js", content: "export default {}" })]),
        ).toEqual([{ file: "edge.js", content: "export default {}" }]);
        expect(workerModules([])).toEqual([]);
    });

    it("writes modules that share a name under each script's resource name", () => {
        expect(
            workerModules([
                script("a", { mainModule: "w.js", content: "x" }),
                script("b", { mainModule: "w.js", content: "y" }),
                script("c", { mainModule: "c.js", content: "z" }),
            ]),
        ).toEqual([
            { file: "a/w.js", content: "x" },
            { file: "b/w.js", content: "y" },
            { file: "c.js", content: "z" },
        ]);
    });

    it("refuses non-text content and paths", () => {
        expect(() => workerModules([script("a", { mainModule: "w.js", content: 42 })])).toThrow(
            "WorkersScript a: content is not a plain string",
        );
        expect(() => workerModules([script("a", { mainModule: "../w.js", content: "x" })])).toThrow(
            "unexpected mainModule ../w.js",
        );
    });
});
