import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { builtEngine, enginesDir } from "../../support/engines";
import { projectDir } from "../../support/synth";
import { PulumiConfigWriter } from "../../../tools/mcp/lib/pulumi-config";
import { configVerb } from "../../../tools/mcp/verbs/config";
import { edgeMaintenanceKey } from "../../../tools/mcp/verbs/maintenance";

/**
 * What `mcp config set` and `mcp maintenance enable|disable` write into the stack file, through
 * the Pulumi Automation API and the real Pulumi CLI (built by `npm run engines`), on a copy of
 * the project with a local file backend.
 */
describe("stack config written through the Pulumi Automation API", () => {
    let dir: string;
    let writer: PulumiConfigWriter;
    const file = () =>
        parse(fs.readFileSync(path.join(dir, "Pulumi.production.yaml"), "utf8")).config;

    beforeAll(() => {
        const pulumi = builtEngine("pulumi");
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-config-"));
        dir = path.join(tmp, "project");
        fs.mkdirSync(dir);
        fs.mkdirSync(path.join(tmp, "state"));
        for (const f of ["Pulumi.yaml", "Pulumi.production.yaml"])
            fs.copyFileSync(path.join(projectDir, f), path.join(dir, f));
        const envVars = {
            PULUMI_HOME: path.join(tmp, "home"),
            PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "mcp-test",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        };
        const init = spawnSync(pulumi, ["stack", "init", "production", "--non-interactive"], {
            cwd: dir,
            env: { ...process.env, ...envVars },
            encoding: "utf8",
        });
        expect(init.status, init.stderr).toBe(0);
        writer = new PulumiConfigWriter(dir, { envVars, pulumiRoot: enginesDir });
    }, 120_000);

    it("maintenance records edge.worker.maintenance as a YAML boolean and leaves every other key alone", async () => {
        const before = file();
        await writer.set("production", edgeMaintenanceKey, "true", { path: true, secret: false });
        const after = file();
        expect(after["mcp-platform:edge"].worker.maintenance).toBe(true);
        after["mcp-platform:edge"].worker.maintenance =
            before["mcp-platform:edge"].worker.maintenance;
        if (before["mcp-platform:edge"].worker.maintenance === undefined)
            delete after["mcp-platform:edge"].worker.maintenance;
        expect(after).toEqual(before);
        await writer.set("production", edgeMaintenanceKey, "false", { path: true, secret: false });
        expect(file()["mcp-platform:edge"].worker.maintenance).toBe(false);
    });

    it("config set LOG_LEVEL --service writes the service's env", async () => {
        const lines: string[] = [];
        const code = await configVerb({ configWriter: writer }).run(
            ["set", "LOG_LEVEL", "debug", "--service", "mcp-registry"],
            {
                env: { MCP_STACK: "production" },
                out: (l) => lines.push(l),
                err: (l) => lines.push(l),
            },
        );
        expect(code, lines.join("\n")).toBe(0);
        expect(lines).toEqual([
            "set mcp-platform:workloads.services.mcp-registry.env.LOG_LEVEL in Pulumi.production.yaml; commit it in a pull request — the deploy applies it",
        ]);
        expect(file()["mcp-platform:workloads"].services["mcp-registry"].env.LOG_LEVEL).toBe(
            "debug",
        );
    });
});
