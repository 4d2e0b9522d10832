import * as fs from "node:fs";
import * as path from "node:path";
import { dataStoreNodePool } from "../../contracts/names";
import { type ControlPlane, type FakeNodeSpec, startControlPlane } from "./apiserver";
import { goModuleDir, pinnedGoModule } from "./engines";

/**
 * The control plane one e2e stack deploys to: the real apiserver, controller manager and
 * scheduler, with kwok playing the kubelets of fake Nodes shaped like the stack's node groups
 * and pools, so every Pod our program's controllers create is scheduled by the real
 * scheduler's rules (selectors, taints, anti-affinity) and becomes Ready (Jobs' Pods
 * Succeed). Besides Nodes and Pods, kwok plays two more parts through its Stages:
 * - the EBS CSI provisioner and resizer: a claim of the gp3 StorageClass gets a volume and is
 *   bound (kwok's own `pvc-provision` and `pv-bind` stages, read from its Go module with the
 *   class name changed), and a grown claim's status reports the new capacity;
 * - the AWS Load Balancer Controller's status write: an Ingress gets a load balancer
 *   hostname, as the controller writes once the ALB exists.
 */

/**
 * Two system nodes (Karpenter's two replicas, one per node), two workload nodes and three
 * data-store nodes (three Postgres servers and three Redis pods, one of each per node). Kept
 * small: a DaemonSet rolls one node at a time, each pod waiting out its grace period.
 */
export function e2eNodes(stack: string): FakeNodeSpec[] {
    const nodes: FakeNodeSpec[] = [];
    const add = (role: string, count: number, spec: Omit<FakeNodeSpec, "name">) => {
        for (let i = 0; i < count; i++) {
            nodes.push({ name: `${stack}-${role}-${i}`, ...spec });
        }
    };
    add("system", 2, { labels: { "mcp-platform.io/node-group": "system" } });
    add("workload", 2, { labels: { "mcp-platform.io/node-group": "workload" } });
    add("data", 3, {
        labels: {
            [dataStoreNodePool.labelKey]: dataStoreNodePool.name,
            "karpenter.sh/nodepool": dataStoreNodePool.name,
        },
        taints: [dataStoreNodePool.taint],
    });
    return nodes;
}

/** kwok's volume stages for the gp3 class, and our Ingress and resize stages. */
export function e2eStages(storageClass: string): string[] {
    const kwok = goModuleDir(pinnedGoModule("kwok", "sigs.k8s.io/kwok"));
    const volumeStage = (file: string) =>
        fs
            .readFileSync(path.join(kwok, "kustomize/stage/volume/fast", file), "utf8")
            .replaceAll("'kwok-volume'", `'${storageClass}'`);
    return [
        volumeStage("pvc-provision.yaml"),
        volumeStage("pv-bind.yaml"),
        claimResizeStage(storageClass),
        ingressStatusStage,
    ];
}

/** A bound claim whose request grew reports the new capacity (the CSI resizer's part). */
const claimResizeStage = (storageClass: string) => `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pvc-resize
spec:
  resourceRef:
    apiGroup: v1
    kind: PersistentVolumeClaim
  selector:
    matchExpressions:
    - cel:
        expression: >-
          self.spec.storageClassName == '${storageClass}'
    - cel:
        expression: >-
          self.status.phase == 'Bound'
    - cel:
        expression: >-
          self.status.capacity.storage != self.spec.resources.requests.storage
  steps:
  - patch:
      root: status
      subresource: status
      template: |
        capacity:
          storage: {{ .spec.resources.requests.storage | Quote }}
`;

/** An Ingress gets the hostname of its load balancer. */
const ingressStatusStage = `
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ingress-load-balancer
spec:
  resourceRef:
    apiGroup: networking.k8s.io/v1
    kind: Ingress
  selector:
    matchExpressions:
    - cel:
        expression: >-
          !has(self.metadata.deletionTimestamp)
    - cel:
        expression: >-
          !has(self.status.loadBalancer.ingress)
  steps:
  - patch:
      root: status
      subresource: status
      template: |
        loadBalancer:
          ingress:
          - hostname: {{ printf "k8s-%s-e2e.elb.kwok.test" .metadata.name | Quote }}
`;

export async function startE2eControlPlane(stack: string): Promise<ControlPlane> {
    return startControlPlane({ nodes: e2eNodes(stack), stages: e2eStages("gp3") });
}
