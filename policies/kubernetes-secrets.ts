import * as k8s from "@pulumi/kubernetes";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { credentialReason } from "../contracts/credentials";
import { cisEks } from "./lib/define";
import { containersOf, describeContainer, validatePods } from "./lib/pods";

/**
 * Credentials belong in Secrets (KMS envelope-encrypted, RBAC-guarded, redacted from
 * outputs); a ConfigMap or an env literal is readable by anyone who can read the pod spec.
 * Values are judged by what they look like as well as by their key's name, and messages
 * name the key only: a violation must not copy the credential into logs.
 */

export const noCredentialsInConfig: ResourceValidationPolicy = {
    name: "k8s-no-credentials-in-config",
    description:
        "Checks whether a ConfigMap value or a container env literal holds a credential: a URL with user:password@, an AWS access key ID or secret key, a PEM private key, a GitHub/Slack/Stripe token or a JWT, or a one-line literal under a credential-like name.",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: cisEks("4.4.1"),
    tags: ["secrets", "cis-eks-4.4.1", "polaris:sensitiveConfigmapContent"],
    remediationSteps:
        "Move the value into a Secret built from a secure: stack config value, and reference it (env valueFrom.secretKeyRef, or a Secret volume); rotate the exposed credential.",
    validateResource: [
        ...[k8s.core.v1.ConfigMap, k8s.core.v1.ConfigMapPatch].map((cls) =>
            validateResourceOfType(
                cls as typeof k8s.core.v1.ConfigMap,
                (configMap, args, reportViolation) => {
                    const label = `ConfigMap ${configMap.metadata?.namespace ?? "(no namespace)"}/${configMap.metadata?.name ?? args.name}`;
                    const data = (configMap.data ?? {}) as Record<string, unknown>;
                    for (const [key, value] of Object.entries(data)) {
                        const reason = credentialReason(key, value);
                        if (reason) {
                            reportViolation(
                                `${label} key ${key} ${reason}; it must be in a Secret.`,
                            );
                        }
                    }
                },
            ),
        ),
        ...validatePods((pod, report) => {
            for (const ref of containersOf(pod.spec)) {
                for (const env of ref.container.env ?? []) {
                    // The rule the config validation applies to a service's env (contracts/).
                    const reason = credentialReason(env.name, env.value);
                    if (reason) {
                        report(
                            `${describeContainer(ref)} env ${env.name} ${reason}; it must come from a Secret (valueFrom.secretKeyRef).`,
                        );
                    }
                }
            }
        }),
    ],
};

export const secretsPolicies: ResourceValidationPolicy[] = [noCredentialsInConfig];
