import * as k8s from "@pulumi/kubernetes";
import {
    appArmor,
    capabilities,
    hostNamespaces,
    hostPorts,
    noPrivilegeEscalation,
    notPrivileged,
    probeHost,
    procMount,
    runAsNonRoot,
    runAsUserNotRoot,
    seccomp,
    seLinux,
    sysctls,
    windowsHostProcess,
} from "../../../policies/kubernetes-pod-security";
import {
    hostPathPolicy,
    restrictedVolumeTypesPolicy,
} from "../../../policies/kubernetes-host-path";
import type { PolicyCases } from "../lib/cases";
import { deployment, firstContainer, k8sObject, workload } from "../lib/fixtures";

const hardened = { title: "hardened Deployment", resources: [deployment()] };

/** Cases of the restricted Pod Security Standard policies. */
export const podSecurityCases: PolicyCases[] = [
    {
        policy: hostNamespaces,
        pass: [
            hardened,
            {
                title: "hostNetwork: false",
                resources: [deployment({ pod: (p) => (p.spec.hostNetwork = false) })],
            },
        ],
        fail: [
            {
                title: "hostNetwork",
                resources: [deployment({ pod: (p) => (p.spec.hostNetwork = true) })],
                expect: /spec.hostNetwork must be false/,
            },
            {
                title: "hostPID on a DaemonSet",
                resources: [workload("DaemonSet", { pod: (p) => (p.spec.hostPID = true) })],
                expect: /DaemonSet mcp-production\/api: spec.hostPID/,
            },
            {
                title: "hostIPC on a CronJob",
                resources: [workload("CronJob", { pod: (p) => (p.spec.hostIPC = true) })],
                expect: /CronJob .*hostIPC/,
            },
        ],
    },
    {
        policy: notPrivileged,
        pass: [hardened],
        fail: [
            {
                title: "privileged container",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.securityContext.privileged = true)),
                    }),
                ],
                expect: /container "app" must not be privileged/,
            },
            {
                title: "privileged init container of a Job",
                resources: [
                    workload("Job", {
                        pod: (p) =>
                            (p.spec.initContainers = [
                                {
                                    name: "init",
                                    image: "busybox:1.36",
                                    securityContext: { privileged: true },
                                },
                            ]),
                    }),
                ],
                expect: /initContainer "init" must not be privileged/,
            },
        ],
    },
    {
        policy: capabilities,
        pass: [
            hardened,
            {
                title: "adds NET_BIND_SERVICE only",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.capabilities.add = ["NET_BIND_SERVICE"]),
                        ),
                    }),
                ],
            },
            {
                title: "Windows pod without drop (exempt)",
                resources: [
                    deployment({
                        pod: (p) => {
                            p.spec.os = { name: "windows" };
                            delete p.spec.containers[0].securityContext.capabilities;
                        },
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "no drop ALL",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.capabilities = { drop: ["NET_RAW"] }),
                        ),
                    }),
                ],
                expect: /must drop ALL capabilities/,
            },
            {
                title: "adds SYS_ADMIN",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.capabilities.add = ["SYS_ADMIN"]),
                        ),
                    }),
                ],
                expect: /must not add capabilities SYS_ADMIN/,
            },
            {
                title: "adds a baseline-allowed CHOWN",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.capabilities.add = ["CHOWN"]),
                        ),
                    }),
                ],
                expect: /CHOWN/,
            },
        ],
    },
    {
        policy: hostPorts,
        pass: [
            hardened,
            {
                title: "hostPort 0",
                resources: [deployment({ pod: firstContainer((c) => (c.ports[0].hostPort = 0)) })],
            },
        ],
        fail: [
            {
                title: "hostPort 8080",
                resources: [
                    deployment({ pod: firstContainer((c) => (c.ports[0].hostPort = 8080)) }),
                ],
                expect: /must not set hostPort 8080/,
            },
        ],
    },
    {
        policy: appArmor,
        pass: [
            hardened,
            {
                title: "RuntimeDefault profile",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.appArmorProfile = { type: "RuntimeDefault" }),
                    }),
                ],
            },
            {
                title: "localhost annotation",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.metadata.annotations = {
                                "container.apparmor.security.beta.kubernetes.io/app":
                                    "localhost/mcp",
                            }),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "Unconfined pod profile",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.appArmorProfile = { type: "Unconfined" }),
                    }),
                ],
                expect: /appArmorProfile.type must be RuntimeDefault or Localhost \(got Unconfined\)/,
            },
            {
                title: "Unconfined container profile",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.appArmorProfile = { type: "Unconfined" }),
                        ),
                    }),
                ],
                expect: /container "app" appArmorProfile/,
            },
            {
                title: "unconfined annotation",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.metadata.annotations = {
                                "container.apparmor.security.beta.kubernetes.io/app": "unconfined",
                            }),
                    }),
                ],
                expect: /annotation container.apparmor.security.beta.kubernetes.io\/app must be runtime\/default/,
            },
        ],
    },
    {
        policy: seLinux,
        pass: [
            hardened,
            {
                title: "container_t type",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.seLinuxOptions = {
                                type: "container_t",
                                level: "s0:c123,c456",
                            }),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "spc_t type",
                resources: [
                    deployment({
                        pod: (p) => (p.spec.securityContext.seLinuxOptions = { type: "spc_t" }),
                    }),
                ],
                expect: /seLinuxOptions.type must be empty or a container_\* type/,
            },
            {
                title: "custom user on a container",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.seLinuxOptions = { user: "system_u" }),
                        ),
                    }),
                ],
                expect: /seLinuxOptions.user must be empty/,
            },
        ],
    },
    {
        policy: procMount,
        pass: [
            hardened,
            {
                title: "Default",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.securityContext.procMount = "Default")),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "Unmasked",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.securityContext.procMount = "Unmasked")),
                    }),
                ],
                expect: /procMount must be Default \(got Unmasked\)/,
            },
        ],
    },
    {
        policy: seccomp,
        pass: [
            hardened,
            {
                title: "set on every container instead of the pod",
                resources: [
                    deployment({ pod: (p) => delete p.spec.securityContext.seccompProfile }),
                ],
            },
        ],
        fail: [
            {
                title: "Unconfined on the pod",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.seccompProfile = { type: "Unconfined" }),
                    }),
                ],
                expect: /seccompProfile.type must be RuntimeDefault or Localhost \(got Unconfined\)/,
            },
            {
                title: "set nowhere",
                resources: [
                    deployment({
                        pod: (p) => {
                            delete p.spec.securityContext.seccompProfile;
                            delete p.spec.containers[0].securityContext.seccompProfile;
                        },
                    }),
                ],
                expect: /container "app" must run with seccompProfile RuntimeDefault/,
            },
        ],
    },
    {
        policy: sysctls,
        pass: [
            hardened,
            {
                title: "safe sysctl",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.sysctls = [
                                { name: "net.ipv4.tcp_keepalive_time", value: "60" },
                            ]),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "unsafe sysctl",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.sysctls = [
                                { name: "kernel.msgmax", value: "65536" },
                            ]),
                    }),
                ],
                expect: /must not set kernel.msgmax/,
            },
            {
                title: "a safe sysctl removed from the allowed list by config",
                resources: [
                    deployment({
                        pod: (p) =>
                            (p.spec.securityContext.sysctls = [
                                { name: "net.ipv4.tcp_keepalive_time", value: "60" },
                            ]),
                    }),
                ],
                config: { allowedSysctls: [] },
                expect: /net.ipv4.tcp_keepalive_time/,
            },
        ],
    },
    {
        policy: restrictedVolumeTypesPolicy,
        pass: [
            hardened,
            {
                title: "configMap, secret, projected, PVC, ephemeral",
                resources: [
                    deployment({
                        pod: (p) =>
                            p.spec.volumes.push(
                                { name: "config", configMap: { name: "cfg" } },
                                { name: "creds", secret: { secretName: "s" } },
                                { name: "token", projected: { sources: [] } },
                                { name: "data", persistentVolumeClaim: { claimName: "data" } },
                                {
                                    name: "scratch",
                                    ephemeral: { volumeClaimTemplate: { spec: {} } },
                                },
                            ),
                    }),
                ],
            },
        ],
        fail: [
            {
                title: "nfs volume",
                resources: [
                    deployment({
                        pod: (p) =>
                            p.spec.volumes.push({
                                name: "share",
                                nfs: { server: "10.0.0.5", path: "/export" },
                            }),
                    }),
                ],
                expect: /must not use volume type nfs/,
            },
            {
                title: "awsElasticBlockStore volume",
                resources: [
                    deployment({
                        pod: (p) =>
                            p.spec.volumes.push({
                                name: "ebs",
                                awsElasticBlockStore: { volumeID: "vol-1" },
                            }),
                    }),
                ],
                expect: /awsElasticBlockStore/,
            },
        ],
    },
    {
        policy: noPrivilegeEscalation,
        pass: [hardened],
        fail: [
            {
                title: "unset",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => delete c.securityContext.allowPrivilegeEscalation,
                        ),
                    }),
                ],
                expect: /must set securityContext.allowPrivilegeEscalation: false/,
            },
            {
                title: "true",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.securityContext.allowPrivilegeEscalation = true),
                        ),
                    }),
                ],
            },
        ],
    },
    {
        policy: runAsNonRoot,
        pass: [
            hardened,
            {
                title: "pod-level only",
                resources: [
                    deployment({
                        pod: firstContainer((c) => delete c.securityContext.runAsNonRoot),
                    }),
                ],
            },
        ],
        fail: [
            {
                // A user-namespaced pod gets no exception: root inside still owns its mounts.
                title: "user namespaces (hostUsers: false) with runAsNonRoot false",
                resources: [
                    deployment({
                        pod: (p) => {
                            p.spec.hostUsers = false;
                            p.spec.securityContext.runAsNonRoot = false;
                        },
                    }),
                ],
                expect: /spec.securityContext.runAsNonRoot must be true \(got false\)/,
            },
            {
                title: "set nowhere",
                resources: [
                    deployment({
                        pod: (p) => {
                            delete p.spec.securityContext.runAsNonRoot;
                            delete p.spec.containers[0].securityContext.runAsNonRoot;
                        },
                    }),
                ],
                expect: /container "app" must run as non-root/,
            },
            {
                title: "container overrides with false",
                resources: [
                    deployment({
                        pod: firstContainer((c) => (c.securityContext.runAsNonRoot = false)),
                    }),
                ],
                expect: /runAsNonRoot must be true \(got false\)/,
            },
        ],
    },
    {
        policy: runAsUserNotRoot,
        pass: [hardened],
        fail: [
            {
                title: "pod runAsUser 0",
                resources: [deployment({ pod: (p) => (p.spec.securityContext.runAsUser = 0) })],
                expect: /spec.securityContext.runAsUser must not be 0/,
            },
            {
                title: "container runAsUser 0",
                resources: [
                    deployment({ pod: firstContainer((c) => (c.securityContext.runAsUser = 0)) }),
                ],
                expect: /container "app" securityContext.runAsUser must not be 0/,
            },
        ],
    },
    {
        policy: windowsHostProcess,
        pass: [hardened],
        fail: [
            {
                title: "hostProcess",
                resources: [
                    deployment({
                        pod: (p) => (p.spec.securityContext.windowsOptions = { hostProcess: true }),
                    }),
                ],
                expect: /hostProcess must be false/,
            },
        ],
    },
    {
        policy: probeHost,
        pass: [hardened],
        fail: [
            {
                title: "liveness probe to another host",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) => (c.livenessProbe.httpGet.host = "169.254.169.254"),
                        ),
                    }),
                ],
                expect: /livenessProbe must not set host/,
            },
            {
                title: "preStop to another host",
                resources: [
                    deployment({
                        pod: firstContainer(
                            (c) =>
                                (c.lifecycle = {
                                    preStop: { tcpSocket: { host: "10.0.0.1", port: 80 } },
                                }),
                        ),
                    }),
                ],
                expect: /lifecycle.preStop/,
            },
        ],
    },
    {
        policy: hostPathPolicy,
        pass: [
            hardened,
            {
                title: "exempt namespace, exact path, read-only",
                resources: [
                    workload("DaemonSet", {
                        name: "log-collector",
                        namespace: "logging",
                        pod: (p) => {
                            p.spec.volumes.push({
                                name: "varlog",
                                hostPath: { path: "/var/log/containers", type: "Directory" },
                            });
                            p.spec.containers[0].volumeMounts.push({
                                name: "varlog",
                                mountPath: "/var/log/containers",
                                readOnly: true,
                            });
                        },
                    }),
                ],
                config: {
                    exemptions: [
                        {
                            namespace: "logging",
                            paths: ["/var/log/containers", "/var/log/pods"],
                            reason: "log collector",
                        },
                    ],
                },
            },
        ],
        fail: [
            {
                title: "hostPath without exemption",
                resources: [
                    deployment({
                        pod: (p) =>
                            p.spec.volumes.push({
                                name: "docker",
                                hostPath: { path: "/var/run/docker.sock" },
                            }),
                    }),
                ],
                expect: /volume "docker" must not mount host path \/var\/run\/docker.sock/,
            },
            {
                title: "hostPath PersistentVolume",
                resources: [
                    k8sObject(
                        k8s.core.v1.PersistentVolume,
                        "v1",
                        "PersistentVolume",
                        { name: "node-disk" },
                        {
                            spec: {
                                capacity: { storage: "10Gi" },
                                hostPath: { path: "/mnt/data" },
                            },
                        },
                    ),
                ],
                expect: /PersistentVolume node-disk: spec.hostPath must not be used/,
            },
        ],
    },
];
