import { autoscalersOf, type K8sObject } from "./k8s-objects";

/**
 * The most replicas a workload can run: the largest maxReplicas of the HPAs that target it,
 * or its spec.replicas (1 when unset) when no HPA does. The PDB rule and the capacity rule
 * both size a workload this way, so they agree on what "multi-replica" means.
 */
export function maxReplicas(workload: K8sObject, objects: readonly K8sObject[]): number {
    const hpas = autoscalersOf(workload, objects, "HorizontalPodAutoscaler");
    if (hpas.length > 0)
        return Math.max(...hpas.map((h) => Number(h.props.spec?.maxReplicas ?? 1)));
    return Number(workload.props.spec?.replicas ?? 1);
}
