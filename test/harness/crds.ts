import * as fs from "node:fs";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { type GoModule, goModuleDir } from "./engines";

/**
 * The CustomResourceDefinitions of the custom resources the synth writes, read at test time
 * from the upstream projects' Go modules (each module zip ships its generated CRD YAML), so
 * no third-party file is committed. Versions are pinned with the zip hash go.sum would record.
 *
 * - prometheus-operator: the Go module proxy serves the root module only at v0.85.0 (newer
 *   releases exist only as the pkg/apis/monitoring module, which has Go types, no YAML).
 *   ServiceMonitor, PrometheusRule and Probe are monitoring.coreos.com/v1 in every release.
 * - Vertical Pod Autoscaler v1.8.1: its deploy/vpa-v1-crd-gen.yaml.
 */
interface CrdSource extends GoModule {
    /** CRD files inside the module. */
    readonly files: readonly string[];
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
];

type Obj = Record<string, any>;

let cached: Obj[] | undefined;

/** Every CustomResourceDefinition of `crdSources`, parsed. */
export function upstreamCrds(): Obj[] {
    if (cached) return cached;
    const crds: Obj[] = [];
    for (const source of crdSources) {
        const dir = goModuleDir(source);
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
