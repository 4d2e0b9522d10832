import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import { ClusterAddons, type ClusterAddonsArgs } from "../../../components/cluster/cluster-addons";
import { loadBalancerControllerPolicy } from "../../../components/cluster/aws-load-balancer-controller-policy";
import { defaultChartVersions } from "../../../config/cluster";
import { recordResources } from "../../support/pulumi";

const args: ClusterAddonsArgs = {
    clusterName: "mcp-test",
    region: "us-east-1",
    vpcId: "vpc-123",
    vpcCidr: "10.10.0.0/16",
    oidc: {
        providerArn:
            "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
        issuerHost: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
    },
    charts: defaultChartVersions,
    prometheus: { retention: "15d", storageGiB: 100 },
};

const release = "kubernetes:helm.sh/v3:Release";
type Values = Record<string, any>;

describe("ClusterAddons", () => {
    let recording: ReturnType<typeof recordResources> | undefined;
    const recorded = () => (recording ??= recordResources(() => new ClusterAddons("addons", args)));
    const valuesOf = async (name: string) =>
        (await recorded()).one(release, `addons-${name}`).inputs.values as Values;

    it("installs each add-on as a pinned Helm release with an explicit namespace", async () => {
        const releases = (await recorded()).ofType(release).map((r) => ({
            name: r.inputs.name,
            chart: r.inputs.chart,
            version: r.inputs.version,
            namespace: r.inputs.namespace,
            repo: (r.inputs.repositoryOpts as { repo: string }).repo,
        }));
        expect(releases.sort((a, b) => String(a.name).localeCompare(String(b.name)))).toEqual([
            {
                name: "aws-load-balancer-controller",
                chart: "aws-load-balancer-controller",
                version: "3.5.0",
                namespace: "kube-system",
                repo: "https://aws.github.io/eks-charts",
            },
            {
                name: "kube-prometheus-stack",
                chart: "kube-prometheus-stack",
                version: "88.5.3",
                namespace: "monitoring",
                repo: "https://prometheus-community.github.io/helm-charts",
            },
            {
                name: "metrics-server",
                chart: "metrics-server",
                version: "3.13.1",
                namespace: "kube-system",
                repo: "https://kubernetes-sigs.github.io/metrics-server/",
            },
            {
                name: "vpa",
                chart: "vpa",
                version: "5.0.0",
                namespace: "vpa",
                repo: "https://charts.fairwinds.com/stable",
            },
        ]);
    });

    it("exposes the releases that install CRDs and the ingress webhook, for dependsOn", async () => {
        let addons: ClusterAddons | undefined;
        await recordResources(() => {
            addons = new ClusterAddons("deps", args);
        });
        expect(addons!.monitoringStack).toBeInstanceOf(k8s.helm.v3.Release);
        expect(addons!.verticalPodAutoscaler).toBeInstanceOf(k8s.helm.v3.Release);
        expect(addons!.loadBalancerController).toBeInstanceOf(k8s.helm.v3.Release);
        expect(addons!.ingressClassName).toBe("alb");
    });

    it("makes Prometheus select every rule, ServiceMonitor and PodMonitor in every namespace", async () => {
        const spec = (await valuesOf("kube-prometheus-stack")).prometheus.prometheusSpec;
        expect(spec).toMatchObject({
            ruleSelectorNilUsesHelmValues: false,
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            ruleSelector: {},
            ruleNamespaceSelector: {},
            serviceMonitorNamespaceSelector: {},
            podMonitorNamespaceSelector: {},
            retention: "15d",
        });
        // Every alert carries the cluster it came from (Alertmanager groups by `cluster`).
        expect(spec.externalLabels).toEqual({ cluster: "mcp-test" });
        expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({
            storageClassName: "gp3",
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: "100Gi" } },
        });
    });

    it("reads the Alertmanager config and receiver credentials from existing Secrets", async () => {
        const spec = (await valuesOf("kube-prometheus-stack")).alertmanager.alertmanagerSpec;
        expect(spec).toMatchObject({
            useExistingSecret: true,
            configSecret: "alertmanager-mcp-platform",
            secrets: ["alertmanager-receivers"],
        });
    });

    it("runs Grafana with sidecar dashboards from its own namespace and a generated admin secret", async () => {
        const values = await valuesOf("kube-prometheus-stack");
        expect(values.grafana.sidecar.dashboards).toEqual({
            enabled: true,
            label: "grafana_dashboard",
            labelValue: "1",
            searchNamespace: "monitoring",
            resource: "configmap",
        });
        expect(values.grafana.rbac).toEqual({ create: false, namespaced: true });
        // The sidecars' own Role: list and watch ConfigMaps of monitoring, bound to Grafana.
        const role = (await recorded()).one(
            "kubernetes:rbac.authorization.k8s.io/v1:Role",
            "addons-grafana-sidecar",
        );
        expect(role.inputs.metadata).toMatchObject({
            name: "grafana-sidecar",
            namespace: "monitoring",
        });
        expect(role.inputs.rules).toEqual([
            { apiGroups: [""], resources: ["configmaps"], verbs: ["list", "watch"] },
        ]);
        const binding = (await recorded()).one(
            "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
            "addons-grafana-sidecar",
        );
        expect(binding.inputs.subjects).toEqual([
            {
                kind: "ServiceAccount",
                name: values.grafana.serviceAccount.name,
                namespace: "monitoring",
            },
        ]);
        expect(values.grafana.admin.existingSecret).toBe("grafana-admin");
        expect(values.grafana.adminPassword).toBeUndefined();
        expect(values.kubeStateMetrics).toEqual({ enabled: true });
        expect(values.nodeExporter).toEqual({ enabled: true });
        expect(values["prometheus-node-exporter"].namespaceOverride).toBe("node-exporter");
        const secret = (await recorded()).one("kubernetes:core/v1:Secret", "addons-grafana-admin");
        expect(secret.inputs.metadata).toMatchObject({
            name: "grafana-admin",
            namespace: "monitoring",
        });
        expect((secret.inputs.stringData as Record<string, string>)["admin-password"]).toBe(
            "[secret]",
        );
    });

    it("labels add-on namespaces for Pod Security; only node-exporter's enforces less than restricted", async () => {
        const namespaces = (await recorded()).ofType("kubernetes:core/v1:Namespace");
        const labels = Object.fromEntries(
            namespaces.map((n) => {
                const metadata = n.inputs.metadata as {
                    name: string;
                    labels: Record<string, string>;
                };
                return [metadata.name, metadata.labels];
            }),
        );
        expect(Object.keys(labels).sort()).toEqual(["monitoring", "node-exporter", "vpa"]);
        for (const [name, l] of Object.entries(labels)) {
            expect(l["pod-security.kubernetes.io/enforce"]).toBe(
                name === "node-exporter" ? "privileged" : "restricted",
            );
            expect(l["pod-security.kubernetes.io/audit"]).toBe("restricted");
            expect(l["pod-security.kubernetes.io/warn"]).toBe("restricted");
        }
    });

    it("denies all traffic in every add-on namespace, then allows named flows", async () => {
        const policies = (await recorded()).ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
        const byNamespace = new Map<string, { name: string; spec: Values }[]>();
        for (const p of policies) {
            const metadata = p.inputs.metadata as { name: string; namespace: string };
            const list = byNamespace.get(metadata.namespace) ?? [];
            list.push({ name: metadata.name, spec: p.inputs.spec as Values });
            byNamespace.set(metadata.namespace, list);
        }
        for (const namespace of ["monitoring", "node-exporter", "vpa"]) {
            const deny = byNamespace.get(namespace)!.find((p) => p.name === "default-deny")!;
            expect(deny.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
        }
        expect(byNamespace.get("node-exporter")!.map((p) => p.name)).toEqual(["default-deny"]);
        // Allow rules never select quarantined pods.
        for (const p of policies) {
            const spec = p.inputs.spec as Values;
            if (spec.ingress || spec.egress) {
                expect(spec.podSelector.matchExpressions).toContainEqual({
                    key: "quarantine",
                    operator: "NotIn",
                    values: ["true"],
                });
            }
        }
        // Grafana's port is open to its namespace only (allow-same-namespace), not the VPC.
        expect(byNamespace.get("monitoring")!.map((p) => p.name)).not.toContain("grafana-from-alb");
    });

    it("places every add-on on the system node group", async () => {
        const system = {
            nodeSelector: { "mcp-platform.io/node-group": "system" },
            tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }],
        };
        expect(await valuesOf("metrics-server")).toMatchObject(system);
        expect(await valuesOf("aws-load-balancer-controller")).toMatchObject(system);
        expect((await valuesOf("vpa")).recommender).toMatchObject(system);
        const stack = await valuesOf("kube-prometheus-stack");
        expect(stack.prometheus.prometheusSpec).toMatchObject(system);
        expect(stack.grafana).toMatchObject(system);
    });

    it("runs the load balancer controller for IngressClass alb with IP targets and explicit VPC and region", async () => {
        const values = await valuesOf("aws-load-balancer-controller");
        expect(values).toMatchObject({
            clusterName: "mcp-test",
            region: "us-east-1",
            vpcId: "vpc-123",
            ingressClass: "alb",
            createIngressClassResource: true,
            defaultTargetType: "ip",
            enableWaf: false,
            serviceAccount: {
                create: true,
                name: "aws-load-balancer-controller",
                annotations: {
                    "eks.amazonaws.com/role-arn":
                        "arn:aws:iam:us-east-1:123456789012:addons-alb-controller-role",
                },
            },
        });
    });

    it("trusts only kube-system/aws-load-balancer-controller with the controller's role", async () => {
        const role = (await recorded()).one("aws:iam/role:Role", "addons-alb-controller-role");
        const trust = JSON.parse(role.inputs.assumeRolePolicy as string);
        expect(trust.Statement).toHaveLength(1);
        expect(trust.Statement[0].Condition.StringEquals).toEqual({
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub":
                "system:serviceaccount:kube-system:aws-load-balancer-controller",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        });
    });
});

