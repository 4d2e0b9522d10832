import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import { kmsKeyPolicyLeastPrivilege, rdsEncrypted, rdsNotPublic } from "../../../policies/aws-data";
import {
    noWildcardAction,
    noWildcardResource,
    passRoleScoped,
    trustNoPublicPrincipal,
} from "../../../policies/aws-iam-documents";
import { noWildcardAdmin } from "../../../policies/aws-iam";
import { securityGroupNoPublicIngress } from "../../../policies/aws-network";
import { endpointAccess } from "../../../policies/aws-eks";
import { workerSecretBindings, zoneSslStrict } from "../../../policies/cloudflare";
import { configGroupObjects } from "../../../policies/kubernetes";
import { namespacePodSecurity } from "../../../policies/kubernetes-cluster";
import { helmChartAllowed } from "../../../policies/kubernetes-indirection";
import { networkPolicyNoAllowAll, serviceNotExposed } from "../../../policies/kubernetes-network";
import {
    notPrivileged,
    runAsNonRoot,
    runAsUserNotRoot,
} from "../../../policies/kubernetes-pod-security";
import {
    noAdminRoleBinding,
    noEscalation,
    noPublicSubjects,
    noWorkloadWrites,
} from "../../../policies/kubernetes-rbac";
import { noCredentialsInConfig } from "../../../policies/kubernetes-secrets";
import { fixture } from "../../support/policy";
import type { PolicyCases } from "../lib/cases";
import {
    deployment,
    firstContainer,
    hardenedCluster,
    hardenedPodSpec,
    k8sObject,
    networkPolicy,
    type Obj,
    policyDocument,
    record,
} from "../lib/fixtures";

/**
 * Fixtures of the least-privilege, exposure, indirection and credential rules. Each failing
 * case changes one field of the passing fixture above it.
 */

const account = "123456789012";
const scoped = { Effect: "Allow", Action: ["s3:PutObject"], Resource: "arn:aws:s3:::b/p/*" };

function withStatement(change: Obj): Obj[] {
    return [{ ...scoped, ...change }];
}

const iamPolicy = (statements: Obj[], name = "app-policy") =>
    record(aws.iam.Policy, { policy: policyDocument(statements) }, name);
const rolePolicy = (statements: Obj[]) =>
    record(aws.iam.RolePolicy, { role: "app-role", policy: { Statement: statements } });
const inlineRole = (statements: Obj[]) =>
    record(
        aws.iam.Role,
        {
            assumeRolePolicy: policyDocument([
                {
                    Effect: "Allow",
                    Principal: { Service: "ec2.amazonaws.com" },
                    Action: "sts:AssumeRole",
                },
            ]),
            inlinePolicies: [{ name: "inline", policy: policyDocument(statements) }],
        },
        "app-role",
    );
const trustRole = (statement: Obj) =>
    record(aws.iam.Role, { assumeRolePolicy: policyDocument([statement]) }, "trusted-role");
const serviceTrust = {
    Effect: "Allow",
    Principal: { Service: "eks.amazonaws.com" },
    Action: "sts:AssumeRole",
};

const rootStatement = {
    Sid: "Root",
    Effect: "Allow",
    Principal: { AWS: `arn:aws:iam::${account}:root` },
    Action: "kms:*",
    Resource: "*",
};
const logsStatement = {
    Sid: "Logs",
    Effect: "Allow",
    Principal: { Service: "logs.us-east-1.amazonaws.com" },
    Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    Resource: "*",
};
const key = (statements: Obj[]) =>
    record(aws.kms.Key, { enableKeyRotation: true, policy: policyDocument(statements) }, "key");

const sg = (ingress: Obj) =>
    record(aws.ec2.SecurityGroup, { vpcId: "vpc-id", ingress: [ingress] }, "web-sg");
const https = { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] };

const npSpec = (change: Obj = {}) => ({
    podSelector: { matchLabels: { app: "api" } },
    policyTypes: ["Ingress", "Egress"],
    ingress: [{ from: [{ ipBlock: { cidr: "10.10.0.0/16" } }], ports: [{ port: 3000 }] }],
    egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: 443 }] }],
    ...change,
});

const service = (spec: Obj) =>
    k8sObject(
        k8s.core.v1.Service,
        "v1",
        "Service",
        { name: "api", namespace: "mcp-production" },
        {
            spec: { selector: { app: "api" }, ports: [{ port: 80, targetPort: 3000 }], ...spec },
        },
    );

