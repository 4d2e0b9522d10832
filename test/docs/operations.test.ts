import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { artifactRequestMetricsFilter } from "../../components/workloads/artifact-store";
import { projectDir, synth } from "../support/synth";

/**
 * The operator documentation (docs/operations.md, docs/dr.md, docs/architecture.md, README)
 * against the program: every alert it names has a runbook, every dashboard path, npm script,
 * Kubernetes object and link it gives exists. A rename anywhere fails here, not at 3 a.m.
 */
const docs = ["docs/operations.md", "docs/dr.md", "docs/architecture.md", "README.md"];
const read = (file: string) => fs.readFileSync(path.join(projectDir, file), "utf8");
/**
 * What the docs tell operators to run. In docs/operations.md's tables the first column quotes
 * the manual (its names may not exist here); only the second column is this platform's.
 */
function platformText(file: string): string {
    return read(file)
        .split("\n")
        .map((line) => {
            if (file !== "docs/operations.md" || !line.startsWith("| ")) return line;
            const cells = line.split(/(?<!\\)\|/);
            return cells.length >= 4 ? cells.slice(2).join("|") : line;
        })
        .join("\n");
}
const all = docs.map(platformText).join("\n");

/** Helm-rendered objects of kube-prometheus-stack (release `kube-prometheus-stack`). */
const chartServices = [
    "kube-prometheus-stack-grafana",
    "kube-prometheus-stack-prometheus",
    "kube-prometheus-stack-alertmanager",
];

function githubSlug(heading: string): string {
    return heading
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, "")
        .replace(/ /g, "-");
}

