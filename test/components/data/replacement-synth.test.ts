import { describe, expect, it } from "vitest";
import { defaultBlackboxExporterImage } from "../../../config/monitoring";
import type { ResourceRecord } from "../../../tools/lib/records";
import { stackFileVariant, synth, type SynthResult } from "../../support/synth";
import { defaultRedisProxyImage } from "../../../config/data";

/**
 * Updates never replace what they should only update. The Kubernetes provider replaces an
 * object when one of its "force new" fields differs (pulumi-kubernetes
 * provider/pkg/provider/diff.go, `forceNewProperties`, read at commit 94977969): a
 * StatefulSet whose claim templates change, a Job whose pod template changes — and, with a
 * fixed name, it deletes the old object before creating the new one. This synthesizes each
 * stack twice, the second time with every image tag bumped, and compares those fields.
 */

type Obj = Record<string, any>;

const labelSelector = (prefix: string) => [prefix];
/** `metadata.name` / `metadata.namespace` apply to every kind. */
const forceNew: Record<string, string[]> = {
    "apps/v1:StatefulSet": [
        ".spec.podManagementPolicy",
        ".spec.revisionHistoryLimit",
        ".spec.serviceName",
        ".spec.volumeClaimTemplates",
        ...labelSelector(".spec.selector"),
    ],
    "apps/v1:Deployment": labelSelector(".spec.selector"),
    "apps/v1:DaemonSet": labelSelector(".spec.selector"),
    "batch/v1:Job": [
        ".spec.completions",
        ".spec.parallelism",
        ".spec.template",
        ...labelSelector(".spec.selector"),
    ],
    "core/v1:PersistentVolumeClaim": [
        ".spec.accessModes",
        ".spec.selector",
        ".spec.storageClassName",
        ".spec.volumeName",
    ],
    "core/v1:ResourceQuota": [".spec.scopes"],
    "core/v1:Service": [".spec.clusterIP"],
    // ConfigMap and Secret data replace only without the provider's enableConfigMapMutable /
    // enableSecretMutable, which ours sets (checked below); a Secret's type always replaces.
    "core/v1:Secret": [".type"],
    // policy/v1beta1 only: a policy/v1 PDB updates in place.
    "policy/v1beta1:PodDisruptionBudget": [".spec"],
    "rbac.authorization.k8s.io/v1:RoleBinding": [".roleRef"],
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": [".roleRef"],
    "storage.k8s.io/v1:StorageClass": [".parameters", ".provisioner"],
};

function at(value: unknown, path: string): unknown {
    let current = value;
    for (const key of path.split(".").slice(1)) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Obj)[key];
    }
    return current;
}

/** `ignoreChanges` entries (`spec`, `spec.template`) cover their path and everything below. */
function ignored(record: ResourceRecord, path: string): boolean {
    return (record.options?.ignoreChanges ?? []).some((entry) => {
        const prefix = `.${entry}`;
        return path === prefix || path.startsWith(`${prefix}.`);
    });
}

/** `<type> <name> <path>` of every force-new field that differs between the two synths. */
function replacements(before: ResourceRecord[], after: ResourceRecord[]): string[] {
    const next = new Map(after.map((r) => [r.urn, r]));
    const found: string[] = [];
    for (const record of before) {
        if (!record.type.startsWith("kubernetes:")) continue;
        const other = next.get(record.urn);
        if (!other) continue;
        const kind = record.type.replace(/^kubernetes:/, "");
        for (const path of [".metadata.name", ".metadata.namespace", ...(forceNew[kind] ?? [])]) {
            if (ignored(other, path)) continue;
            const a = JSON.stringify(at(record.inputs, path));
            const b = JSON.stringify(at(other.inputs, path));
            if (a !== b) found.push(`${record.type} ${record.name} ${path}`);
        }
    }
    return found;
}

const isImageKey = (key: string, parent: string | undefined) =>
    key === "image" || key.endsWith("Image") || parent === "images";

/** Every image reference with its tag bumped: `repo:v1.0.1` → `repo:v1.0.1-next`. */
function bumpImages(value: unknown, parent?: string): unknown {
    if (Array.isArray(value)) return value.map((v) => bumpImages(v, parent));
    if (value === null || typeof value !== "object") return value;
    const out: Obj = {};
    for (const [key, entry] of Object.entries(value as Obj)) {
        if (typeof entry === "string" && isImageKey(key, parent)) {
            const [reference] = entry.split("@");
            const slash = reference.lastIndexOf("/");
            const colon = reference.lastIndexOf(":");
            out[key] = colon > slash ? `${reference}-next` : `${reference}:next`;
        } else {
            out[key] = bumpImages(entry, key);
        }
    }
    return out;
}

/** drActive with the dump fallback (`backups.restore.from: dump`), whose restore Job is checked. */
function activateWithDump(doc: { config: Record<string, unknown> }): void {
    doc.config["mcp-platform:drActive"] = true;
    (doc.config["mcp-platform:backups"] as Obj).restore.from = "dump";
}