describe("loadBalancerControllerPolicy", () => {
    const policy = JSON.parse(
        loadBalancerControllerPolicy({
            partition: "aws",
            region: "us-west-2",
            accountId: "123456789012",
            vpcId: "vpc-abc",
        }),
    );
    const statements: Values[] = policy.Statement;
    const list = (value: unknown) => (Array.isArray(value) ? value : [value]) as string[];

    it("names every action and never allows everything on everything", () => {
        for (const statement of statements) {
            expect(statement.Effect).toBe("Allow");
            for (const action of list(statement.Action)) {
                expect(action).toMatch(/^[a-z0-9-]+:[A-Za-z]+\*?$/);
                expect(action.endsWith(":*")).toBe(false);
            }
        }
    });

    it("pins every ARN to the stack's region and account", () => {
        for (const statement of statements) {
            for (const resource of list(statement.Resource)) {
                if (resource === "*") continue;
                expect(resource).toMatch(
                    /^arn:aws:(ec2|elasticloadbalancing):us-west-2:123456789012:|^arn:aws:iam::123456789012:role\/aws-service-role\/elasticloadbalancing/,
                );
            }
        }
    });

    it("keeps Resource * only for discovery and lookups that have no resource-level permissions", () => {
        const wildcard = statements.filter((s) => list(s.Resource).includes("*"));
        expect(wildcard.map((s) => s.Sid)).toEqual([
            "DiscoverNetworkAndLoadBalancers",
            "IngressIntegrations",
        ]);
        for (const action of list(wildcard[0].Action)) expect(action).toMatch(/:(Describe|Get)/);
    });

    it("lets the controller create security groups only in the cluster's VPC, tagged as its own", () => {
        const create = statements.find((s) => s.Sid === "CreateSecurityGroupsInClusterVpc")!;
        expect(create.Resource).toContain("arn:aws:ec2:us-west-2:123456789012:vpc/vpc-abc");
        const destroy = statements.find((s) => s.Sid === "DeleteOwnedSecurityGroups")!;
        expect(destroy.Condition).toEqual({
            Null: { "aws:ResourceTag/elbv2.k8s.aws/cluster": "false" },
        });
        expect(
            statements.flatMap((s) => list(s.Action)).some((a) => a.startsWith("waf-regional:")),
        ).toBe(false);
    });
});
