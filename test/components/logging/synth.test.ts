import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { suspiciousAccessQueries } from "../../../contracts/logging";
import type { ResourceRecord } from "../../../tools/lib/records";
import { synth } from "../../support/synth";

/**
 * Issue acceptance, on the real program: `npm run synth -- <stack>` declares the collector,
 * its namespace, its IRSA role, the log groups with retention and encryption and the saved
 * queries, and the policy pack reports nothing against any of them.
 */

describe.each(["production", "dr"] as const)("logging in the %s synth", (stack) => {
    const result = synth(stack);
    // Written even when a policy fails, so the other checks still say what is wrong.
    const resources = result.resources();
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    const underLogging = (r: ResourceRecord) =>
        /mcp-platform:logging:(LogCollector|LogStorage)/.test(r.urn);
    const region = stack === "production" ? "us-east-1" : "us-west-2";

    it("exits 0: valid config and no mandatory violation anywhere in the program", () => {
        expect(result.status, result.stdout + result.stderr).toBe(0);
    });

    it("declares a KMS-encrypted log group with 30-day retention per namespace, plus _other", () => {
        const groups = ofType("aws:cloudwatch/logGroup:LogGroup").filter(underLogging);
        // resources.json lists resources in URN order.
        expect(groups.map((g) => g.inputs.name).sort()).toEqual(
            [
                "mcp-production",
                "mcp-system",
                "mcp-platform",
                "monitoring",
                "logging",
                "kube-system",
                "_other",
            ]
                .map((ns) => `/mcp-platform/${stack}/${ns}`)
                .sort(),
        );
        const key = ofType("aws:kms/key:Key").find(
            (k) => underLogging(k) && k.name === "logs-key",
        )!;
        expect(key.inputs.enableKeyRotation).toBe(true);
        for (const group of groups) {
            expect(group.inputs.retentionInDays).toBe(30);
            expect(group.inputs.kmsKeyId).toMatch(new RegExp(`^arn:aws:kms:${region}:`));
            expect(group.provider).toContain(`pulumi:providers:aws::${stack}-aws`);
        }
    });

    it("declares the writer role for logging/fluent-bit and the three saved queries", () => {
        const role = ofType("aws:iam/role:Role").find((r) => r.name === "logs-writer-role")!;
        expect(role.inputs.assumeRolePolicy).toContain("system:serviceaccount:logging:fluent-bit");
        const queries = ofType("aws:cloudwatch/queryDefinition:QueryDefinition");
        expect(queries.filter(underLogging).map((q) => q.inputs.name)).toEqual(
            ["errors-by-service", "request-trace", "slow-requests"].map(
                (key) => `mcp-platform/${stack}/${key}`,
            ),
        );
        // `mcp security access-log --suspicious`'s queries, over the control plane's log group.
        const audit = queries.filter((q) => !underLogging(q));
        expect(audit.map((q) => [q.inputs.name, q.inputs.logGroupNames])).toEqual(
            suspiciousAccessQueries().map((q) => [
                `mcp-${stack}/${q.key}`,
                [`/aws/eks/mcp-${stack}/cluster`],
            ]),
        );
        expect(audit.map((q) => q.inputs.queryString)).toEqual(
            suspiciousAccessQueries().map((q) => q.queryString),
        );
    });

    it("writes the collector's namespace and DaemonSet with the stack's region in its config", () => {
        const namespace = parse(result.read("k8s/_cluster/namespace-logging.yaml"));
        expect(namespace.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
        const daemonSet = parse(result.read("k8s/logging/daemonset-fluent-bit.yaml"));
        // Docker Hub's official image, through the stack's ECR pull-through cache.
        expect(daemonSet.spec.template.spec.containers[0].image).toMatch(
            new RegExp(
                `^\\d{12}\\.dkr\\.ecr\\.${region}\\.amazonaws\\.com/docker-hub/fluent/fluent-bit:\\d+\\.\\d+\\.\\d+$`,
            ),
        );
        const config = parse(result.read("k8s/logging/configmap-fluent-bit-config.yaml"));
        const fluentBit = parse(config.data["fluent-bit.yaml"]);
        expect(fluentBit.pipeline.outputs.map((o: any) => o.region)).toEqual([region, region]);
    });

    it("has no policy violation on any logging resource, and runs the hostPath policy on the collector", () => {
        const report = result.policyReport();
        const mine = new Set(resources.filter(underLogging).map((r) => r.urn));
        expect(report.results.filter((r) => mine.has(r.resource))).toEqual([]);
        expect(
            report.ran.find((r) => r.policy === "k8s-pod-no-host-path")?.checked,
        ).toBeGreaterThan(0);
    });

    it("renders the collector's alerts into the stack's rule file", () => {
        const rules = parse(result.read("prometheus/rules.yaml"));
        const group = rules.groups.find((g: any) => g.name === "log-collector");
        expect(group.rules.map((r: any) => r.alert)).toEqual([
            "LogCollectorNotOnAllNodes",
            "LogCollectorDroppingRecords",
            "LogCollectorOutputRetrying",
        ]);
    });
});
