import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { policies } from "../../policies/policies";
import { projectDir } from "../support/synth";

/**
 * The pack as `pulumi preview --policy-pack policies` runs it: Pulumi's own policy-pack
 * runner (@pulumi/pulumi cmd/run-policy-pack, ts-node with type checking) loads
 * policies/index.ts, which serves the analyzer gRPC API the CLI calls. The test speaks that
 * API with Pulumi's generated stubs: GetAnalyzerInfo, Analyze (one resource) and
 * AnalyzeStack. The first start compiles the pack (≈50 s on a cold cache), like a first
 * preview does.
 */

const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = pulumiRequire("@grpc/grpc-js");
const analyzerGrpc = pulumiRequire("./proto/analyzer_grpc_pb.js");
const analyzerPb = pulumiRequire("./proto/analyzer_pb.js");
const structPb = pulumiRequire("google-protobuf/google/protobuf/struct_pb.js");
const emptyPb = pulumiRequire("google-protobuf/google/protobuf/empty_pb.js");

/** EnforcementLevel of pulumi/proto analyzer.proto. */
const levels = ["advisory", "mandatory", "disabled", "remediate"];

const packDir = path.join(projectDir, "policies");
const runner = path.join(
    path.dirname(require.resolve("@pulumi/pulumi/package.json")),
    "cmd",
    "run-policy-pack",
);

let child: ChildProcess | undefined;
let client: any;

function call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
        client[method](request, (error: Error | null, response: T) =>
            error ? reject(error) : resolve(response),
        ),
    );
}

function resource(cls: new () => unknown, type: string, name: string, props: object): any {
    const r: any = new cls();
    r.setType(type);
    r.setName(name);
    r.setUrn(`urn:pulumi:production::mcp-platform::${type}::${name}`);
    r.setProperties(structPb.Struct.fromJavaScript(props));
    r.setOptions(new analyzerPb.AnalyzerResourceOptions());
    return r;
}

type Diagnostic = { policy: string; level: string; urn: string; message: string };

function diagnostics(response: any): Diagnostic[] {
    return response.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        level: levels[d.getEnforcementlevel()],
        urn: d.getUrn(),
        message: d.getMessage(),
    }));
}

beforeAll(async () => {
    // The engine address is only used for logging; the pack prints the port it serves on.
    child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
        cwd: packDir,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const port = await new Promise<string>((resolve, reject) => {
        let stdout = "";
        child!.stdout!.on("data", (chunk) => {
            stdout += chunk;
            const match = /^(\d+)\s/m.exec(stdout);
            if (match) resolve(match[1]);
        });
        child!.on("exit", (code) =>
            reject(new Error(`policy pack exited with ${code}:\n${stderr}`)),
        );
    });
    client = new analyzerGrpc.AnalyzerClient(
        `127.0.0.1:${port}`,
        grpc.credentials.createInsecure(),
    );
}, 240_000);

afterAll(() => {
    client?.close();
    if (child?.pid !== undefined && child.exitCode === null) process.kill(child.pid);
});

describe("the policy pack under Pulumi's policy-pack runner", () => {
    it("serves every policy of the list with its enforcement level", async () => {
        const info: any = await call("getAnalyzerInfo", new emptyPb.Empty());
        expect(info.getName()).toBe("mcp-platform-policies");
        expect(info.getVersion()).toBe("0.1.0");
        const served = info
            .getPoliciesList()
            .map((p: any) => [p.getName(), levels[p.getEnforcementlevel()]]);
        expect(served).toEqual(policies.map((p) => [p.name, p.enforcementLevel]));
    });

    it("refuses a privileged Deployment in preview (Analyze)", async () => {
        const request = resource(
            analyzerPb.AnalyzeRequest,
            "kubernetes:apps/v1:Deployment",
            "debug",
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "debug", namespace: "mcp-production" },
                spec: {
                    selector: { matchLabels: { app: "debug" } },
                    template: {
                        metadata: { labels: { app: "debug" } },
                        spec: {
                            containers: [
                                {
                                    name: "shell",
                                    image: "busybox:1.36.1",
                                    securityContext: { privileged: true },
                                },
                            ],
                        },
                    },
                },
            },
        );
        const found = diagnostics(await call("analyze", request));
        expect(found).toEqual(
            expect.arrayContaining([
                expect.objectContaining({
                    policy: "k8s-container-not-privileged",
                    level: "mandatory",
                    message: expect.stringContaining(
                        'Deployment mcp-production/debug: container "shell" must not be privileged',
                    ),
                }),
            ]),
        );
    });

    it("joins a bucket with its settings in AnalyzeStack", async () => {
        const request = new analyzerPb.AnalyzeStackRequest();
        const bucket = resource(analyzerPb.AnalyzerResource, "aws:s3/bucket:Bucket", "assets", {
            bucket: "assets-1a2b",
            acl: "private",
        });
        request.setResourcesList([bucket]);
        const found = diagnostics(await call("analyzeStack", request));
        expect(found.map((d) => d.policy).sort()).toEqual([
            "aws-s3-bucket-encrypted-cmk",
            "aws-s3-bucket-public-access-block",
            "aws-s3-bucket-tls-only",
            "aws-s3-bucket-versioning",
            // Not protected: the request carries no protect option.
            "aws-stateful-resources-protected",
        ]);
        expect(new Set(found.map((d) => d.urn))).toEqual(new Set([bucket.getUrn()]));
    });
});
