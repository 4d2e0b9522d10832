import * as fs from "node:fs";
import * as path from "node:path";
import { gp3StorageClassArgs } from "../../components/cluster";
import { dataStoreNodePool, storageClassName } from "../../contracts/names";
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
export function e2eStages(storageClass: string, reclaimPolicy: string): string[] {
    const kwok = goModuleDir(pinnedGoModule("kwok", "sigs.k8s.io/kwok"));
    // The provisioner gives a volume the class's reclaim policy, as the EBS CSI driver does
    // (kwok's stage reads it from the claim, which has none, and falls back to Delete).
    const kwokReclaim = '{{ default "Delete" .spec.reclaimPolicy | Quote }}';
    const volumeStage = (file: string) => {
        const text = fs
            .readFileSync(path.join(kwok, "kustomize/stage/volume/fast", file), "utf8")
            .replaceAll("'kwok-volume'", `'${storageClass}'`);
        if (file === "pvc-provision.yaml" && !text.includes(kwokReclaim)) {
            throw new Error(`kwok's ${file} no longer sets the reclaim policy as expected`);
        }
        return text.replace(kwokReclaim, JSON.stringify(reclaimPolicy));
    };
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
    const { reclaimPolicy } = gp3StorageClassArgs("arn:aws:kms:us-east-1:123456789012:key/e2e");
    return startControlPlane({
        nodes: e2eNodes(stack),
        stages: e2eStages(storageClassName, String(reclaimPolicy)),
    });
}
