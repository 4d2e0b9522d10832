import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { synth } from "../../support/synth";
import { readManifests } from "../../support/k8s-schema";

/**
 * Grafana as the synth hands it to the cluster: the kube-prometheus-stack release's values
 * (what Helm renders at deploy, out of the policy pack's sight) and the NetworkPolicies of its
 * namespace. Grafana reads no Secret and nothing outside `monitoring`, and port 3000 admits
 * no address range.
 */
type Obj = Record<string, any>;

/** The labels the grafana chart puts on its pods (`grafana.selectorLabels`). */
const grafanaPod = {
    "app.kubernetes.io/name": "grafana",
    "app.kubernetes.io/instance": "kube-prometheus-stack",
};

/** Does a LabelSelector select these labels (matchLabels and matchExpressions)? */
function selects(selector: Obj, labels: Record<string, string>): boolean {
    const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const byExpressions = ((selector.matchExpressions ?? []) as Obj[]).every((e) => {
        const value = labels[e.key];
        switch (e.operator) {
            case "In":
                return value !== undefined && e.values.includes(value);
            case "NotIn":
                return value === undefined || !e.values.includes(value);
            case "Exists":
                return value !== undefined;
            case "DoesNotExist":
                return value === undefined;
            default:
                throw new Error(`unknown selector operator ${e.operator}`);
        }
    });
    return byLabels && byExpressions;
}

describe.each(["production", "dr"])("Grafana in the %s synth", (stack) => {
    const run = synth(stack);
    const release = () => {
        expect(run.status, run.stderr).toBe(0);
        const found = run
            .resources()
            .find(
                (r) =>
                    r.type === "kubernetes:helm.sh/v3:Release" &&
                    (r.inputs as Obj).name === "kube-prometheus-stack",
            );
        return found!.inputs as Obj;
    };

    it("gets no ClusterRole from the chart and no chart Role that reads Secrets", () => {
        const { rbac = {} } = release().values.grafana;
        // rbac.create renders the chart's Role or ClusterRole; either reads Secrets when a
        // sidecar is on (grafana chart 12.11.1, templates/role.yaml and clusterrole.yaml).
        expect(rbac.create).toBe(false);
        // Should anyone turn it back on, it stays namespaced.
        expect(rbac.namespaced).toBe(true);
        expect(rbac.extraClusterRoleRules ?? []).toEqual([]);
    });

    it("points every sidecar at ConfigMaps of its own namespace", () => {
        const { namespace, values } = release();
        const sidecar = values.grafana.sidecar;
        // kube-prometheus-stack turns on the dashboards (searchNamespace ALL) and datasources
        // sidecars; the chart's default resource is "both" (ConfigMaps and Secrets).
        for (const name of ["dashboards", "datasources"]) {
            expect(sidecar[name], name).toMatchObject({
                searchNamespace: namespace,
                resource: "configmap",
            });
        }
        for (const [name, s] of Object.entries(sidecar as Record<string, Obj>)) {
            if (s.enabled === false || typeof s !== "object") continue;
            expect(s.searchNamespace, `sidecar.${name}`).not.toBe("ALL");
        }
    });

    it("admits no address range or other namespace to Grafana's port", () => {
        const { namespace } = release();
        const policies = readManifests(path.join(run.outDir, "k8s", namespace))
            .map((m) => m.manifest)
            .filter((m) => m.kind === "NetworkPolicy");
        expect(policies.length).toBeGreaterThan(0);
        const open: string[] = [];
        for (const p of policies) {
            if (!selects(p.spec.podSelector, grafanaPod)) continue;
            for (const rule of (p.spec.ingress ?? []) as Obj[]) {
                const from = (rule.from ?? [{ ipBlock: { cidr: "0.0.0.0/0" } }]) as Obj[];
                for (const peer of from) {
                    if (peer.ipBlock || peer.namespaceSelector) {
                        open.push(`${p.metadata.name}: ${JSON.stringify(peer)}`);
                    }
                }
            }
        }
        expect(open).toEqual([]);
    });
});
