import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { beforeAll, describe, expect, it } from "vitest";
import { collectorHostPaths } from "../../components/logging/fluent-bit-config";
import { LogCollector } from "../../components/logging/log-collector";
import { hostPathExemptions } from "../../policies/exemptions";
import { namespacePodSecurity } from "../../policies/kubernetes-cluster";
import { hostPathPolicy } from "../../policies/kubernetes-host-path";
import { notPrivileged, runAsUserNotRoot } from "../../policies/kubernetes-pod-security";
import { policies } from "../../policies/policies";
import type { ResourceRecord } from "../../tools/lib/records";
import { resourceViolations, stackViolations } from "../support/policy";
import { recordResources } from "../support/pulumi";
import { collectorNamespace } from "../../contracts/logging";

/**
 * The policy pack's one hostPath exemption, checked against the collector exactly as the
 * program declares it (not a hand-written look-alike): the shipped exemption names the
 * collector's namespace and exact paths; the collector passes every policy with the pack's
 * defaults; the same DaemonSet with a writable mount, an extra or broader path, a type that
 * writes to the node, or in another namespace is refused, and the exemption relaxes no
 * other control.
 */

type Obj = Record<string, any>;

const args = {
    // As the in-cluster layer renders it: through the stack's ECR pull-through cache.
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/fluent/fluent-bit:5.1.1",
    region: "us-east-1",
    groupPrefix: "/mcp-platform/test",
    namespaces: ["mcp-production", "logging"],
    roleArn: "arn:aws:iam::123456789012:role/logs-writer",
};

describe("the log collector's hostPath exemption", () => {
    let records: ResourceRecord[];
    let daemonSet: ResourceRecord;

    /** The collector's DaemonSet with `edit` applied to a deep copy of its inputs. */
    const variant = (edit: (ds: Obj, pod: Obj) => void): ResourceRecord => {
        const inputs = structuredClone(daemonSet.inputs) as Obj;
        edit(inputs, inputs.spec.template.spec);
        return { ...daemonSet, inputs };
    };
    const hostPathViolations = async (record: ResourceRecord) =>
        (await resourceViolations(hostPathPolicy, record)) ?? [];

    beforeAll(async () => {
        const recorded = await recordResources(() => new LogCollector("logs", args));
        records = recorded.records;
        daemonSet = recorded.one("kubernetes:apps/v1:DaemonSet", "logs-daemon-set");
    });

    it("is shipped in the pack as exactly the collector's namespace and paths", () => {
        expect(hostPathExemptions.map(({ namespace, paths }) => ({ namespace, paths }))).toEqual([
            { namespace: collectorNamespace, paths: [...collectorHostPaths] },
        ]);
        const hostPaths = (daemonSet.inputs as Obj).spec.template.spec.volumes
            .filter((v: Obj) => v.hostPath)
            .map((v: Obj) => v.hostPath.path);
        expect(hostPaths).toEqual([...collectorHostPaths]);
    });

    it("lets the collector pass every resource and stack policy of the pack with its defaults", async () => {
        for (const policy of policies) {
            if ("validateResource" in policy) {
                for (const record of records) {
                    const violations = await resourceViolations(
                        policy as ResourceValidationPolicy,
                        record,
                    );
                    expect(violations ?? [], `${policy.name} on ${record.name}`).toEqual([]);
                }
            } else {
                const violations = await stackViolations(policy as StackValidationPolicy, records);
                expect(violations ?? [], policy.name).toEqual([]);
            }
        }
    });

    it("refuses the same DaemonSet in another namespace", async () => {
        const moved = variant((ds) => (ds.metadata.namespace = "mcp-production"));
        expect(await hostPathViolations(moved)).toEqual([
            expect.stringMatching(/must not mount host path \/var\/log\/containers;/),
            expect.stringMatching(/must not mount host path \/var\/log\/pods;/),
        ]);
    });

    it("refuses a writable mount of an exempt path", async () => {
        const writable = variant((_ds, pod) => {
            const mount = pod.containers[0].volumeMounts.find(
                (m: Obj) => m.name === "var-log-pods",
            );
            delete mount.readOnly;
        });
        expect(await hostPathViolations(writable)).toEqual([
            expect.stringMatching(
                /container "fluent-bit" must mount exempt host path \/var\/log\/pods read-only/,
            ),
        ]);
    });

    it("refuses an extra host path next to the exempt ones", async () => {
        const extra = variant((_ds, pod) => {
            pod.volumes.push({
                name: "containerd",
                hostPath: { path: "/var/lib/containerd", type: "Directory" },
            });
            pod.containers[0].volumeMounts.push({
                name: "containerd",
                mountPath: "/var/lib/containerd",
                readOnly: true,
            });
        });
        expect(await hostPathViolations(extra)).toEqual([
            expect.stringMatching(
                /volume "containerd" must not mount host path \/var\/lib\/containerd \(namespace logging may mount only \/var\/log\/containers, \/var\/log\/pods, read-only\)/,
            ),
        ]);
    });

    it("refuses a broader path than the exempt ones", async () => {
        const broader = variant((_ds, pod) => {
            pod.volumes.find((v: Obj) => v.name === "var-log-pods").hostPath.path = "/var/log";
        });
        expect(await hostPathViolations(broader)).toEqual([
            expect.stringMatching(/volume "var-log-pods" must not mount host path \/var\/log /),
        ]);
    });

    it("refuses a hostPath type that would create the directory on the node", async () => {
        const creating = variant((_ds, pod) => {
            pod.volumes.find((v: Obj) => v.name === "var-log-containers").hostPath.type =
                "DirectoryOrCreate";
        });
        expect(await hostPathViolations(creating)).toEqual([
            expect.stringMatching(
                /must use hostPath type Directory or File, not DirectoryOrCreate/,
            ),
        ]);
    });

    it("relaxes no other control in the exempt namespace", async () => {
        const privileged = variant((_ds, pod) => {
            pod.containers[0].securityContext.privileged = true;
            pod.securityContext.runAsUser = 0;
        });
        expect(await hostPathViolations(privileged)).toEqual([]);
        expect(await resourceViolations(notPrivileged, privileged)).toHaveLength(1);
        expect(await resourceViolations(runAsUserNotRoot, privileged)).toHaveLength(1);
    });

    it("lets only the exempt namespace enforce `privileged` admission (audit and warn stay restricted)", async () => {
        const namespace = records.find((r) => r.type === "kubernetes:core/v1:Namespace")!;
        expect(await resourceViolations(namespacePodSecurity, namespace)).toEqual([]);
        const other = structuredClone(namespace) as ResourceRecord;
        (other.inputs as Obj).metadata.name = "mcp-production";
        expect(await resourceViolations(namespacePodSecurity, other)).toEqual([
            expect.stringMatching(
                /Namespace mcp-production must label pod-security.kubernetes.io\/enforce=restricted \(got privileged\)/,
            ),
        ]);
        const relaxedWarn = structuredClone(namespace) as ResourceRecord;
        (relaxedWarn.inputs as Obj).metadata.labels["pod-security.kubernetes.io/warn"] =
            "privileged";
        expect(await resourceViolations(namespacePodSecurity, relaxedWarn)).toEqual([
            expect.stringMatching(/warn=restricted \(got privileged\)/),
        ]);
    });
});