describe("operator documentation", () => {
    const production = synth("production");
    const manifests = production
        .resources()
        .filter((r) => r.type.startsWith("kubernetes:") && r.custom)
        .map((r) => ({
            kind: r.type.split(":").pop()!,
            metadata: r.inputs.metadata as { name: string; namespace?: string },
            spec: r.inputs.spec as Record<string, any> | undefined,
        }))
        .filter((m) => m.metadata?.name);
    const named = (kind: string) =>
        new Set(manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name));

    it("names only alerts that exist, each with its runbook", () => {
        const runbooks = new Set(
            fs
                .readdirSync(path.join(projectDir, "docs/runbooks"))
                .map((f) => f.replace(/\.md$/, "")),
        );
        const rules = parse(production.read("prometheus/rules.yaml")) as {
            groups: { rules: { alert?: string }[] }[];
        };
        const alerts = new Set(
            rules.groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean),
        );
        const notAlerts = new Set(["EdgeSwitch", "DisasterRecovery"]);
        const named = [...all.matchAll(/`([A-Z][a-z]+(?:[A-Z][A-Za-z0-9]*)+)`/g)]
            .map((m) => m[1])
            .filter((name) => !notAlerts.has(name));
        expect(named.length).toBeGreaterThan(30);
        for (const name of new Set(named)) {
            expect(alerts.has(name), `alert ${name}`).toBe(true);
            expect(runbooks.has(name), `docs/runbooks/${name}.md`).toBe(true);
        }
    });

    it("links to Grafana dashboards that are provisioned", () => {
        const uids = new Set(
            [...named("ConfigMap")]
                .filter((n) => n.startsWith("grafana-dashboard-"))
                .map((n) => n.replace(/^grafana-dashboard-/, "")),
        );
        const used = [...all.matchAll(/\/d\/([a-z0-9-]+)/g)].map((m) => m[1]);
        expect(used.length).toBeGreaterThanOrEqual(7);
        for (const uid of used) expect(uids.has(uid), `/d/${uid}`).toBe(true);
    });

    it("runs only npm scripts that exist", () => {
        const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
        for (const [, name] of all.matchAll(/npm run (?:-s )?([\w:-]+)/g)) {
            expect(scripts[name], `npm run ${name}`).toBeDefined();
        }
    });

    it("types Deployments, CronJobs, Services and pod labels that the program declares", () => {
        const deployments = named("Deployment");
        const cronJobs = named("CronJob");
        const services = new Set([...named("Service"), ...chartServices]);
        const appLabels = new Set(
            manifests
                .map(
                    (m) =>
                        m.spec?.template?.metadata?.labels?.app ??
                        m.spec?.jobTemplate?.spec?.template?.metadata?.labels?.app,
                )
                .filter(Boolean),
        );
        const check = (pattern: RegExp, known: Set<string>, what: string) => {
            const found = [...all.matchAll(pattern)].map((m) => m[1]);
            expect(found.length, what).toBeGreaterThan(0);
            for (const name of found) expect(known.has(name), `${what} ${name}`).toBe(true);
        };
        check(/(?:deployment|deploy)\/([a-z][a-z0-9-]*[a-z0-9])/g, deployments, "deployment");
        check(/cronjob\/([a-z][a-z0-9-]*[a-z0-9])/g, cronJobs, "cronjob");
        check(/svc\/([a-z][a-z0-9-]*[a-z0-9])/g, services, "service");
        check(/-l app=([a-z][a-z0-9-]*[a-z0-9])/g, appLabels, "pod label app");
        // StatefulSet pods and the objects the manuals type by name
        for (const name of ["postgres-primary", "postgres-replica", "redis"]) {
            expect(named("StatefulSet").has(name), name).toBe(true);
        }
        for (const hpa of all.matchAll(/\b([a-z][a-z0-9-]+-hpa)\b/g)) {
            expect(named("HorizontalPodAutoscaler").has(hpa[1]), hpa[1]).toBe(true);
        }
    });

    it("names in every `kubectl get|describe <kind> <name>` an object the program declares", () => {
        const kinds: Record<string, string> = {
            deploy: "Deployment",
            deployment: "Deployment",
            deployments: "Deployment",
            hpa: "HorizontalPodAutoscaler",
            horizontalpodautoscaler: "HorizontalPodAutoscaler",
            vpa: "VerticalPodAutoscaler",
            svc: "Service",
            service: "Service",
            services: "Service",
            ingress: "Ingress",
            cronjob: "CronJob",
            cronjobs: "CronJob",
            statefulset: "StatefulSet",
            sts: "StatefulSet",
            pdb: "PodDisruptionBudget",
            networkpolicy: "NetworkPolicy",
            configmap: "ConfigMap",
            cm: "ConfigMap",
            secret: "Secret",
            serviceaccount: "ServiceAccount",
            sa: "ServiceAccount",
            probe: "Probe",
            daemonset: "DaemonSet",
            ds: "DaemonSet",
            namespace: "Namespace",
            ns: "Namespace",
            servicemonitor: "ServiceMonitor",
            prometheusrule: "PrometheusRule",
            limitrange: "LimitRange",
            resourcequota: "ResourceQuota",
            storageclass: "StorageClass",
            nodepool: "NodePool",
            nodepools: "NodePool",
            ec2nodeclass: "EC2NodeClass",
            ec2nodeclasses: "EC2NodeClass",
        };
        /** Objects of other origins: pods (of StatefulSets), nodes, events, Jobs made by hand. */
        const unchecked = new Set([
            "pod",
            "pods",
            "po",
            "nodes",
            "node",
            "events",
            "all",
            "jobs",
            "job",
            "vpa-all",
            "pv",
            "pvc",
            "crd",
            "crds",
            "endpoints",
            "replicaset",
            "rs",
            "leases",
            "apiservice",
            // Karpenter's claims for the nodes it launches.
            "nodeclaim",
            "nodeclaims",
        ]);
        const flagsWithValue = new Set([
            "-n",
            "--namespace",
            "-l",
            "--selector",
            "-o",
            "--output",
            "-c",
            "--container",
            "--sort-by",
            "--field-selector",
            "-L",
            "--context",
        ]);
        const statefulSetPods = [...named("StatefulSet")].flatMap((s) =>
            [0, 1, 2].map((i) => `${s}-${i}`),
        );
        const services = new Set([...named("Service"), ...chartServices]);
        const exists = (kind: string, name: string) =>
            kind === "Service" ? services.has(name) : named(kind).has(name);
        let checked = 0;
        // The procedures: the operator docs above, every runbook and the component guides.
        const procedures = [
            all,
            ...fs
                .readdirSync(path.join(projectDir, "docs/runbooks"))
                .map((f) => read(`docs/runbooks/${f}`)),
            ...["monitoring", "data", "workloads", "cluster", "logging", "edge"].map((d) =>
                read(`docs/${d}.md`),
            ),
        ].join("\n");
        for (const [command] of procedures.matchAll(
            /kubectl\b[^`\n|;]*?\b(?:get|describe)\s+[^`\n|;]+/g,
        )) {
            const tokens = command.split(/\s+/);
            // `kubectl get --raw <path>` reads an API path, not an object.
            if (tokens.includes("--raw")) continue;
            const verbAt = tokens.findIndex((t) => t === "get" || t === "describe");
            let kindList: string[] | undefined;
            const names: string[] = [];
            for (let i = verbAt + 1; i < tokens.length; i++) {
                const token = tokens[i].replace(/[`"')(]/g, "");
                if (!token) continue;
                if (flagsWithValue.has(token)) {
                    i++;
                    continue;
                }
                if (token.startsWith("-")) continue;
                if (kindList === undefined) {
                    const [kindPart, name] = token.split("/");
                    kindList = kindPart.split(",");
                    if (name) names.push(name);
                    continue;
                }
                if (
                    /[<>$*{}]/.test(token) ||
                    token.startsWith("#") ||
                    token === "&&" ||
                    token === "\\"
                )
                    break;
                names.push(token);
            }
            for (const kind of kindList ?? []) {
                if (unchecked.has(kind) && kind.startsWith("pod")) {
                    for (const name of names)
                        expect(statefulSetPods, `${command}: pod ${name}`).toContain(name);
                    continue;
                }
                if (unchecked.has(kind)) continue;
                const resolved = kinds[kind];
                expect(resolved, `${command}: kind ${kind}`).toBeDefined();
                for (const name of names) {
                    checked++;
                    expect(exists(resolved, name), `${command}: ${kind} ${name}`).toBe(true);
                }
            }
        }
        expect(checked).toBeGreaterThan(5);
    });

    it("queries FirstByteLatency with the artifact bucket's request-metrics filter", () => {
        const metrics = production
            .resources()
            .filter((r) => r.type === "aws:s3/bucketMetric:BucketMetric");
        expect(metrics.map((m) => m.inputs.name)).toEqual([artifactRequestMetricsFilter]);
        expect(metrics[0].parent).toMatch(/ArtifactStore::mcp-artifacts$/);
        const runbook = read("docs/runbooks/ArtifactLookupSlow.md");
        expect(runbook).toContain("--metric-name FirstByteLatency");
        expect(runbook).toContain(
            `--dimensions Name=BucketName,Value="$bucket" Name=FilterId,Value=${artifactRequestMetricsFilter}`,
        );
        expect(runbook).toContain("bucket=$(pulumi stack output artifactBucketName -s production)");
    });

    it("links only to files and headings that exist", () => {
        for (const file of docs) {
            const dir = path.dirname(path.join(projectDir, file));
            for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
                if (/^https?:/.test(target)) continue;
                const [relative, anchor] = target.split("#");
                const resolved = relative
                    ? path.resolve(dir, relative)
                    : path.join(projectDir, file);
                expect(fs.existsSync(resolved), `${file} → ${target}`).toBe(true);
                if (anchor && resolved.endsWith(".md")) {
                    const headings = [
                        ...fs.readFileSync(resolved, "utf8").matchAll(/^#+ (.+)$/gm),
                    ].map((m) => githubSlug(m[1]));
                    expect(headings, `${file} → ${target}`).toContain(anchor);
                }
            }
        }
    });

    it("maps every one of the five manuals", () => {
        const operations = read("docs/operations.md");
        for (const manual of [
            "Registry-Powered-MCP production operations guide",
            "MCP servers operations runbook",
            "MCP Level 3 operations manual (mcp-system)",
            "General operations guide",
            "MCP Platform operations manual (`mcp` CLI)",
        ]) {
            expect(operations.split("\n")).toContain(`## ${manual}`);
        }
    });
});
