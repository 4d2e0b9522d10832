import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlane, installCrds, startControlPlane } from "../support/apiserver";
import { crdSources, upstreamCrds } from "../support/crds";
import { goModuleDir, pinnedGoModule } from "../support/engines";
import { synth } from "../support/synth";
import { readManifests } from "../support/k8s-schema";
import {
    grafanaNeeds,
    type Manifest,
    previewRows,
    refreshReads,
    workloadRows,
    workloadSubjects,
} from "../support/rbac-expectations";
import {
    type Answered,
    discover,
    formatTable,
    groupMember,
    mismatches,
    type Resource,
    resourceLabel,
    resourceOfKind,
    review,
    type Row,
    type ServedResource,
    summary,
} from "../support/rbac-review";

/**
 * The synth's RBAC on a real kube-apiserver: the Namespaces, ServiceAccounts, Roles,
 * ClusterRoles and bindings of out/<stack>/k8s are applied as they are, then SubjectAccessReviews
 * ask, row by row, what the preview group and each workload ServiceAccount may do. What each is
 * expected to do is derived from the synth and its callers (test/support/rbac-expectations.ts), so a
 * missing permission and a permission beyond the need both fail, with the table printed.
 */
type Obj = Record<string, any>;

const rbacKinds = [
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
];

let plane: ControlPlane;
let served: ServedResource[];
/** The kinds the add-on charts' CRDs define (the CRD modules of test/support/crds.ts). */
let chartCrdKinds: Resource[];
let providerDir: string;

beforeAll(async () => {
    plane = await startControlPlane();
    await installCrds(plane.client, upstreamCrds());
    served = await discover(plane.client);
    // Every CRD of the prometheus-operator module (the chart installs them all), plus the VPA's
    // and Karpenter's files.
    const promDir = path.join(goModuleDir(crdSources[0]), path.dirname(crdSources[0].files[0]));
    const promCrds = fs
        .readdirSync(promDir)
        .filter((f) => f.endsWith(".yaml"))
        .map((f) => parse(fs.readFileSync(path.join(promDir, f), "utf8")) as Obj);
    chartCrdKinds = [...promCrds, ...upstreamCrds()]
        .filter((crd) => crd?.kind === "CustomResourceDefinition")
        .map((crd) => ({ group: crd.spec.group, resource: crd.spec.names.plural }));
    providerDir = goModuleDir(
        pinnedGoModule("kubernetes-provider", "github.com/pulumi/pulumi-kubernetes/provider/v4"),
    );
}, 300_000);
afterAll(async () => {
    await plane?.stop();
});

async function applyAll(manifests: readonly Manifest[]): Promise<void> {
    for (const kind of rbacKinds) {
        for (const { file, manifest } of manifests.filter((m) => m.manifest.kind === kind)) {
            const res = await plane.client.apply(manifest);
            if (res.status >= 300)
                throw new Error(`${file}: HTTP ${res.status}: ${res.body.message}`);
        }
    }
}

async function deleteAll(manifests: readonly Manifest[]): Promise<void> {
    for (const { manifest } of manifests.filter(
        (m) => rbacKinds.includes(m.manifest.kind) && m.manifest.kind !== "Namespace",
    )) {
        const { apiVersion, kind, metadata } = manifest;
        const p = await plane.client.pathOf(apiVersion, kind, metadata.namespace, metadata.name);
        await plane.client.request("DELETE", p);
    }
}

interface StackRbac {
    readonly manifests: Manifest[];
    readonly resources: Obj[];
    /** The group the preview ClusterRole is bound to. */
    readonly previewGroup: string;
    previewRows(group: string): Row[];
    workloadRows(): Row[];
}

function stackRbac(stack: string): StackRbac {
    const run = synth(stack);
    if (run.status !== 0) throw new Error(`synth ${stack} failed:\n${run.stderr}`);
    const manifests = readManifests(path.join(run.outDir, "k8s"));
    const resources = run.resources() as unknown as Obj[];
    const declared = manifests
        .filter((m) => m.manifest.kind !== "Secret")
        .map((m) => resourceOfKind(served, m.manifest.apiVersion, m.manifest.kind));
    const kinds = [...new Set(manifests.map((m) => m.manifest.kind))];
    const readable: Resource[] = [
        ...declared,
        ...kinds.flatMap((k) => refreshReads(providerDir, served, k)),
        ...chartCrdKinds,
    ];
    const releases = resources
        .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
        .map((r) => ({ name: r.inputs.name as string, namespace: r.inputs.namespace as string }));
    const secrets = manifests
        .filter((m) => m.manifest.kind === "Secret")
        .map((m) => ({ namespace: m.manifest.metadata.namespace, name: m.manifest.metadata.name }));
    const monitoring = resources.find(
        (r) =>
            r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kube-prometheus-stack",
    )!.inputs;
    const grafanaAccount = monitoring.values.grafana?.serviceAccount?.name;
    const previewBinding = manifests.find(
        (m) =>
            m.manifest.kind === "ClusterRoleBinding" &&
            m.manifest.metadata.name === "mcp-platform-preview",
    )!.manifest;
    return {
        manifests,
        resources,
        previewGroup: (previewBinding.subjects as Obj[]).find((s) => s.kind === "Group")!.name,
        previewRows: (group) =>
            previewRows({
                subject: groupMember(group),
                readable,
                secrets,
                releases,
                writeNamespace: "mcp-production",
            }),
        workloadRows: () =>
            workloadSubjects(
                manifests,
                served,
                grafanaAccount
                    ? [
                          {
                              namespace: monitoring.namespace,
                              name: grafanaAccount,
                              needs: grafanaNeeds(monitoring.values, monitoring.namespace),
                          },
                      ]
                    : [],
            ).flatMap(workloadRows),
    };
}

