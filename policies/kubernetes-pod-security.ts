import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configOf } from "./lib/config";
import { podPolicy, pss } from "./lib/define";
import { containersOf, describeContainer, isWindowsPod } from "./lib/pods";
import { hostPathPolicy, restrictedVolumeTypesPolicy } from "./kubernetes-host-path";

/**
 * The restricted Pod Security Standard (which includes baseline), one policy per control,
 * on every pod-bearing kind. Control IDs follow the pod-security-admission source
 * (`policy/check_*.go`); see docs/policies.md for each control's fix.
 */

const restrictedFix =
    "Use restrictedPodSecurityContext() / restrictedContainerSecurityContext() from components/kit/pod-security.ts.";

export const hostNamespaces: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-no-host-namespaces",
    description:
        "Checks whether a pod shares the node's network, PID or IPC namespace (hostNetwork, hostPID, hostIPC).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: pss("hostNamespaces", "baseline"),
    tags: ["pss", "cis-eks-4.2.2", "cis-eks-4.2.3", "cis-eks-4.2.4"],
    remediationSteps:
        "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false).",
    check: (pod, report) => {
        for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
            if (pod.spec[field] === true) report(`spec.${field} must be false or unset.`);
        }
    },
});

export const notPrivileged: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-not-privileged",
    description: "Checks whether any container runs privileged (securityContext.privileged: true).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: pss("privileged", "baseline"),
    tags: ["pss", "cis-eks-4.2.1"],
    remediationSteps: `Set securityContext.privileged: false (or leave it unset) on every container. ${restrictedFix}`,
    check: (pod, report) => {
        for (const ref of containersOf(pod.spec)) {
            if (ref.container.securityContext?.privileged === true) {
                report(
                    `${describeContainer(ref)} must not be privileged (securityContext.privileged: false).`,
                );
            }
        }
    },
});

const allowedAddedCapabilities = ["NET_BIND_SERVICE"];

export const capabilities: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-capabilities-restricted",
    description:
        "Checks whether every container drops ALL Linux capabilities and adds back at most NET_BIND_SERVICE.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("capabilities_restricted"),
    tags: ["pss"],
    remediationSteps: `Set securityContext.capabilities: { drop: ["ALL"] } and add nothing but NET_BIND_SERVICE. ${restrictedFix}`,
    check: (pod, report) => {
        const windows = isWindowsPod(pod.spec);
        for (const ref of containersOf(pod.spec)) {
            const caps = ref.container.securityContext?.capabilities;
            const added = (caps?.add ?? []).filter(
                (cap) => !allowedAddedCapabilities.includes(cap),
            );
            if (added.length > 0) {
                report(
                    `${describeContainer(ref)} must not add capabilities ${added.join(", ")} (only NET_BIND_SERVICE may be added).`,
                );
            }
            if (!windows && !(caps?.drop ?? []).includes("ALL")) {
                report(
                    `${describeContainer(ref)} must drop ALL capabilities (securityContext.capabilities.drop: ["ALL"]).`,
                );
            }
        }
    },
});

export const hostPorts: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-no-host-ports",
    description: "Checks whether any container binds a port on the node (ports[].hostPort).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("hostPorts", "baseline"),
    tags: ["pss"],
    remediationSteps:
        "Remove hostPort from the container ports; expose the pod through a Service instead.",
    check: (pod, report) => {
        for (const ref of containersOf(pod.spec)) {
            for (const port of ref.container.ports ?? []) {
                if (port.hostPort !== undefined && port.hostPort !== 0) {
                    report(`${describeContainer(ref)} must not set hostPort ${port.hostPort}.`);
                }
            }
        }
    },
});

const appArmorTypes = ["RuntimeDefault", "Localhost"];
const appArmorAnnotation = "container.apparmor.security.beta.kubernetes.io/";

export const appArmor: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-apparmor-profile",
    description:
        "Checks whether a pod or container sets an AppArmor profile other than RuntimeDefault or Localhost (field or beta annotation).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("appArmorProfile", "baseline"),
    tags: ["pss"],
    remediationSteps:
        "Leave appArmorProfile unset or use { type: RuntimeDefault } (or Localhost); remove Unconfined annotations.",
    check: (pod, report) => {
        const podType = pod.spec.securityContext?.appArmorProfile?.type;
        if (podType !== undefined && !appArmorTypes.includes(podType)) {
            report(
                `spec.securityContext.appArmorProfile.type must be RuntimeDefault or Localhost (got ${podType}).`,
            );
        }
        for (const ref of containersOf(pod.spec)) {
            const type = ref.container.securityContext?.appArmorProfile?.type;
            if (type !== undefined && !appArmorTypes.includes(type)) {
                report(
                    `${describeContainer(ref)} appArmorProfile.type must be RuntimeDefault or Localhost (got ${type}).`,
                );
            }
        }
        for (const [key, value] of Object.entries(pod.metadata.annotations ?? {})) {
            if (!key.startsWith(appArmorAnnotation)) continue;
            const ok =
                value === "" ||
                value === "runtime/default" ||
                String(value).startsWith("localhost/");
            if (!ok)
                report(
                    `annotation ${key} must be runtime/default or localhost/<profile> (got ${value}).`,
                );
        }
    },
});

