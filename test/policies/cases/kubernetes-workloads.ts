import * as k8s from "@pulumi/kubernetes";
import {
    defaultServiceAccountToken,
    envSecretLiterals,
    imagePinned,
    probes,
    readOnlyRootFilesystem,
    resources,
} from "../../../policies/kubernetes-workloads";
import {
    noAdminRoleBinding,
    noEscalation,
    noWildcards,
    secretsAccess,
    serviceAccountAutomount,
} from "../../../policies/kubernetes-rbac";
import {
    ingressTls,
    namespacePodSecurity,
    noDefaultNamespace,
    storageClassEncrypted,
} from "../../../policies/kubernetes-cluster";
import { fixture } from "../../support/policy";
import type { PolicyCases } from "../lib/cases";
import {
    deployment,
    firstContainer,
    k8sObject,
    type Obj,
    restrictedNamespace,
    workload,
} from "../lib/fixtures";

const hardened = { title: "hardened Deployment", resources: [deployment()] };

export const workloadCases: PolicyCases[] = [
    {
        policy: readOnlyRootFilesystem,
        pass: [hardened],
        fail: [
            {
                title: "writable root filesystem",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.readOnlyRootFilesystem = false),
                        ),
                    }),
                ],
                expect: /container "app" must set securityContext.readOnlyRootFilesystem: true/,
            },
            {
                title: "unset on a CronJob",
                resources: [
                    workload("CronJob", {
                        pod: firstContainer((c) => delete c.securityContext.readOnlyRootFilesystem),
                    }),
                ],
                expect: /^CronJob/,
            },
        ],
    },
    {
        policy: resources,
        pass: [
            hardened,
            {
                title: "no CPU limit when the config allows it",
                resources: [
                    deployment({ pod: firstContainer((c) => delete c.resources.limits.cpu) }),
                ],
                config: { requireCpuLimit: false },
            },
        ],
        fail: [
            {
                title: "no resources",
                resources: [deployment({ pod: firstContainer((c) => delete c.resources) })],
                expect: /must set resources requests.cpu, requests.memory, limits.cpu, limits.memory/,
            },
            {
                title: "no CPU limit",
                resources: [
                    deployment({ pod: firstContainer((c) => delete c.resources.limits.cpu) }),
                ],
                expect: /must set resources limits.cpu/,
            },
            {
                title: "request above limit",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.resources.requests.memory = "8Gi")),
                    }),
                ],
                expect: /requests.memory \(8Gi\) must not exceed limits.memory \(4Gi\)/,
            },
        ],
    },
    {
        policy: probes,
        pass: [hardened],
        fail: [
            {
                title: "no liveness probe",
                resources: [deployment({ pod: firstContainer((c) => delete c.livenessProbe) })],
                expect: /container "app" must define livenessProbe/,
            },
            {
                title: "StatefulSet without probes",
                resources: [
                    workload("StatefulSet", {
                        pod: firstContainer((c) => {
                            delete c.readinessProbe;
                            delete c.livenessProbe;
                        }),
                    }),
                ],
                expect: /must define readinessProbe and livenessProbe/,
            },
        ],
    },
    {
        policy: imagePinned,
        pass: [
            hardened,
            {
                title: "digest",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) =>
                                (c.image =
                                    "postgres@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
                        ),
                    }),
                ],
            },
            {
                title: "registry with a port and a tag",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.image = "registry.local:5000/mcp/api:2.0.1")),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "latest",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.image = "ghcr.io/mcp/api:latest")),
                    }),
                ],
                expect: /must be pinned to a version tag or digest, not latest/,
            },
            {
                title: "no tag (registry with a port)",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.image = "registry.local:5000/mcp/api")),
                    }),
                ],
                expect: /not an implicit latest/,
            },
            {
                title: "tag only when digests are required",
                resources: [deployment()],
                config: { requireDigest: true },
                expect: /must be pinned by digest/,
            },
        ],
    },
    {
        policy: defaultServiceAccountToken,
        pass: [
            hardened,
            {
                title: "default account without the token",
                resources: [deployment({ pod: (p) => delete p.spec.serviceAccountName })],
            },
            {
                title: "own account that mounts its token",
                resources: [
                    deployment({ pod: (p) => (p.spec.automountServiceAccountToken = true) }),
                ],
            },
        ],
        fail: [
            {
                title: "default account with the token",
                resources: [
                    deployment({
                        pod: (p) => {
                            delete p.spec.serviceAccountName;
                            delete p.spec.automountServiceAccountToken;
                        },
                    }),
                ],
                expect: /runs as the default service account and must set automountServiceAccountToken: false/,
            },
        ],
    },
    {
        policy: envSecretLiterals,
        pass: [
            hardened,
            {
                title: "a path to a mounted secret file",
                resources: [
                    deployment({
                        pod: firstContainer((c) =>
                            c.env.push({
                                name: "POSTGRES_PASSWORD_FILE",
                                value: "/secrets/password",
                            }),
                        ),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "literal password",
                resources: [
                    deployment({
                        pod: firstContainer((c) =>
                            c.env.push({ name: "POSTGRES_PASSWORD", value: "hunter2" }),
                        ),
                    }),
                ],
                expect: /env POSTGRES_PASSWORD must come from a Secret/,
            },
            {
                title: "literal API token in an init container",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.initContainers = [
                                {
                                    ...p.spec.containers[0],
                                    name: "init",
                                    env: [{ name: "GITHUB_TOKEN", value: "ghp_x" }],
                                },
                            ]),
                    }),
                ],
                expect: /initContainer "init" env GITHUB_TOKEN/,
            },
        ],
    },
];