function report(title: string, rows: readonly Answered[]): void {
    console.log(`${title}\n${formatTable(rows)}\n${summary(rows)}`);
}

const unexpected = (rows: readonly Answered[]) =>
    mismatches(rows).map(
        (r) =>
            `${r.subject.label} ${r.verb} ${resourceLabel(r)}${r.name ? ` ${r.name}` : ""} in ${r.namespace ?? "*"}: expected ${r.expected ? "allow" : "deny"}`,
    );

describe.each(["production", "dr"])("RBAC of the %s synth on a real apiserver", (stack) => {
    let rbac: StackRbac;
    beforeAll(async () => {
        rbac = stackRbac(stack);
        await applyAll(rbac.manifests);
    }, 300_000);
    afterAll(async () => {
        if (rbac) await deleteAll(rbac.manifests);
    });

    it("the preview group reads every declared kind, writes nothing and reads only the declared Secrets", async () => {
        const rows = await review(plane.client, rbac.previewRows(rbac.previewGroup));
        report(`preview group (${stack})`, rows);
        // Karpenter's kinds and the refresh's own reads are among the rows.
        expect(rows.map((r) => `${r.verb} ${resourceLabel(r)}`)).toEqual(
            expect.arrayContaining([
                "list karpenter.sh/nodepools",
                "get karpenter.k8s.aws/ec2nodeclasses",
                "list karpenter.sh/nodeclaims",
                "list apps/replicasets",
                "list endpoints",
                "watch monitoring.coreos.com/prometheuses",
            ]),
        );
        expect(unexpected(rows)).toEqual([]);
    });

    it("each workload ServiceAccount can do what its pods need and no more", async () => {
        const rows = await review(plane.client, rbac.workloadRows());
        report(`workload ServiceAccounts (${stack})`, rows);
        const subjects = new Set(rows.map((r) => r.subject.label));
        expect(subjects).toContain("mcp-production/app-data-backup");
        expect(subjects).toContain("logging/fluent-bit");
        expect(subjects).toContain("monitoring/kube-prometheus-stack-grafana");
        expect(rows.filter((r) => r.expected).length).toBeGreaterThan(10);
        expect(unexpected(rows)).toEqual([]);
    });

    it("a ClusterRole missing one permission (a scratch copy) makes the table fail", async () => {
        // The preview ClusterRole without Karpenter's nodepools, bound to a scratch group.
        const source = rbac.manifests.find(
            (m) =>
                m.manifest.kind === "ClusterRole" &&
                m.manifest.metadata.name === "mcp-platform-preview",
        )!;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rbac-scratch-"));
        const scratchFile = path.join(dir, path.basename(source.file));
        fs.writeFileSync(scratchFile, stringify(source.manifest));
        const role = parse(fs.readFileSync(scratchFile, "utf8")) as Obj;
        role.metadata.name = "mcp-platform-preview-scratch";
        for (const rule of role.rules as Obj[]) {
            rule.resources = (rule.resources as string[]).filter((r) => r !== "nodepools");
        }
        const group = "mcp-platform:preview-scratch";
        const binding = {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name: "mcp-platform-preview-scratch" },
            roleRef: {
                apiGroup: "rbac.authorization.k8s.io",
                kind: "ClusterRole",
                name: role.metadata.name,
            },
            subjects: [{ kind: "Group", name: group, apiGroup: "rbac.authorization.k8s.io" }],
        };
        try {
            for (const m of [role, binding]) {
                const res = await plane.client.apply(m);
                expect(res.status, res.body.message).toBeLessThan(300);
            }
            const rows = await review(plane.client, rbac.previewRows(group));
            expect(unexpected(rows).sort()).toEqual(
                ["get", "list", "watch"].map(
                    (verb) => `${group} ${verb} karpenter.sh/nodepools in *: expected allow`,
                ),
            );
        } finally {
            for (const m of [binding, role]) {
                await plane.client.request(
                    "DELETE",
                    `/apis/rbac.authorization.k8s.io/v1/${m.kind === "ClusterRole" ? "clusterroles" : "clusterrolebindings"}/${m.metadata.name}`,
                );
            }
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