const seLinuxTypes = [
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

export const seLinux: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-selinux-options",
    description:
        "Checks whether a pod or container sets SELinux options beyond the container types PSS allows (custom user, role or type).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("seLinuxOptions", "baseline"),
    tags: ["pss"],
    remediationSteps:
        "Remove seLinuxOptions.user and .role; use no type or container_t/container_init_t/container_kvm_t/container_engine_t.",
    check: (pod, report) => {
        const targets: [string, { type?: string; user?: string; role?: string } | undefined][] = [
            ["spec.securityContext", pod.spec.securityContext?.seLinuxOptions],
            ...containersOf(pod.spec).map(
                (ref) =>
                    [describeContainer(ref), ref.container.securityContext?.seLinuxOptions] as [
                        string,
                        typeof undefined | { type?: string },
                    ],
            ),
        ];
        for (const [where, options] of targets) {
            if (!options) continue;
            if (options.type !== undefined && !seLinuxTypes.includes(options.type)) {
                report(
                    `${where} seLinuxOptions.type must be empty or a container_* type PSS allows (got ${options.type}).`,
                );
            }
            if (options.user)
                report(`${where} seLinuxOptions.user must be empty (got ${options.user}).`);
            if (options.role)
                report(`${where} seLinuxOptions.role must be empty (got ${options.role}).`);
        }
    },
});

export const procMount: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-proc-mount-default",
    description:
        "Checks whether any container unmasks /proc (securityContext.procMount other than Default).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("procMount_restricted"),
    tags: ["pss"],
    remediationSteps: "Remove securityContext.procMount or set it to Default.",
    check: (pod, report) => {
        for (const ref of containersOf(pod.spec)) {
            const value = ref.container.securityContext?.procMount;
            if (value !== undefined && value !== "Default") {
                report(
                    `${describeContainer(ref)} securityContext.procMount must be Default (got ${value}).`,
                );
            }
        }
    },
});

const seccompTypes = ["RuntimeDefault", "Localhost"];

export const seccomp: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-seccomp-profile",
    description:
        "Checks whether a pod runs with the RuntimeDefault or a Localhost seccomp profile (set on the pod, or on every container), and never Unconfined.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("seccompProfile_restricted"),
    tags: ["pss"],
    remediationSteps: `Set spec.securityContext.seccompProfile: { type: RuntimeDefault }. ${restrictedFix}`,
    check: (pod, report) => {
        if (isWindowsPod(pod.spec)) return;
        const podType = pod.spec.securityContext?.seccompProfile?.type;
        const podOk = podType !== undefined && seccompTypes.includes(podType);
        if (podType !== undefined && !podOk) {
            report(
                `spec.securityContext.seccompProfile.type must be RuntimeDefault or Localhost (got ${podType}).`,
            );
        }
        for (const ref of containersOf(pod.spec)) {
            const type = ref.container.securityContext?.seccompProfile?.type;
            if (type !== undefined && !seccompTypes.includes(type)) {
                report(
                    `${describeContainer(ref)} seccompProfile.type must be RuntimeDefault or Localhost (got ${type}).`,
                );
            } else if (type === undefined && !podOk) {
                report(
                    `${describeContainer(ref)} must run with seccompProfile RuntimeDefault (set spec.securityContext.seccompProfile.type: RuntimeDefault).`,
                );
            }
        }
    },
});

/** Sysctls PSS baseline allows, up to Kubernetes 1.32 (our clusters run 1.33). */
const safeSysctls = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

const sysctlSchema = {
    properties: {
        allowedSysctls: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                "Sysctl names pods may set (PSS baseline's safe set for the cluster version).",
            default: safeSysctls,
        },
    },
};

export const sysctls: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-safe-sysctls",
    description: "Checks whether a pod sets only the namespaced sysctls PSS baseline deems safe.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("sysctls", "baseline"),
    tags: ["pss"],
    configSchema: sysctlSchema,
    remediationSteps:
        "Remove the sysctl from spec.securityContext.sysctls, or tune the node instead.",
    check: (pod, report, args) => {
        const { allowedSysctls } = configOf<{ allowedSysctls: string[] }>(sysctlSchema, args);
        for (const sysctl of pod.spec.securityContext?.sysctls ?? []) {
            if (!allowedSysctls.includes(sysctl.name)) {
                report(
                    `spec.securityContext.sysctls must not set ${sysctl.name} (not in the safe set).`,
                );
            }
        }
    },
});

export const noPrivilegeEscalation: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-no-privilege-escalation",
    description:
        "Checks whether every container sets securityContext.allowPrivilegeEscalation: false.",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("allowPrivilegeEscalation"),
    tags: ["pss", "cis-eks-4.2.5"],
    remediationSteps: `Set securityContext.allowPrivilegeEscalation: false on every container. ${restrictedFix}`,
    check: (pod, report) => {
        if (isWindowsPod(pod.spec)) return;
        for (const ref of containersOf(pod.spec)) {
            if (ref.container.securityContext?.allowPrivilegeEscalation !== false) {
                report(
                    `${describeContainer(ref)} must set securityContext.allowPrivilegeEscalation: false.`,
                );
            }
        }
    },
});

