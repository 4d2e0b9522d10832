import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { type GoModule, goModuleDir, systemTool } from "./engines";

/**
 * The CustomResourceDefinitions of the custom resources the synth writes, read at test time
 * from the upstream projects' Go modules (each module zip ships its generated CRD YAML), so
 * no third-party file is committed. Versions are pinned with the zip hash go.sum would record.
 *
 * - prometheus-operator: the Go module proxy serves the root module only at v0.85.0 (newer
 *   releases exist only as the pkg/apis/monitoring module, which has Go types, no YAML).
 *   ServiceMonitor, PrometheusRule and Probe are monitoring.coreos.com/v1 in every release.
 * - Vertical Pod Autoscaler v1.8.1: its deploy/vpa-v1-crd-gen.yaml.
 * - Karpenter v1.15.2 (the release the platform installs): NodePool, NodeClaim and
 *   EC2NodeClass from github.com/aws/karpenter-provider-aws's pkg/apis/crds. Its go.mod asks
 *   for Go 1.26.11, newer than the machine's: `go mod download` still verifies the zip against
 *   the checksum database and extracts it, then reports the version (`newerGo`).
 */
export interface CrdSource extends GoModule {
    /** CRD files inside the module. */
    readonly files: readonly string[];
    /** The module's go.mod requires a newer Go than ours; read it from the module cache. */
    readonly newerGo?: boolean;
}

const promCrds = "example/prometheus-operator-crd";

export const crdSources: readonly CrdSource[] = [
    {
        module: "github.com/prometheus-operator/prometheus-operator",
        version: "v0.85.0",
        sum: "h1:M5xLCLEoaW2IJfnuCwFzzpL+jSVQu3KGT84Pye+fW8s=",
        files: [
            `${promCrds}/monitoring.coreos.com_servicemonitors.yaml`,
            `${promCrds}/monitoring.coreos.com_podmonitors.yaml`,
            `${promCrds}/monitoring.coreos.com_prometheusrules.yaml`,
            `${promCrds}/monitoring.coreos.com_probes.yaml`,
        ],
    },
    {
        module: "k8s.io/autoscaler/vertical-pod-autoscaler",
        version: "v1.8.1",
        sum: "h1:Pe8bV1wozN4gOKO1rleiIY5alIyAXN+DnXDbXQcL4fI=",
        files: ["deploy/vpa-v1-crd-gen.yaml"],
    },
    {
        module: "github.com/aws/karpenter-provider-aws",
        version: "v1.15.2",
        sum: "h1:RGw64PB2ROUHZIUhBqjO78l3zJ9YctnWeullrr4cxYI=",
        files: [
            "pkg/apis/crds/karpenter.sh_nodepools.yaml",
            "pkg/apis/crds/karpenter.sh_nodeclaims.yaml",
            "pkg/apis/crds/karpenter.k8s.aws_ec2nodeclasses.yaml",
        ],
        newerGo: true,
    },
];

/** The module cache's path of a module (upper-case letters escaped as `!` + lower case). */
function cachePath(mod: GoModule): string {
    const go = systemTool("go", "see https://go.dev/doc/install; .ci/run expects Go on PATH");
    const cache = spawnSync(go, ["env", "GOMODCACHE"], { encoding: "utf8" }).stdout.trim();
    const escaped = mod.module.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);
    return path.join(cache, `${escaped}@${mod.version}`);
}

/**
 * A module whose go.mod needs a newer Go: downloaded and checked as by `goModuleDir` (the go
 * command verifies the zip, the pinned `sum` is compared here), then read from the cache,
 * since the go command reports the version instead of the directory.
 */
function newerGoModuleDir(mod: GoModule): string {
    const go = systemTool("go", "see https://go.dev/doc/install; .ci/run expects Go on PATH");
    const child = spawnSync(go, ["mod", "download", "-json", `${mod.module}@${mod.version}`], {
        cwd: os.tmpdir(),
        encoding: "utf8",
        timeout: 300_000,
        // Never fetch a toolchain: the files are read, nothing is built.
        env: { ...process.env, GOTOOLCHAIN: "local" },
    });
    let info: { Sum?: string; Error?: string } = {};
    try {
        info = JSON.parse(child.stdout) as typeof info;
    } catch {
        // Reported below with stderr.
    }
    const dir = cachePath(mod);
    if (info.Sum !== mod.sum || !fs.existsSync(dir)) {
        throw new Error(
            `go mod download ${mod.module}@${mod.version} failed: ${info.Error ?? child.stderr} (hash ${info.Sum ?? "none"}, pinned ${mod.sum})`,
        );
    }
    return dir;
}

/** The verified module directory of a CRD source in the Go module cache. */
export function crdSourceDir(source: CrdSource): string {
    return source.newerGo ? newerGoModuleDir(source) : goModuleDir(source);
}

type Obj = Record<string, any>;

let cached: Obj[] | undefined;

/** Every CustomResourceDefinition of `crdSources`, parsed. */
export function upstreamCrds(): Obj[] {
    if (cached) return cached;
    const crds: Obj[] = [];
    for (const source of crdSources) {
        const dir = crdSourceDir(source);
        for (const file of source.files) {
            const text = fs.readFileSync(path.join(dir, file), "utf8");
            for (const doc of parseAllDocuments(text)) {
                const manifest = doc.toJS() as Obj | null;
                if (manifest?.kind === "CustomResourceDefinition") crds.push(manifest);
            }
        }
    }
    cached = crds;
    return crds;
}
