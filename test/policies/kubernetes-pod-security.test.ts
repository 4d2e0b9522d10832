import { describe, expect, it } from "vitest";
import { hostPathExemptions } from "../../policies/exemptions";
import { hostPathPolicy } from "../../policies/kubernetes-host-path";
import { notPrivileged, podSecurityPolicies } from "../../policies/kubernetes-pod-security";
import { probes, workloadPolicies } from "../../policies/kubernetes-workloads";
import { resourceViolations } from "../support/policy";
import { podSecurityCases } from "./cases/kubernetes-pod-security";
import { runPolicyCases } from "./lib/cases";
import { type Obj, podKinds, workload } from "./lib/fixtures";

runPolicyCases(podSecurityCases);

describe("pod policies on every pod-bearing kind", () => {
    it.each(podKinds)(
        "a hardened %s passes every pod security and workload policy",
        async (kind) => {
            for (const policy of [...podSecurityPolicies, ...workloadPolicies]) {
                const violations = await resourceViolations(policy, workload(kind));
                // Probes apply to long-running pods only.
                const applies = policy !== probes || (kind !== "Job" && kind !== "CronJob");
                expect(violations, `${policy.name} on ${kind}`).toEqual(applies ? [] : undefined);
            }
        },
    );

    it.each(podKinds)(
        "a privileged container in a %s is refused (CronJob: spec.jobTemplate.spec.template)",
        async (kind) => {
            const record = workload(kind, {
                pod: (p) => (p.spec.containers[0].securityContext.privileged = true),
            });
            expect(await resourceViolations(notPrivileged, record)).toEqual([
                expect.stringMatching(
                    new RegExp(
                        `^${kind} mcp-production/api: container "app" must not be privileged`,
                    ),
                ),
            ]);
        },
    );

    it("does not apply to objects without pods", async () => {
        const { fixture } = await import("../support/policy");
        const configMap = fixture("kubernetes:core/v1:ConfigMap", {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "x", namespace: "mcp-production" },
        });
        expect(await resourceViolations(notPrivileged, configMap)).toBeUndefined();
    });
});

describe("hostPath exemption (namespace + exact paths, read-only)", () => {
    const exemption = {
        namespace: "logging",
        paths: ["/var/log/containers", "/var/log/pods"],
        reason: "Fluent Bit reads container logs",
    };
    const config = { exemptions: [exemption] };

    function collector(
        options: {
            namespace?: string;
            path?: string;
            readOnly?: boolean;
            type?: string;
            extra?: (p: Obj) => void;
        } = {},
    ) {
        return workload("DaemonSet", {
            name: "fluent-bit",
            namespace: options.namespace ?? "logging",
            pod: (p) => {
                for (const [name, path] of [
                    ["containers", options.path ?? "/var/log/containers"],
                    ["pods", "/var/log/pods"],
                ]) {
                    p.spec.volumes.push({
                        name,
                        hostPath: { path, type: options.type ?? "Directory" },
                    });
                    p.spec.containers[0].volumeMounts.push({
                        name,
                        mountPath: path,
                        readOnly: options.readOnly ?? true,
                    });
                }
                options.extra?.(p);
            },
        });
    }

    it("ships with exactly the log collector's exemption (test/policies/log-collector-exemption.test.ts)", () => {
        expect(hostPathExemptions).toEqual([{ ...exemption, reason: expect.any(String) }]);
        expect(hostPathPolicy.configSchema?.properties.exemptions).toMatchObject({
            default: hostPathExemptions,
        });
    });

    it("accepts the collector's exact read-only mounts in its namespace", async () => {
        expect(await resourceViolations(hostPathPolicy, collector(), config)).toEqual([]);
    });

    it("refuses the same mounts without the exemption", async () => {
        const none = { exemptions: [] };
        expect(await resourceViolations(hostPathPolicy, collector(), none)).toHaveLength(2);
    });

    it("refuses them in another namespace", async () => {
        const violations = await resourceViolations(
            hostPathPolicy,
            collector({ namespace: "mcp-production" }),
            config,
        );
        expect(violations).toHaveLength(2);
        expect(violations![0]).toMatch(/must not mount host path \/var\/log\/containers/);
    });

    it("refuses a writable mount of an exempt path", async () => {
        const violations = await resourceViolations(
            hostPathPolicy,
            collector({ readOnly: false }),
            config,
        );
        expect(violations).toEqual(
            expect.arrayContaining([
                expect.stringMatching(
                    /must mount exempt host path \/var\/log\/containers read-only/,
                ),
            ]),
        );
    });

    it("refuses a broader path (a prefix of an exempt path)", async () => {
        const violations = await resourceViolations(
            hostPathPolicy,
            collector({ path: "/var/log" }),
            config,
        );
        expect(violations).toEqual([
            expect.stringMatching(
                /must not mount host path \/var\/log \(namespace logging may mount only \/var\/log\/containers, \/var\/log\/pods, read-only\)/,
            ),
        ]);
    });

    it("refuses an extra path next to the exempt ones", async () => {
        const extra = (p: Obj) => {
            p.spec.volumes.push({ name: "state", hostPath: { path: "/var/fluent-bit/state" } });
            p.spec.containers[0].volumeMounts.push({ name: "state", mountPath: "/state" });
        };
        const violations = await resourceViolations(hostPathPolicy, collector({ extra }), config);
        expect(violations).toEqual([
            expect.stringMatching(
                /volume "state" must not mount host path \/var\/fluent-bit\/state/,
            ),
        ]);
    });

    it("refuses a hostPath type that creates on the node", async () => {
        const violations = await resourceViolations(
            hostPathPolicy,
            collector({ type: "DirectoryOrCreate" }),
            config,
        );
        expect(violations!.join("\n")).toMatch(
            /must use hostPath type Directory or File, not DirectoryOrCreate/,
        );
    });

    it("refuses a writable mount of an exempt path from an init container", async () => {
        const extra = (p: Obj) => {
            p.spec.initContainers = [
                {
                    ...p.spec.containers[0],
                    name: "init",
                    volumeMounts: [{ name: "pods", mountPath: "/pods" }],
                },
            ];
        };
        const violations = await resourceViolations(hostPathPolicy, collector({ extra }), config);
        expect(violations).toEqual([
            expect.stringMatching(
                /initContainer "init" must mount exempt host path \/var\/log\/pods read-only/,
            ),
        ]);
    });

    it("keeps every other control in the exempt namespace", async () => {
        const record = collector({
            extra: (p) => (p.spec.containers[0].securityContext.privileged = true),
        });
        expect(await resourceViolations(hostPathPolicy, record, config)).toEqual([]);
        expect(await resourceViolations(notPrivileged, record)).toHaveLength(1);
    });
});