/*
 * A user-namespaced pod (hostUsers: false) maps its root to an unprivileged host UID, and
 * PSS from 1.35 lets it run as root. The pack does not: UID 0 inside the namespace still
 * owns every file the pod mounts and every capability granted inside it, and the mapping
 * depends on the node's runtime. So neither rule below has a hostUsers exception.
 */

export const runAsNonRoot: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-run-as-non-root",
    description:
        "Checks whether a pod's containers must run as a non-root user (runAsNonRoot: true on the pod or on every container, never false).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("runAsNonRoot"),
    tags: ["pss", "hardening-baseline"],
    remediationSteps: `Set spec.securityContext.runAsNonRoot: true and a non-zero runAsUser. ${restrictedFix}`,
    check: (pod, report) => {
        const podValue = pod.spec.securityContext?.runAsNonRoot;
        if (podValue === false)
            report("spec.securityContext.runAsNonRoot must be true (got false).");
        for (const ref of containersOf(pod.spec)) {
            const value = ref.container.securityContext?.runAsNonRoot;
            if (value === false) {
                report(
                    `${describeContainer(ref)} securityContext.runAsNonRoot must be true (got false).`,
                );
            } else if (value === undefined && podValue !== true) {
                report(
                    `${describeContainer(ref)} must run as non-root (set spec.securityContext.runAsNonRoot: true).`,
                );
            }
        }
    },
});

export const runAsUserNotRoot: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-run-as-user-not-root",
    description: "Checks whether a pod or container sets runAsUser to 0 (root).",
    enforcementLevel: "mandatory",
    severity: "high",
    framework: pss("runAsUser"),
    tags: ["pss", "hardening-baseline"],
    remediationSteps:
        "Set runAsUser to a non-zero UID (the platform uses 10001) on the pod and containers.",
    check: (pod, report) => {
        if (pod.spec.securityContext?.runAsUser === 0)
            report("spec.securityContext.runAsUser must not be 0.");
        for (const ref of containersOf(pod.spec)) {
            if (ref.container.securityContext?.runAsUser === 0) {
                report(`${describeContainer(ref)} securityContext.runAsUser must not be 0.`);
            }
        }
    },
});

export const windowsHostProcess: ResourceValidationPolicy = podPolicy({
    name: "k8s-pod-no-windows-host-process",
    description:
        "Checks whether a pod or container runs as a Windows HostProcess (full node access).",
    enforcementLevel: "mandatory",
    severity: "critical",
    framework: pss("windowsHostProcess", "baseline"),
    tags: ["pss"],
    remediationSteps: "Remove windowsOptions.hostProcess (or set it to false).",
    check: (pod, report) => {
        if (pod.spec.securityContext?.windowsOptions?.hostProcess === true) {
            report("spec.securityContext.windowsOptions.hostProcess must be false or unset.");
        }
        for (const ref of containersOf(pod.spec)) {
            if (ref.container.securityContext?.windowsOptions?.hostProcess === true) {
                report(
                    `${describeContainer(ref)} windowsOptions.hostProcess must be false or unset.`,
                );
            }
        }
    },
});

export const probeHost: ResourceValidationPolicy = podPolicy({
    name: "k8s-container-probes-no-host",
    description:
        "Checks whether a probe or lifecycle hook targets another host (httpGet.host / tcpSocket.host), which lets the kubelet reach arbitrary addresses.",
    enforcementLevel: "mandatory",
    severity: "medium",
    framework: pss("hostProbesAndHostLifecycle", "baseline"),
    tags: ["pss"],
    remediationSteps:
        "Remove host from probe and lifecycle httpGet/tcpSocket handlers; probes target the pod IP.",
    check: (pod, report) => {
        type Handler = { httpGet?: { host?: string }; tcpSocket?: { host?: string } } | undefined;
        for (const ref of containersOf(pod.spec)) {
            const c = ref.container;
            const handlers: [string, Handler][] = [
                ["livenessProbe", c.livenessProbe],
                ["readinessProbe", c.readinessProbe],
                ["startupProbe", c.startupProbe],
                ["lifecycle.postStart", c.lifecycle?.postStart],
                ["lifecycle.preStop", c.lifecycle?.preStop],
            ];
            for (const [field, handler] of handlers) {
                const host = handler?.httpGet?.host || handler?.tcpSocket?.host;
                if (host)
                    report(`${describeContainer(ref)} ${field} must not set host (got ${host}).`);
            }
        }
    },
});

export const podSecurityPolicies: ResourceValidationPolicy[] = [
    hostNamespaces,
    notPrivileged,
    capabilities,
    hostPathPolicy,
    hostPorts,
    appArmor,
    seLinux,
    procMount,
    seccomp,
    sysctls,
    restrictedVolumeTypesPolicy,
    noPrivilegeEscalation,
    runAsNonRoot,
    runAsUserNotRoot,
    windowsHostProcess,
    probeHost,
];