const binding = (kind: string, roleRef: string, subject: Obj) =>
    k8sObject(
        kind === "ClusterRoleBinding" ? k8s.rbac.v1.ClusterRoleBinding : k8s.rbac.v1.RoleBinding,
        "rbac.authorization.k8s.io/v1",
        kind,
        kind === "ClusterRoleBinding"
            ? { name: "binding" }
            : { name: "binding", namespace: "mcp-production" },
        {
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: roleRef },
            subjects: [subject],
        },
    );
const sa = { kind: "ServiceAccount", name: "backup", namespace: "mcp-production" };
const role = (rules: Obj[]) =>
    k8sObject(
        k8s.rbac.v1.ClusterRole,
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        {
            name: "reader",
        },
        { rules },
    );
const readDeployments = { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list"] };

const configMap = (data: Record<string, string>) =>
    k8sObject(
        k8s.core.v1.ConfigMap,
        "v1",
        "ConfigMap",
        {
            name: "app-config",
            namespace: "mcp-production",
        },
        { data },
    );
// Built at run time so no credential-shaped literal sits in the repository.
const fakeAccessKey = ["AKIA", "Q3EXAMPLE7TESTKEY"].join("").slice(0, 20);
const fakePem = ["-----BEGIN", "RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"].join(
    " ",
);

const helm = (props: Obj) =>
    fixture(
        "kubernetes:helm.sh/v3:Release",
        {
            name: "metrics-server",
            chart: "metrics-server",
            version: "3.13.1",
            namespace: "kube-system",
            repositoryOpts: { repo: "https://kubernetes-sigs.github.io/metrics-server/" },
            values: { podSecurityContext: { runAsNonRoot: true } },
            ...props,
        },
        "metrics-server",
    );

const deploymentManifest = (mutate: (spec: Obj) => void = () => undefined): Obj => {
    const spec = hardenedPodSpec();
    mutate(spec);
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "api", namespace: "mcp-production" },
        spec: {
            selector: { matchLabels: { app: "api" } },
            template: { metadata: { labels: { app: "api" } }, spec },
        },
    };
};
const configGroup = (objs: Obj[]) =>
    fixture("kubernetes:yaml/v2:ConfigGroup", { objs }, "manifests");

const namespacePatch = (labels: Record<string, string | null>) =>
    k8sObject(k8s.core.v1.NamespacePatch, "v1", "Namespace", { name: "mcp-production", labels });

const worker = (text: string, name = "UPSTREAM_URL") =>
    record(cloudflare.WorkersScript, {
        accountId: "acct",
        scriptName: "edge",
        content: "export default {}",
        compatibilityDate: "2026-04-01",
        bindings: [{ name, type: "plain_text", text }],
    });
const zoneSetting = (value: string) =>
    record(cloudflare.ZoneSetting, { zoneId: "zone", settingId: "ssl", value }, "ssl");

const rds = (cls: unknown, props: Obj) =>
    record(cls, { engine: "postgres", storageEncrypted: true, ...props }, "db");

