import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import type { ResourceRecord } from "../records";
import type { ArtifactWriter } from "./types";

/** Kinds that live outside any namespace. */
const clusterScopedKinds = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "PersistentVolume",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    // Karpenter's (karpenter.sh/v1, karpenter.k8s.aws/v1).
    "NodePool",
    "NodeClaim",
    "EC2NodeClass",
]);

export interface Manifest {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: { name: string; namespace?: string; [key: string]: unknown };
    readonly [key: string]: unknown;
}

/** `kubernetes:apps/v1:Deployment` → apps/v1 Deployment; `kubernetes:core/v1:Pod` → v1 Pod. */
function kindOf(type: string): { apiVersion: string; kind: string } | undefined {
    const match = /^kubernetes:([^:]+):([A-Za-z][A-Za-z0-9]*)$/.exec(type);
    if (!match || match[1].startsWith("helm.sh") || match[1].startsWith("yaml")) return undefined;
    const group = match[1];
    return { apiVersion: group.startsWith("core/") ? group.slice(5) : group, kind: match[2] };
}

/** The Kubernetes objects among the records, as manifests a cluster would receive. */
export function kubernetesManifests(records: readonly ResourceRecord[]): Manifest[] {
    const manifests: Manifest[] = [];
    for (const record of records) {
        if (!record.custom) continue;
        const kind = kindOf(record.type);
        if (!kind || kind.kind.endsWith("List") || kind.kind.endsWith("Patch")) continue;
        const inputs = record.inputs as { metadata?: Record<string, unknown> };
        const metadata = { ...(inputs.metadata ?? {}) } as Manifest["metadata"];
        metadata.name ??= record.name;
        if (!clusterScopedKinds.has(kind.kind)) metadata.namespace ??= "default";
        manifests.push({ ...record.inputs, ...kind, metadata });
    }
    return manifests;
}

export const kubernetesWriter: ArtifactWriter = {
    name: "k8s",
    write({ outDir, records }) {
        const written: string[] = [];
        for (const manifest of kubernetesManifests(records)) {
            const namespace = manifest.metadata.namespace ?? "_cluster";
            const file = path.join(
                "k8s",
                namespace,
                `${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`,
            );
            fs.mkdirSync(path.join(outDir, path.dirname(file)), { recursive: true });
            // YAML 1.1 quoting: kubectl and the Kubernetes provider read manifests with Go's
            // YAML 1.1 parsers, to which a bare Off/On/yes/no is a boolean (a VPA's
            // `updateMode: Off` would arrive as false).
            fs.writeFileSync(
                path.join(outDir, file),
                stringify(manifest, { lineWidth: 0, version: "1.1" }),
            );
            written.push(file);
        }
        return written;
    },
};
