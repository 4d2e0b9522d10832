import * as fs from "node:fs";
import * as path from "node:path";
import Ajv, { type ValidateFunction } from "ajv";
import { parseAllDocuments } from "yaml";
import { upstreamCrds } from "./crds";

/**
 * Validates Kubernetes manifests against real schemas, never hand-written imitations:
 * - built-in kinds: `kubernetes-models` (JSON schemas generated from the Kubernetes OpenAPI
 *   spec), through each model's `validate()`;
 * - prometheus-operator kinds (ServiceMonitor, PrometheusRule, …):
 *   `@kubernetes-models/prometheus-operator`;
 * - Karpenter kinds (NodePool, EC2NodeClass): `@kubernetes-models/karpenter`, and the release's
 *   own CRDs from its Go module (test/support/crds.ts) where they are registered;
 * - any other custom resource: the `openAPIV3Schema` of its CustomResourceDefinition, read
 *   from its upstream Go module at test time (test/support/crds.ts) or declared by the
 *   program itself, compiled with ajv. Like an API server with strict field validation, an
 *   unknown field is an error unless the schema preserves unknown fields.
 * A manifest of a kind no schema covers is an error too: add its CRD to test/support/crds.ts.
 */

type Obj = Record<string, any>;

interface ModelClass {
    new (data: Obj): { validate(): void };
}

/** Every YAML document of every file under `dir`. */
export function readManifests(dir: string): { file: string; manifest: Obj }[] {
    const out: { file: string; manifest: Obj }[] = [];
    const walk = (current: string) => {
        for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
            const full = path.join(current, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (/\.ya?ml$/.test(entry.name)) {
                for (const doc of parseAllDocuments(fs.readFileSync(full, "utf8"))) {
                    const manifest = doc.toJS();
                    if (manifest) out.push({ file: path.relative(dir, full), manifest });
                }
            }
        }
    };
    walk(dir);
    return out.sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * Marks every object schema that lists its properties as closed, unless it preserves unknown
 * fields: the API server prunes or (with strict field validation) rejects unknown fields.
 */
function closeObjects(schema: unknown): unknown {
    if (Array.isArray(schema)) return schema.map(closeObjects);
    if (schema === null || typeof schema !== "object") return schema;
    const out: Obj = {};
    for (const [key, value] of Object.entries(schema as Obj)) {
        out[key] = key === "enum" || key === "required" ? value : closeObjects(value);
    }
    if (
        out.properties !== undefined &&
        out.additionalProperties === undefined &&
        out["x-kubernetes-preserve-unknown-fields"] !== true
    ) {
        out.additionalProperties = false;
    }
    return out;
}

function newAjv(): Ajv {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat("int32", {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
    });
    ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat("double", { type: "number", validate: () => true });
    ajv.addFormat("float", { type: "number", validate: () => true });
    ajv.addFormat("byte", /^[A-Za-z0-9+/]*={0,2}$/);
    ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i);
    return ajv;
}

export class ManifestValidator {
    private readonly ajv = newAjv();
    private readonly crdValidators = new Map<string, ValidateFunction>();

    /** Registers the schemas of CustomResourceDefinition manifests. */
    addCrds(crds: readonly Obj[]): this {
        for (const crd of crds) {
            if (crd?.kind !== "CustomResourceDefinition") continue;
            for (const version of crd.spec?.versions ?? []) {
                const schema = version.schema?.openAPIV3Schema;
                if (!schema) continue;
                const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`;
                this.crdValidators.set(key, this.ajv.compile(closeObjects(schema) as Obj));
            }
        }
        return this;
    }

    /**
     * The validator with the CRDs of test/support/crds.ts, except prometheus-operator's:
     * those kinds are validated with `@kubernetes-models/prometheus-operator` (see above).
     */
    static async withUpstreamCrds(): Promise<ManifestValidator> {
        return new ManifestValidator().addCrds(
            upstreamCrds().filter((crd) => crd.spec?.group !== "monitoring.coreos.com"),
        );
    }

    private async modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
        const candidates = apiVersion.startsWith("monitoring.coreos.com/")
            ? [`@kubernetes-models/prometheus-operator/${apiVersion}`]
            : /^karpenter\.(sh|k8s\.aws)\//.test(apiVersion)
              ? [`@kubernetes-models/karpenter/${apiVersion}`]
              : [`kubernetes-models/${apiVersion}`];
        for (const specifier of candidates) {
            try {
                const module = (await import(specifier)) as Record<string, unknown>;
                const model = module[kind] as ModelClass | undefined;
                if (typeof model === "function") return model;
            } catch {
                // No such API group/version in the models.
            }
        }
        return undefined;
    }

    /** Schema errors of one manifest; empty when it is valid. */
    async validate(manifest: Obj): Promise<string[]> {
        const apiVersion = String(manifest?.apiVersion ?? "");
        const kind = String(manifest?.kind ?? "");
        if (!apiVersion || !kind) return ["apiVersion and kind are required"];
        const crd = this.crdValidators.get(`${apiVersion}/${kind}`);
        if (crd) {
            if (crd(manifest)) return [];
            return (crd.errors ?? []).map(
                (e) =>
                    `${e.instancePath || "/"} ${e.message}${
                        e.keyword === "additionalProperties"
                            ? ` (${(e.params as { additionalProperty: string }).additionalProperty})`
                            : ""
                    }`,
            );
        }
        const model = await this.modelFor(apiVersion, kind);
        if (!model) {
            return [`no schema for ${apiVersion} ${kind}: add its CRD to test/support/crds.ts`];
        }
        try {
            new model(manifest).validate();
            return [];
        } catch (error) {
            return [(error as Error).message];
        }
    }
}