export const securityCases: PolicyCases[] = [
    {
        policy: noWildcardAction,
        pass: [{ title: "listed actions", resources: [iamPolicy([scoped])] }],
        fail: [
            {
                title: "service wildcard in a managed policy",
                resources: [iamPolicy(withStatement({ Action: "iam:*" }))],
                expect: /must not allow iam:\*/,
            },
            {
                title: "s3:* in an inline role policy (object document, single statement)",
                resources: [rolePolicy(withStatement({ Action: ["s3:*"] }))],
                expect: /IAM role policy .* must not allow s3:\*/,
            },
            {
                title: "NotAction in Role.inlinePolicies",
                resources: [inlineRole(withStatement({ Action: undefined, NotAction: "iam:*" }))],
                expect: /must not use NotAction/,
            },
        ],
    },
    {
        policy: noWildcardResource,
        pass: [
            { title: "scoped resource", resources: [iamPolicy([scoped])] },
            {
                title: "reviewed read-only action on *",
                resources: [
                    iamPolicy(withStatement({ Action: "ec2:DescribeVpcs", Resource: "*" })),
                ],
            },
            {
                title: "the reviewed exemption for the load balancer controller",
                resources: [
                    iamPolicy(
                        withStatement({ Action: ["wafv2:AssociateWebACL"], Resource: "*" }),
                        "cluster-addons-alb-controller-policy",
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "write action on *",
                resources: [iamPolicy(withStatement({ Resource: "*" }))],
                expect: /must scope s3:PutObject to resource ARNs/,
            },
            {
                title: "the exempted action under another policy's name",
                resources: [
                    iamPolicy(withStatement({ Action: ["wafv2:AssociateWebACL"], Resource: "*" })),
                ],
                expect: /must scope wafv2:AssociateWebACL/,
            },
        ],
    },
    {
        policy: passRoleScoped,
        pass: [
            {
                title: "PassRole on a named role",
                resources: [
                    iamPolicy(
                        withStatement({
                            Action: "iam:PassRole",
                            Resource: `arn:aws:iam::${account}:role/app`,
                        }),
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "PassRole on *",
                resources: [iamPolicy(withStatement({ Action: "iam:PassRole", Resource: "*" }))],
                expect: /must not allow iam:PassRole on every role/,
            },
        ],
    },
    {
        policy: trustNoPublicPrincipal,
        pass: [
            { title: "service principal", resources: [trustRole(serviceTrust)] },
            {
                title: '"*" confined to the organization',
                resources: [
                    trustRole({
                        ...serviceTrust,
                        Principal: { AWS: "*" },
                        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                    }),
                ],
            },
        ],
        fail: [
            {
                title: 'Principal { AWS: "*" } without a condition',
                resources: [trustRole({ ...serviceTrust, Principal: { AWS: "*" } })],
                expect: /must not trust Principal "\*"/,
            },
            {
                title: 'Principal "*" with a negative condition',
                resources: [
                    trustRole({
                        ...serviceTrust,
                        Principal: "*",
                        Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                    }),
                ],
                expect: /must not trust Principal "\*"/,
            },
        ],
    },
    {
        policy: noWildcardAdmin,
        pass: [
            {
                title: "a scoped AWS managed policy attached",
                resources: [
                    record(aws.iam.RolePolicyAttachment, {
                        role: "app-role",
                        policyArn: "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "PowerUserAccess attached",
                resources: [
                    record(aws.iam.RolePolicyAttachment, {
                        role: "app-role",
                        policyArn: "arn:aws:iam::aws:policy/PowerUserAccess",
                    }),
                ],
                expect: /must not attach arn:aws:iam::aws:policy\/PowerUserAccess/,
            },
            {
                title: "IAMFullAccess in another partition",
                resources: [
                    record(aws.iam.PolicyAttachment, {
                        roles: ["app-role"],
                        policyArn: "arn:aws-us-gov:iam::aws:policy/IAMFullAccess",
                    }),
                ],
                expect: /must not attach/,
            },
        ],
    },
    {
        policy: kmsKeyPolicyLeastPrivilege,
        pass: [
            {
                title: "root and a scoped service",
                resources: [key([rootStatement, logsStatement])],
            },
        ],
        fail: [
            {
                title: "kms:* to a service",
                resources: [key([rootStatement, { ...logsStatement, Action: "kms:*" }])],
                expect: /must grant kms:\* only to the account root/,
            },
            {
                title: 'Principal "*"',
                resources: [key([rootStatement, { ...logsStatement, Principal: "*" }])],
                expect: /must not grant the key to Principal "\*"/,
            },
        ],
    },
    {
        policy: rdsEncrypted,
        pass: [
            { title: "encrypted instance", resources: [rds(aws.rds.Instance, {})] },
            { title: "encrypted cluster", resources: [rds(aws.rds.Cluster, {})] },
        ],
        fail: [
            {
                title: "unencrypted cluster",
                resources: [rds(aws.rds.Cluster, { storageEncrypted: false })],
                expect: /RDS cluster db must set storageEncrypted: true/,
            },
        ],
    },
    {
        policy: rdsNotPublic,
        pass: [{ title: "private instance", resources: [rds(aws.rds.Instance, {})] }],
        fail: [
            {
                title: "public instance",
                resources: [rds(aws.rds.Instance, { publiclyAccessible: true })],
                expect: /must not be publicly accessible/,
            },
        ],
    },
    {
        policy: securityGroupNoPublicIngress,
        pass: [
            { title: "HTTPS from anywhere", resources: [sg(https)] },
            {
                title: "SSH from the VPC",
                resources: [
                    sg({ ...https, fromPort: 22, toPort: 22, cidrBlocks: ["10.10.0.0/16"] }),
                ],
            },
        ],
        fail: [
            {
                title: "SSH from anywhere",
                resources: [sg({ ...https, fromPort: 22, toPort: 22 })],
                expect: /open to the internet on port 22/,
            },
            {
                title: "two halves of the internet (SecurityGroupRule)",
                resources: [
                    record(aws.ec2.SecurityGroupRule, {
                        type: "ingress",
                        securityGroupId: "sg-id",
                        protocol: "tcp",
                        fromPort: 5432,
                        toPort: 5432,
                        cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"],
                    }),
                ],
                expect: /open to the internet on port 5432/,
            },
            {
                title: "every protocol from ::/0 (vpc.SecurityGroupIngressRule)",
                resources: [
                    record(aws.vpc.SecurityGroupIngressRule, {
                        securityGroupId: "sg-id",
                        ipProtocol: "-1",
                        cidrIpv6: "::/0",
                    }),
                ],
                expect: /every protocol and port/,
            },
        ],
    },
    {
        policy: endpointAccess,
        pass: [
            {
                title: "public endpoint for an office range",
                resources: [
                    hardenedCluster((c) => {
                        c.vpcConfig.endpointPublicAccess = true;
                        c.vpcConfig.publicAccessCidrs = ["203.0.113.0/24"];
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "public endpoint for CIDRs that together cover the internet",
                resources: [
                    hardenedCluster((c) => {
                        c.vpcConfig.endpointPublicAccess = true;
                        c.vpcConfig.publicAccessCidrs = ["0.0.0.0/1", "128.0.0.0/1"];
                    }),
                ],
                expect: /restrict publicAccessCidrs/,
            },
        ],
    },
    {
        policy: networkPolicyNoAllowAll,
        pass: [
            {
                title: "named peers, egress on 443",
                resources: [networkPolicy("mcp-production", "api", npSpec())],
            },
        ],
        fail: [
            {
                title: "an empty ingress rule",
                resources: [networkPolicy("mcp-production", "api", npSpec({ ingress: [{}] }))],
                expect: /ingress\[0\] must name its sources/,
            },
            {
                title: "ingress from 0.0.0.0/0 on one port",
                resources: [
                    networkPolicy(
                        "mcp-production",
                        "api",
                        npSpec({
                            ingress: [
                                {
                                    from: [{ ipBlock: { cidr: "0.0.0.0/0" } }],
                                    ports: [{ port: 3000 }],
                                },
                            ],
                        }),
                    ),
                ],
                expect: /admits traffic from everywhere/,
            },
            {
                title: "egress to everywhere on every port",
                resources: [
                    networkPolicy("mcp-production", "api", npSpec({ egress: [{ to: [{}] }] })),
                ],
                expect: /egress\[0\] must name its destinations or ports/,
            },
        ],
    },
    {
        policy: serviceNotExposed,
        pass: [{ title: "ClusterIP", resources: [service({ type: "ClusterIP" })] }],
        fail: [
            {
                title: "LoadBalancer",
                resources: [service({ type: "LoadBalancer" })],
                expect: /must be of type ClusterIP \(got LoadBalancer\)/,
            },
            {
                title: "NodePort",
                resources: [service({ type: "NodePort" })],
                expect: /got NodePort/,
            },
            {
                title: "externalIPs",
                resources: [service({ externalIPs: ["198.51.100.7"] })],
                expect: /must not set externalIPs/,
            },
        ],
    },
    {
        policy: noAdminRoleBinding,
        pass: [
            {
                title: "a custom role",
                resources: [binding("RoleBinding", "mcp-app-data-export", sa)],
            },
        ],
        fail: [
            {
                title: "admin",
                resources: [binding("RoleBinding", "admin", sa)],
                expect: /must not bind the built-in ClusterRole admin/,
            },
            {
                title: "edit",
                resources: [binding("ClusterRoleBinding", "edit", sa)],
                expect: /built-in ClusterRole edit/,
            },
        ],
    },
    {
        policy: noPublicSubjects,
        pass: [{ title: "a service account", resources: [binding("RoleBinding", "reader", sa)] }],
        fail: [
            {
                title: "system:authenticated",
                resources: [
                    binding("ClusterRoleBinding", "reader", {
                        kind: "Group",
                        apiGroup: "rbac.authorization.k8s.io",
                        name: "system:authenticated",
                    }),
                ],
                expect: /must not bind Group system:authenticated/,
            },
            {
                title: "system:anonymous",
                resources: [
                    binding("RoleBinding", "reader", {
                        kind: "User",
                        apiGroup: "rbac.authorization.k8s.io",
                        name: "system:anonymous",
                    }),
                ],
                expect: /must not bind User system:anonymous/,
            },
        ],
    },
    {
        policy: noWorkloadWrites,
        pass: [{ title: "read-only", resources: [role([readDeployments])] }],
        fail: [
            {
                title: "patch deployments",
                resources: [role([{ ...readDeployments, verbs: ["get", "patch"] }])],
                expect: /must not allow patch on deployments/,
            },
            {
                title: "create cronjobs",
                resources: [
                    role([{ apiGroups: ["batch"], resources: ["cronjobs"], verbs: ["create"] }]),
                ],
                expect: /must not allow create on cronjobs/,
            },
        ],
    },
    {
        policy: noEscalation,
        pass: [{ title: "read-only", resources: [role([readDeployments])] }],
        fail: [
            {
                title: "escalate on any resource",
                resources: [role([{ ...readDeployments, verbs: ["escalate"] }])],
                expect: /must not allow escalate/,
            },
            {
                title: "list on pods/attach",
                resources: [
                    role([{ apiGroups: [""], resources: ["pods/attach"], verbs: ["list"] }]),
                ],
                expect: /exec\/attach into pods/,
            },
        ],
    },
    {
        policy: noCredentialsInConfig,
        pass: [
            {
                title: "plain settings",
                resources: [configMap({ LOG_LEVEL: "info", DATABASE_HOST: "postgres-primary" })],
            },
            {
                title: "env with a reference in the URL",
                resources: [
                    deployment({
                        pod: firstContainer((c) =>
                            c.env.push({
                                name: "DATABASE_URL",
                                value: "postgres://app:$(POSTGRES_PASSWORD)@postgres-primary:5432/app",
                            }),
                        ),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "URL with a password in a ConfigMap",
                resources: [
                    configMap({
                        LOG_LEVEL: "info",
                        DATABASE_HOST: "postgres://app:hunter2hunter2@postgres-primary:5432/app",
                    }),
                ],
                expect: /key DATABASE_HOST holds a URL with an embedded password/,
            },
            {
                title: "access key ID in a ConfigMap",
                resources: [configMap({ LOG_LEVEL: "info", DATABASE_HOST: fakeAccessKey })],
                expect: /holds an AWS access key ID/,
            },
            {
                title: "PEM private key in a ConfigMap",
                resources: [configMap({ LOG_LEVEL: "info", DATABASE_HOST: fakePem })],
                expect: /holds a private key/,
            },
            {
                title: "credential-named key with a literal",
                resources: [configMap({ LOG_LEVEL: "info", DB_PASSWORD: "hunter2" })],
                expect: /key DB_PASSWORD is named like a credential/,
            },
            {
                title: "env value that is a token, whatever its name",
                resources: [
                    deployment({
                        pod: firstContainer((c) =>
                            c.env.push({
                                name: "UPSTREAM",
                                value: `ghp_${"a1B2c3D4e5".repeat(4)}`,
                            }),
                        ),
                    }),
                ],
                expect: /env UPSTREAM holds a GitHub token/,
            },
        ],
    },
    {
        policy: workerSecretBindings,
        pass: [{ title: "plain URL", resources: [worker("https://api.example.com")] }],
        fail: [
            {
                title: "plain_text binding holding a URL with a password",
                resources: [worker("https://edge:s3cretpass@api.example.com")],
                expect: /binding UPSTREAM_URL holds a URL with an embedded password/,
            },
        ],
    },
    {
        policy: zoneSslStrict,
        pass: [{ title: "strict", resources: [zoneSetting("strict")] }],
        fail: [
            {
                title: "full",
                resources: [zoneSetting("full")],
                expect: /must set the SSL mode to strict \(got full\)/,
            },
        ],
    },
    {
        policy: helmChartAllowed,
        pass: [
            { title: "a reviewed chart", resources: [helm({})] },
            {
                title: "a reviewed OCI chart (repository = the reference without its last segment)",
                resources: [
                    helm({
                        name: "karpenter",
                        chart: "oci://public.ecr.aws/karpenter/karpenter",
                        version: "1.15.2",
                        repositoryOpts: undefined,
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "a chart from another repository",
                resources: [helm({ repositoryOpts: { repo: "https://charts.example.com" } })],
                expect: /must install a reviewed chart/,
            },
            {
                title: "a reviewed chart's name from another OCI registry",
                resources: [
                    helm({
                        name: "karpenter",
                        chart: "oci://registry.example.com/mirror/karpenter",
                        repositoryOpts: undefined,
                    }),
                ],
                expect: /must install a reviewed chart \(got karpenter from oci:\/\/registry\.example\.com\/mirror\)/,
            },
            {
                title: "hostNetwork in the values",
                resources: [
                    helm({
                        values: { podSecurityContext: { runAsNonRoot: true }, hostNetwork: true },
                    }),
                ],
                expect: /values must not set hostNetwork/,
            },
            {
                title: "a hostPath volume in the values",
                resources: [
                    helm({
                        values: {
                            podSecurityContext: { runAsNonRoot: true },
                            extraVolumes: [{ name: "h", hostPath: { path: "/" } }],
                        },
                    }),
                ],
                expect: /values must not set extraVolumes\[0\].hostPath/,
            },
        ],
    },
    {
        policy: configGroupObjects,
        pass: [
            { title: "a hardened Deployment", resources: [configGroup([deploymentManifest()])] },
        ],
        fail: [
            {
                title: "a privileged container inside the group",
                resources: [
                    configGroup([
                        deploymentManifest(
                            (spec) => (spec.containers[0].securityContext.privileged = true),
                        ),
                    ]),
                ],
                expect: /object Deployment api \(k8s-container-not-privileged\).*must not be privileged/,
            },
            {
                title: "the same object as YAML text",
                resources: [
                    fixture(
                        "kubernetes:yaml/v2:ConfigGroup",
                        {
                            yaml: JSON.stringify(
                                deploymentManifest((spec) => (spec.hostNetwork = true)),
                            ),
                        },
                        "manifests",
                    ),
                ],
                expect: /spec.hostNetwork must be false or unset/,
            },
        ],
    },
    {
        policy: namespacePodSecurity,
        pass: [
            {
                title: "a NamespacePatch that adds an unrelated label",
                resources: [namespacePatch({ team: "platform" })],
            },
        ],
        fail: [
            {
                title: "a NamespacePatch that lowers enforce to privileged",
                resources: [namespacePatch({ "pod-security.kubernetes.io/enforce": "privileged" })],
                expect: /NamespacePatch mcp-production must label pod-security.kubernetes.io\/enforce=restricted/,
            },
            {
                title: "a NamespacePatch that removes the warn label",
                resources: [namespacePatch({ "pod-security.kubernetes.io/warn": null })],
                expect: /warn=restricted \(got none\)/,
            },
        ],
    },
    {
        policy: notPrivileged,
        pass: [
            {
                title: "a DeploymentPatch with a hardened template",
                resources: [
                    fixture(
                        k8s.apps.v1.DeploymentPatch as unknown as { __pulumiType: string },
                        deploymentManifest(),
                        "api-patch",
                    ),
                ],
            },
        ],
        fail: [
            {
                title: "a DeploymentPatch that makes the container privileged",
                resources: [
                    fixture(
                        k8s.apps.v1.DeploymentPatch as unknown as { __pulumiType: string },
                        deploymentManifest(
                            (spec) => (spec.containers[0].securityContext.privileged = true),
                        ),
                        "api-patch",
                    ),
                ],
                expect: /must not be privileged/,
            },
        ],
    },
    {
        policy: runAsUserNotRoot,
        pass: [
            {
                title: "user namespace, non-root UID",
                resources: [deployment({ pod: (p) => (p.spec.hostUsers = false) })],
            },
        ],
        fail: [
            {
                title: "user namespace, runAsUser 0",
                resources: [
                    deployment({
                        pod: (p) => {
                            p.spec.hostUsers = false;
                            p.spec.securityContext.runAsUser = 0;
                        },
                    }),
                ],
                expect: /spec.securityContext.runAsUser must not be 0/,
            },
        ],
    },
    {
        policy: runAsNonRoot,
        pass: [
            {
                title: "user namespace, runAsNonRoot true",
                resources: [deployment({ pod: (p) => (p.spec.hostUsers = false) })],
            },
        ],
        fail: [
            {
                title: "user namespace, container runAsNonRoot false",
                resources: [
                    deployment({
                        pod: (p) => {
                            p.spec.hostUsers = false;
                            p.spec.containers[0].securityContext.runAsNonRoot = false;
                        },
                    }),
                ],
                expect: /runAsNonRoot must be true \(got false\)/,
            },
        ],
    },
];