function bumped(stack: string, activate: boolean): string {
    return stackFileVariant(stack, (doc) => {
        if (activate) activateWithDump(doc);
        // The exporter's image is a default of the config schema: bump it explicitly.
        const monitoring = (doc.config["mcp-platform:monitoring"] ?? {}) as Obj;
        monitoring.blackboxExporter = {
            ...monitoring.blackboxExporter,
            image: monitoring.blackboxExporter?.image ?? defaultBlackboxExporterImage,
        };
        doc.config["mcp-platform:monitoring"] = monitoring;
        // So is the Redis proxy's.
        const data = doc.config["mcp-platform:data"] as Obj;
        data.redis = { ...data.redis, proxyImage: data.redis.proxyImage ?? defaultRedisProxyImage };
        doc.config = bumpImages(doc.config) as Record<string, unknown>;
    });
}

const images = (result: SynthResult) =>
    result.resources().flatMap((r) => JSON.stringify(r.inputs).match(/"image":"[^"]+"/g) ?? []);

describe.each([
    ["production", false],
    ["dr", true],
])("an image bump on %s (activated: %s)", (stack, activate) => {
    const base = activate
        ? synth(stack, {
              stackFile: stackFileVariant(stack, activateWithDump),
          })
        : synth(stack);
    const next = synth(stack, { stackFile: bumped(stack, activate) });

    it("synthesizes both, with the same resources", () => {
        expect(base.status, base.stderr).toBe(0);
        expect(next.status, next.stderr).toBe(0);
        const urns = (r: SynthResult) =>
            r
                .resources()
                .map((x) => x.urn)
                .sort();
        expect(urns(next)).toEqual(urns(base));
    });

    it("really changes every image", () => {
        const before = images(base);
        const after = images(next);
        expect(before.length).toBeGreaterThan(10);
        expect(after.filter((i) => before.includes(i))).toEqual([]);
    });

    it("changes no field the Kubernetes provider replaces on", () => {
        expect(replacements(base.resources(), next.resources())).toEqual([]);
    });

    it("uses a provider that updates ConfigMaps and Secrets in place, as compared", () => {
        const providers = base.resources().filter((r) => r.type === "pulumi:providers:kubernetes");
        expect(providers.length).toBeGreaterThan(0);
        for (const provider of providers) {
            // Provider inputs travel as strings.
            expect(String(provider.inputs.enableConfigMapMutable)).toBe("true");
            expect(String(provider.inputs.enableSecretMutable)).toBe("true");
        }
    });

    it("keeps the restore Job's template out of the update: its spec is ignored once created", () => {
        const job = next.resources().find((r) => r.type === "kubernetes:batch/v1:Job");
        if (!activate) {
            expect(job).toBeUndefined();
            return;
        }
        expect(job?.options?.ignoreChanges).toEqual(["spec"]);
        // The template did change (the Postgres image): only ignoreChanges keeps the Job.
        const before = base.resources().find((r) => r.urn === job!.urn)!;
        expect(JSON.stringify(at(before.inputs, ".spec.template"))).not.toBe(
            JSON.stringify(at(job!.inputs, ".spec.template")),
        );
    });
});

describe("the comparison", () => {
    it("catches a claim template label that follows the image tag", () => {
        const set = (version: string): ResourceRecord => ({
            type: "kubernetes:apps/v1:StatefulSet",
            name: "db",
            urn: "urn:db",
            custom: true,
            inputs: {
                spec: {
                    volumeClaimTemplates: [
                        { metadata: { labels: { "app.kubernetes.io/version": version } } },
                    ],
                },
            },
        });
        expect(replacements([set("1")], [set("2")])).toEqual([
            "kubernetes:apps/v1:StatefulSet db .spec.volumeClaimTemplates",
        ]);
        expect(
            replacements([set("1")], [{ ...set("2"), options: { ignoreChanges: ["spec"] } }]),
        ).toEqual([]);
    });
});

describe("a secret rotation and a semantic config change on production", () => {
    const base = synth("production");
    const next = synth("production", {
        stackFile: stackFileVariant("production", (doc) => {
            const workloads = doc.config["mcp-platform:workloads"] as Obj;
            workloads.secrets.jwtSecretRotation = "2099-01";
            workloads.semanticConfig.validationCacheSize += 1;
        }),
    });
    const template = (result: SynthResult, name: string): Obj => {
        const deployment = result
            .resources()
            .find(
                (r) =>
                    r.type === "kubernetes:apps/v1:Deployment" &&
                    (r.inputs as Obj).metadata?.name === name,
            )!.inputs as Obj;
        return deployment.spec.template.metadata.annotations;
    };

    it("replaces nothing: the Secret and ConfigMap update in place", () => {
        expect(next.status, next.stderr).toBe(0);
        expect(replacements(base.resources(), next.resources())).toEqual([]);
    });

    it("rolls exactly the pods that read them, through their version annotations", () => {
        expect(template(next, "mcp-typescript-api")["mcp-platform.io/secret-version"]).toBe(
            "2099-01",
        );
        const semantic = "mcp-semantic-control-plane";
        expect(template(next, semantic)["mcp-platform.io/semantic-config-version"]).toMatch(
            /^[0-9a-f]{16}$/,
        );
        expect(template(next, semantic)["mcp-platform.io/semantic-config-version"]).not.toBe(
            template(base, semantic)["mcp-platform.io/semantic-config-version"],
        );
    });
});
