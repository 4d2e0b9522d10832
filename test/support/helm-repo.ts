import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";

/**
 * A Helm chart repository on loopback serving chart directories read from Go modules: each
 * directory packaged as `helm package` lays it out (a gzipped tar of `<name>/…`), listed in an
 * `index.yaml` with its digest. The provider's Helm release then installs it the way it
 * installs from any chart repository (the repository URL and chart name are what the policy
 * pack's chart allow-list judges).
 */
export interface HelmRepo {
    readonly url: string;
    /** Chart name → version, as the index lists it. */
    readonly charts: Readonly<Record<string, string>>;
    close(): Promise<void>;
}

export async function serveCharts(chartDirs: readonly string[]): Promise<HelmRepo> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-repo-"));
    const entries: Record<string, unknown[]> = {};
    const charts: Record<string, string> = {};
    for (const chartDir of chartDirs) {
        const chart = parse(fs.readFileSync(path.join(chartDir, "Chart.yaml"), "utf8")) as {
            name: string;
            version: string;
            apiVersion: string;
            appVersion?: string;
            description?: string;
        };
        const file = `${chart.name}-${chart.version}.tgz`;
        const tar = spawnSync(
            "tar",
            ["-czf", path.join(dir, file), "-C", path.dirname(chartDir), path.basename(chartDir)],
            { encoding: "utf8" },
        );
        if (tar.status !== 0) throw new Error(`packaging ${chartDir}: ${tar.stderr}`);
        const digest = createHash("sha256")
            .update(fs.readFileSync(path.join(dir, file)))
            .digest("hex");
        entries[chart.name] = [
            { ...chart, urls: [file], digest, created: new Date().toISOString() },
        ];
        charts[chart.name] = chart.version;
    }
    fs.writeFileSync(
        path.join(dir, "index.yaml"),
        stringify({ apiVersion: "v1", entries, generated: new Date().toISOString() }),
    );
    const server = http.createServer((req, res) => {
        const name = path.basename(new URL(req.url ?? "/", "http://x").pathname);
        const file = path.join(dir, name);
        if (!name || !fs.existsSync(file)) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        charts,
        close: async () => {
            await new Promise<void>((resolve) => server.close(() => resolve()));
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