function role(kind: "Role" | "ClusterRole", rules: Obj[]): ReturnType<typeof k8sObject> {
    const cls = kind === "Role" ? k8s.rbac.v1.Role : k8s.rbac.v1.ClusterRole;
    const metadata =
        kind === "Role" ? { name: "reader", namespace: "mcp-production" } : { name: "reader" };
    return k8sObject(cls, "rbac.authorization.k8s.io/v1", kind, metadata, { rules });
}

const minimalRole = role("Role", [
    { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] },
]);

function binding(kind: "RoleBinding" | "ClusterRoleBinding", roleName: string) {
    const cls = kind === "RoleBinding" ? k8s.rbac.v1.RoleBinding : k8s.rbac.v1.ClusterRoleBinding;
    return k8sObject(
        cls,
        "rbac.authorization.k8s.io/v1",
        kind,
        { name: "binding", namespace: kind === "RoleBinding" ? "mcp-production" : undefined },
        {
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleName },
            subjects: [{ kind: "ServiceAccount", name: "app", namespace: "mcp-production" }],
        },
    );
}

export const rbacCases: PolicyCases[] = [
    {
        policy: noWildcards,
        pass: [{ title: "explicit rules", resources: [minimalRole] }],
        fail: [
            {
                title: "wildcard verbs",
                resources: [role("Role", [{ apiGroups: [""], resources: ["pods"], verbs: ["*"] }])],
                expect: /must not use a wildcard in verbs/,
            },
            {
                title: "wildcard resources in a ClusterRole",
                resources: [
                    role("ClusterRole", [
                        { apiGroups: ["apps"], resources: ["*"], verbs: ["get"] },
                    ]),
                ],
                expect: /ClusterRole reader: rules\[0\].*wildcard in resources/,
            },
        ],
    },
    {
        policy: noAdminRoleBinding,
        pass: [{ title: "binding to a narrow role", resources: [binding("RoleBinding", "view")] }],
        fail: [
            {
                title: "ClusterRoleBinding to cluster-admin",
                resources: [binding("ClusterRoleBinding", "cluster-admin")],
                expect: /must not bind the built-in ClusterRole cluster-admin/,
            },
            {
                title: "RoleBinding to cluster-admin",
                resources: [binding("RoleBinding", "cluster-admin")],
                expect: /RoleBinding mcp-production\/binding must not bind/,
            },
        ],
    },
    {
        policy: secretsAccess,
        pass: [
            { title: "no secrets", resources: [minimalRole] },
            {
                title: "get on a named secret",
                resources: [
                    role("Role", [
                        {
                            apiGroups: [""],
                            resources: ["secrets"],
                            resourceNames: ["mcp-secrets"],
                            verbs: ["get"],
                        },
                    ]),
                ],
            },
            {
                title: "the preview role gets named secrets",
                resources: [
                    k8sObject(
                        k8s.rbac.v1.ClusterRole,
                        "rbac.authorization.k8s.io/v1",
                        "ClusterRole",
                        { name: "mcp-platform-preview" },
                        {
                            rules: [
                                {
                                    apiGroups: [""],
                                    resources: ["secrets"],
                                    resourceNames: ["grafana-admin"],
                                    verbs: ["get"],
                                },
                            ],
                        },
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "the preview role may not read every secret",
                resources: [
                    k8sObject(
                        k8s.rbac.v1.ClusterRole,
                        "rbac.authorization.k8s.io/v1",
                        "ClusterRole",
                        { name: "mcp-platform-preview" },
                        {
                            rules: [
                                {
                                    apiGroups: [""],
                                    resources: ["secrets"],
                                    verbs: ["get", "list", "watch"],
                                },
                            ],
                        },
                    ),
                ],
                expect: /ClusterRole mcp-platform-preview: .*must not grant get, list, watch on secrets/,
            },
            {
                title: "the preview role may not list secrets",
                resources: [
                    k8sObject(
                        k8s.rbac.v1.ClusterRole,
                        "rbac.authorization.k8s.io/v1",
                        "ClusterRole",
                        { name: "mcp-platform-preview" },
                        {
                            rules: [
                                {
                                    apiGroups: [""],
                                    resources: ["secrets"],
                                    verbs: ["get", "list", "update"],
                                },
                            ],
                        },
                    ),
                ],
                expect: /ClusterRole mcp-platform-preview: .*must not grant get, list on secrets/,
            },
            {
                title: "list secrets",
                resources: [
                    role("ClusterRole", [
                        { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"] },
                    ]),
                ],
                expect: /must not grant get, list on secrets/,
            },
            {
                title: "watch named secrets",
                resources: [
                    role("Role", [
                        {
                            apiGroups: [""],
                            resources: ["secrets"],
                            resourceNames: ["a"],
                            verbs: ["watch"],
                        },
                    ]),
                ],
                expect: /watch/,
            },
        ],
    },
    {
        policy: noEscalation,
        pass: [{ title: "read-only role", resources: [minimalRole] }],
        fail: [
            {
                title: "create pods",
                resources: [
                    role("Role", [{ apiGroups: [""], resources: ["pods"], verbs: ["create"] }]),
                ],
                expect: /creating pods \(CIS 4.1.4\)/,
            },
            {
                title: "exec into pods",
                resources: [
                    role("Role", [
                        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
                    ]),
                ],
                expect: /exec\/attach/,
            },
            {
                title: "impersonate service accounts",
                resources: [
                    role("ClusterRole", [
                        { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] },
                    ]),
                ],
                expect: /bind\/escalate\/impersonate/,
            },
            {
                title: "nodes/proxy",
                resources: [
                    role("ClusterRole", [
                        { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
                    ]),
                ],
                expect: /nodes\/proxy/,
            },
        ],
    },
    {
        policy: serviceAccountAutomount,
        pass: [
            {
                title: "automount off",
                resources: [
                    k8sObject(
                        k8s.core.v1.ServiceAccount,
                        "v1",
                        "ServiceAccount",
                        { name: "app", namespace: "mcp-production" },
                        { automountServiceAccountToken: false },
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "automount unset",
                resources: [
                    k8sObject(k8s.core.v1.ServiceAccount, "v1", "ServiceAccount", {
                        name: "app",
                        namespace: "mcp-production",
                    }),
                ],
                expect: /should set automountServiceAccountToken: false/,
            },
        ],
    },
];

function ingress(metadata: Obj, spec: Obj) {
    return k8sObject(
        k8s.networking.v1.Ingress,
        "networking.k8s.io/v1",
        "Ingress",
        { name: "mcp-semantic-ingress", namespace: "mcp-system", ...metadata },
        { spec },
    );
}

const rules = [
    {
        host: "api.mcp-production.com",
        http: {
            paths: [
                {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: "api", port: { number: 80 } } },
                },
            ],
        },
    },
];

function storageClass(parameters: Obj, provisioner = "ebs.csi.aws.com") {
    return k8sObject(
        k8s.storage.v1.StorageClass,
        "storage.k8s.io/v1",
        "StorageClass",
        { name: "gp3" },
        { provisioner, parameters },
    );
}

export const clusterCases: PolicyCases[] = [
    {
        policy: noDefaultNamespace,
        pass: [
            hardened,

            {
                title: "a Helm release with a namespace",
                resources: [
                    fixture("kubernetes:helm.sh/v3:Release", {
                        name: "metrics-server",
                        chart: "metrics-server",
                        namespace: "kube-system",
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "no namespace",
                resources: [deployment({ namespace: null })],
                expect: /Deployment api must set metadata.namespace to a namespace other than default \(got none\)/,
            },
            {
                title: "the default namespace",
                resources: [deployment({ namespace: "default" })],
                expect: /\(got default\)/,
            },
            {
                title: "a Helm release without a namespace",
                resources: [fixture("kubernetes:helm.sh/v3:Release", { name: "x", chart: "x" })],
                expect: /Helm release x must set namespace/,
            },
        ],
    },
    {
        policy: namespacePodSecurity,
        pass: [
            { title: "restricted", resources: [restrictedNamespace("mcp-production")] },
            {
                title: "privileged enforce where exempted",
                resources: [
                    restrictedNamespace("logging", {
                        "pod-security.kubernetes.io/enforce": "privileged",
                    }),
                ],
                config: {
                    exemptions: [
                        { namespace: "logging", enforce: "privileged", reason: "log collector" },
                    ],
                },
            },
        ],
        fail: [
            {
                title: "no labels",
                resources: [
                    k8sObject(k8s.core.v1.Namespace, "v1", "Namespace", { name: "mcp-system" }),
                ],
                expect: /Namespace mcp-system must label pod-security.kubernetes.io\/enforce=restricted \(got none\)/,
            },
            {
                title: "baseline enforce",
                resources: [
                    restrictedNamespace("mcp-system", {
                        "pod-security.kubernetes.io/enforce": "baseline",
                    }),
                ],
                expect: /enforce=restricted \(got baseline\)/,
            },
            {
                title: "exempt namespace that relaxes warn too",
                resources: [
                    restrictedNamespace("logging", {
                        "pod-security.kubernetes.io/enforce": "privileged",
                        "pod-security.kubernetes.io/warn": "privileged",
                    }),
                ],
                config: {
                    exemptions: [
                        { namespace: "logging", enforce: "privileged", reason: "log collector" },
                    ],
                },
                expect: /warn=restricted \(got privileged\)/,
            },
        ],
    },
    {
        policy: ingressTls,
        pass: [
            {
                title: "spec.tls covering the host",
                resources: [
                    ingress(
                        {},
                        {
                            rules,
                            tls: [{ hosts: ["api.mcp-production.com"], secretName: "api-tls" }],
                        },
                    ),
                ],
            },
            {
                title: "ALB certificate annotation",
                resources: [
                    ingress(
                        {
                            annotations: {
                                "alb.ingress.kubernetes.io/certificate-arn":
                                    "arn:aws:acm:us-east-1:123456789012:certificate/abc",
                            },
                        },
                        { rules },
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "no TLS",
                resources: [ingress({}, { rules })],
                expect: /must terminate TLS: add spec.tls for api.mcp-production.com/,
            },
            {
                title: "TLS for another host",
                resources: [
                    ingress(
                        {},
                        { rules, tls: [{ hosts: ["other.example.com"], secretName: "x" }] },
                    ),
                ],
                expect: /must list api.mcp-production.com in spec.tls/,
            },
        ],
    },
    {
        policy: storageClassEncrypted,
        pass: [
            {
                title: "encrypted gp3",
                resources: [storageClass({ type: "gp3", encrypted: "true" })],
            },
        ],
        fail: [
            {
                title: "unencrypted gp3",
                resources: [storageClass({ type: "gp3" })],
                expect: /must set parameters.encrypted: "true" \(got none\)/,
            },
            {
                title: "in-tree EBS provisioner",
                resources: [
                    storageClass({ type: "gp2", encrypted: "false" }, "kubernetes.io/aws-ebs"),
                ],
                expect: /got false/,
            },
        ],
    },
];
