/**
 * The restricted Pod Security Standard, checked on a pod spec the way the admission
 * controller does (kubernetes/pod-security-admission `policy/check_*.go`, summarised in
 * ../shared/notes/policy.md §1): every baseline control plus the restricted ones. Returns one
 * message per violated control, naming the field; an empty list means the pod is admitted in
 * a namespace labelled `pod-security.kubernetes.io/enforce: restricted`.
 */

type Obj = Record<string, any>;

const baselineCapabilities = new Set([
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
]);
const allowedVolumeTypes = new Set([
    "configMap",
    "downwardAPI",
    "emptyDir",
    "projected",
    "secret",
    "csi",
    "persistentVolumeClaim",
    "ephemeral",
    "image",
]);
const allowedSysctls = new Set([
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
]);
const allowedSeLinuxTypes = new Set([
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
]);

/** The pod spec inside a workload manifest (Pod, Deployment, StatefulSet, Job, CronJob…). */
export function podSpecOf(manifest: Obj): Obj | undefined {
    switch (manifest.kind) {
        case "Pod":
            return manifest.spec;
        case "CronJob":
            return manifest.spec?.jobTemplate?.spec?.template?.spec;
        case "Deployment":
        case "StatefulSet":
        case "DaemonSet":
        case "ReplicaSet":
        case "Job":
            return manifest.spec?.template?.spec;
        default:
            return undefined;
    }
}

export function restrictedViolations(pod: Obj): string[] {
    const v: string[] = [];
    const podCtx: Obj = pod.securityContext ?? {};
    const containers: [string, Obj][] = [
        ...(pod.containers ?? []).map((c: Obj) => [`containers[${c.name}]`, c]),
        ...(pod.initContainers ?? []).map((c: Obj) => [`initContainers[${c.name}]`, c]),
        ...(pod.ephemeralContainers ?? []).map((c: Obj) => [`ephemeralContainers[${c.name}]`, c]),
    ];

    // Baseline.
    for (const field of ["hostNetwork", "hostPID", "hostIPC"]) {
        if (pod[field] === true) v.push(`hostNamespaces: spec.${field} must be unset or false`);
    }
    if (podCtx.windowsOptions?.hostProcess === true) {
        v.push("windowsHostProcess: securityContext.windowsOptions.hostProcess must not be true");
    }
    for (const sysctl of podCtx.sysctls ?? []) {
        if (!allowedSysctls.has(sysctl.name)) v.push(`sysctls: ${sysctl.name} is not allowed`);
    }
    for (const volume of pod.volumes ?? []) {
        const types = Object.keys(volume).filter((k) => k !== "name");
        if (types.includes("hostPath")) v.push(`hostPathVolumes: volume ${volume.name}`);
        for (const type of types) {
            if (!allowedVolumeTypes.has(type)) {
                v.push(`restrictedVolumes: volume ${volume.name} has type ${type}`);
            }
        }
    }
    const checkSeccomp = (where: string, ctx: Obj | undefined) => {
        const type = ctx?.seccompProfile?.type;
        if (type !== undefined && type !== "RuntimeDefault" && type !== "Localhost") {
            v.push(`seccompProfile: ${where} type ${type} must be RuntimeDefault or Localhost`);
        }
    };
    const checkSeLinux = (where: string, ctx: Obj | undefined) => {
        const se = ctx?.seLinuxOptions;
        if (!se) return;
        if (!allowedSeLinuxTypes.has(se.type ?? "")) v.push(`seLinuxOptions: ${where} type`);
        if (se.user || se.role) v.push(`seLinuxOptions: ${where} user/role must be empty`);
    };
    const checkAppArmor = (where: string, ctx: Obj | undefined) => {
        const type = ctx?.appArmorProfile?.type;
        if (type !== undefined && type !== "RuntimeDefault" && type !== "Localhost") {
            v.push(`appArmorProfile: ${where} type ${type}`);
        }
    };
    checkSeccomp("pod", podCtx);
    checkSeLinux("pod", podCtx);
    checkAppArmor("pod", podCtx);
    if (podCtx.runAsUser === 0) v.push("runAsUser: pod runAsUser must not be 0");
    if (podCtx.seccompProfile?.type === undefined) {
        for (const [where, c] of containers) {
            if (c.securityContext?.seccompProfile?.type === undefined) {
                v.push(
                    `seccompProfile: ${where} must set RuntimeDefault or Localhost (or the pod)`,
                );
            }
        }
    }

    for (const [where, c] of containers) {
        const ctx: Obj = c.securityContext ?? {};
        if (ctx.privileged === true) v.push(`privileged: ${where}`);
        if (ctx.windowsOptions?.hostProcess === true) v.push(`windowsHostProcess: ${where}`);
        if (ctx.procMount !== undefined && ctx.procMount !== "Default") {
            v.push(`procMount: ${where} must be Default`);
        }
        checkSeccomp(where, ctx);
        checkSeLinux(where, ctx);
        checkAppArmor(where, ctx);
        for (const p of c.ports ?? []) {
            if (p.hostPort !== undefined && p.hostPort !== 0) v.push(`hostPorts: ${where}`);
        }
        for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
            const h = c[probe]?.httpGet?.host ?? c[probe]?.tcpSocket?.host;
            if (h) v.push(`hostProbesAndHostLifecycle: ${where}.${probe}.host must be empty`);
        }
        const add: string[] = ctx.capabilities?.add ?? [];
        for (const cap of add) {
            if (!baselineCapabilities.has(cap))
                v.push(`capabilities_baseline: ${where} adds ${cap}`);
            else if (cap !== "NET_BIND_SERVICE") {
                v.push(`capabilities_restricted: ${where} may add only NET_BIND_SERVICE`);
            }
        }
        // Restricted.
        if (ctx.allowPrivilegeEscalation !== false) {
            v.push(`allowPrivilegeEscalation: ${where} must set it to false`);
        }
        if (!(ctx.capabilities?.drop ?? []).includes("ALL")) {
            v.push(`capabilities_restricted: ${where} must drop ALL`);
        }
        if (ctx.runAsNonRoot === false) v.push(`runAsNonRoot: ${where} sets it to false`);
        if (ctx.runAsNonRoot === undefined && podCtx.runAsNonRoot !== true) {
            v.push(`runAsNonRoot: ${where} (or the pod) must set runAsNonRoot: true`);
        }
        if (ctx.runAsUser === 0) v.push(`runAsUser: ${where} must not be 0`);
    }
    return v;
}
