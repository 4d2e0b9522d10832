import type * as k8s from "@pulumi/kubernetes";
import { allowSelector, podsIn, privateIpv4Ranges, publicEgress, tcp } from "../kit/network-policy";
import { backupPodLabels } from "./postgres";
import { redisNames } from "./redis-config";
import { backupCronJobNames } from "../../contracts/names";
import { postgresNames } from "../../contracts/data";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/**
 * Every backup, verify and restore pod (`app.kubernetes.io/component: backup`): no ingress;
 * egress to the Postgres servers and to Redis and its Sentinels, and HTTPS to public
 * addresses only — S3, KMS and STS through the NAT gateways. Nothing private on 443: neither
 * the EKS API's private endpoint nor any other endpoint in the VPC or its peer.
 */
export function backupJobsPolicy(namespace: string): NetworkPolicySpec {
    return {
        podSelector: allowSelector(backupPodLabels),
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
        egress: [
            {
                to: [
                    podsIn(namespace, { app: "postgres-primary" }),
                    podsIn(namespace, { app: "postgres-replica" }),
                ],
                ports: tcp(postgresNames.port),
            },
            {
                to: [podsIn(namespace, { app: "redis" })],
                ports: tcp(redisNames.port, redisNames.sentinelPort),
            },
            publicEgress(443),
        ],
    };
}

/**
 * app-data-backup, the only job that runs kubectl: HTTPS to the private ranges too, where the
 * API server answers (its private endpoint in the VPC, the `kubernetes` Service's cluster IP).
 */
export function kubernetesApiPolicy(): NetworkPolicySpec {
    return {
        podSelector: allowSelector({
            ...backupPodLabels,
            "app.kubernetes.io/name": backupCronJobNames.appData,
        }),
        policyTypes: ["Egress"],
        egress: [
            {
                to: privateIpv4Ranges.map((cidr) => ({ ipBlock: { cidr } })),
                ports: tcp(443),
            },
        ],
    };
}
