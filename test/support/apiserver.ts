import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { builtEngine, goModuleDir, pinnedGoModule, systemTool } from "./engines";
import { KubeClient } from "./kube-client";
import { createPki } from "./pki";
import { freePort } from "./free-port";

/**
 * A real Kubernetes control plane for tests, on loopback only: etcd (Debian's etcd-server),
 * kube-apiserver, kube-controller-manager and kube-scheduler (built by `npm run engines`),
 * and optionally kwok faking a few Nodes so Deployments become Ready and Jobs' Pods Succeed.
 *
 * Everything lives in a fresh temp dir: certificates and the service-account signing key are
 * generated at start, the admin kubeconfig (client certificate in system:masters) is written
 * there, ports are ephemeral. The apiserver runs its default admission plugins, which include
 * PodSecurity; privileged containers are allowed, as on EKS, so that PodSecurity is what
 * rejects an insecure Pod in a restricted namespace.
 */
export interface ControlPlane {
    readonly dir: string;
    readonly server: string;
    readonly kubeconfig: string;
    readonly client: KubeClient;
    /** Names of the fake Nodes kwok manages (empty without kwok). */
    readonly nodes: readonly string[];
    stop(): Promise<void>;
}

export interface ControlPlaneOptions {
    /** Start kwok and create this many fake Nodes. @default 0 (no kwok) */
    readonly fakeNodes?: number;
    /**
     * Fake Nodes with their own labels and taints, besides `fakeNodes` plain ones (kwok
     * starts when there is any). @default []
     */
    readonly nodes?: readonly FakeNodeSpec[];
    /** More kwok Stage documents (YAML), after kwok's own Node and Pod stages. @default [] */
    readonly stages?: readonly string[];
}

/** A fake Node: its name, extra labels and taints. */
export interface FakeNodeSpec {
    readonly name: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly taints?: readonly { key: string; value?: string; effect: string }[];
}

/** kwok's own stage definitions, from the module version dev/engines/kwok builds. */
const kwokModule = () => pinnedGoModule("kwok", "sigs.k8s.io/kwok");
const kwokStages = [
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat/node-heartbeat.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
];

interface Proc {
    readonly name: string;
    readonly child: ChildProcess;
    readonly log: string;
}

function start(dir: string, name: string, bin: string, args: string[]): Proc {
    const log = path.join(dir, `${name}.log`);
    const fd = fs.openSync(log, "a");
    const child = spawn(bin, args, { cwd: dir, stdio: ["ignore", fd, fd] });
    fs.closeSync(fd);
    return { name, child, log };
}

function tail(file: string, lines = 30): string {
    try {
        return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
}

async function stopProc(proc: Proc): Promise<void> {
    const { child } = proc;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
}

/** Fails fast, with the process's log, if it exits while we wait for it. */
function diedError(proc: Proc): Error | undefined {
    const { child } = proc;
    if (child.exitCode === null && child.signalCode === null) return undefined;
    return new Error(
        `${proc.name} exited (${child.exitCode ?? child.signalCode}):\n${tail(proc.log)}`,
    );
}

async function until(
    what: string,
    procs: Proc[],
    check: () => Promise<boolean>,
    timeoutMs: number,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        for (const p of procs) {
            const died = diedError(p);
            if (died) throw died;
        }
        if (await check().catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}:\n` +
            procs.map((p) => `--- ${p.name}\n${tail(p.log)}`).join("\n"),
    );
}

function writeKubeconfig(file: string, server: string, ca: string, cert: string, key: string) {
    const b64 = (f: string) => fs.readFileSync(f).toString("base64");
    const config = {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "test", cluster: { server, "certificate-authority-data": b64(ca) } }],
        users: [
            {
                name: "admin",
                user: { "client-certificate-data": b64(cert), "client-key-data": b64(key) },
            },
        ],
        contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
        "current-context": "test",
    };
    // JSON is YAML: every Kubernetes client reads it.
    fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
}

/**
 * A copy of the plane's admin kubeconfig whose context is named after `stack`, as
 * `aws eks update-kubeconfig --alias <stack>` names it: what the mcp CLI looks for.
 */
export function stackKubeconfig(
    plane: Pick<ControlPlane, "kubeconfig" | "dir">,
    stack: string,
): string {
    const config = JSON.parse(fs.readFileSync(plane.kubeconfig, "utf8"));
    config.contexts = [{ name: stack, context: { cluster: "test", user: "admin" } }];
    config["current-context"] = stack;
    const file = path.join(plane.dir, `${stack}.kubeconfig`);
    fs.writeFileSync(file, JSON.stringify(config, null, 2), { mode: 0o600 });
    return file;
}

function fakeNode(name: string, spec: Omit<FakeNodeSpec, "name"> = {}) {
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: {
            name,
            annotations: { "kwok.x-k8s.io/node": "fake" },
            labels: {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "node.kubernetes.io/instance-type": "kwok",
                "topology.kubernetes.io/zone": `zone-${name.slice(-1)}`,
                type: "kwok",
                ...spec.labels,
            },
        },
        ...(spec.taints ? { spec: { taints: spec.taints } } : {}),
        status: {
            allocatable: { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "100Gi" },
            capacity: { cpu: "32", memory: "256Gi", pods: "110", "ephemeral-storage": "100Gi" },
        },
    };
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    // Resolve every engine first, so a missing one fails before anything starts.
    const etcdBin = systemTool("etcd", "apt-get install etcd-server");
    const apiserverBin = builtEngine("kube-apiserver");
    const controllerManagerBin = builtEngine("kube-controller-manager");
    const schedulerBin = builtEngine("kube-scheduler");
    const fakeNodes = options.fakeNodes ?? 0;
    const nodeSpecs: FakeNodeSpec[] = [
        ...Array.from({ length: fakeNodes }, (_, i) => ({ name: `kwok-node-${i}` })),
        ...(options.nodes ?? []),
    ];
    const kwokBin = nodeSpecs.length > 0 ? builtEngine("kwok") : undefined;

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mcp-control-plane-"));
    const procs: Proc[] = [];
    let client: KubeClient | undefined;
    const stop = async () => {
        client?.close();
        // Reverse start order: clients of the apiserver first, etcd last.
        for (const p of [...procs].reverse()) await stopProc(p);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        const pki = createPki(path.join(dir, "pki"));
        const [etcdClient, etcdPeer, apiPort] = [
            await freePort(),
            await freePort(),
            await freePort(),
        ];
        const etcdUrl = `http://127.0.0.1:${etcdClient}`;
        const peerUrl = `http://127.0.0.1:${etcdPeer}`;
        const etcd = start(dir, "etcd", etcdBin, [
            "--name=test",
            `--data-dir=${path.join(dir, "etcd")}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peerUrl}`,
            `--initial-advertise-peer-urls=${peerUrl}`,
            `--initial-cluster=test=${peerUrl}`,
            "--log-level=warn",
        ]);
        procs.push(etcd);

        const server = `https://127.0.0.1:${apiPort}`;
        const apiserver = start(dir, "kube-apiserver", apiserverBin, [
            `--etcd-servers=${etcdUrl}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            `--secure-port=${apiPort}`,
            `--tls-cert-file=${pki.serverCert}`,
            `--tls-private-key-file=${pki.serverKey}`,
            `--client-ca-file=${pki.caCert}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            `--service-account-key-file=${pki.saPub}`,
            `--service-account-signing-key-file=${pki.saKey}`,
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=Node,RBAC",
            // The default plugins stay on; naming PodSecurity documents that tests rely on it.
            "--enable-admission-plugins=PodSecurity",
            "--allow-privileged=true",
            "--profiling=false",
            `--cert-dir=${path.join(dir, "apiserver-certs")}`,
        ]);
        procs.push(apiserver);
        client = new KubeClient(server, {
            ca: pki.caCert,
            cert: pki.adminCert,
            key: pki.adminKey,
        });
        const c = client;
        await until(
            "kube-apiserver /readyz",
            procs,
            async () => (await c.request("GET", "/readyz")).status === 200,
            90_000,
        );

        const kubeconfig = path.join(dir, "admin.kubeconfig");
        writeKubeconfig(kubeconfig, server, pki.caCert, pki.adminCert, pki.adminKey);
        procs.push(
            start(dir, "kube-controller-manager", controllerManagerBin, [
                `--kubeconfig=${kubeconfig}`,
                "--leader-elect=false",
                "--secure-port=0",
                `--service-account-private-key-file=${pki.saKey}`,
                `--root-ca-file=${pki.caCert}`,
                "--use-service-account-credentials=true",
                "--controllers=*",
            ]),
            start(dir, "kube-scheduler", schedulerBin, [
                `--kubeconfig=${kubeconfig}`,
                "--leader-elect=false",
                "--secure-port=0",
            ]),
        );
        // The service-account controller creating `default` shows the controller manager works.
        await until(
            "the default ServiceAccount",
            procs,
            async () =>
                (await c.request("GET", "/api/v1/namespaces/default/serviceaccounts/default"))
                    .status === 200,
            60_000,
        );

        const nodes: string[] = [];
        if (kwokBin) {
            const stagesDir = goModuleDir(kwokModule());
            const kwokConfig = path.join(dir, "kwok.yaml");
            fs.writeFileSync(
                kwokConfig,
                [
                    ...kwokStages.map((f) => fs.readFileSync(path.join(stagesDir, f), "utf8")),
                    ...(options.stages ?? []),
                ]
                    .map((doc) => doc.trim())
                    .join("\n---\n") + "\n",
            );
            procs.push(
                start(dir, "kwok", kwokBin, [
                    `--config=${kwokConfig}`,
                    `--kubeconfig=${kubeconfig}`,
                    "--manage-all-nodes=false",
                    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                    `--server-address=127.0.0.1:${await freePort()}`,
                    "--node-ip=127.0.0.1",
                ]),
            );
            for (const { name, ...spec } of nodeSpecs) {
                const res = await c.request("POST", "/api/v1/nodes", fakeNode(name, spec));
                if (res.status !== 201)
                    throw new Error(`creating Node ${name}: ${res.body.message}`);
                nodes.push(name);
            }
            for (const name of nodes) {
                await until(
                    `Node ${name} Ready`,
                    procs,
                    async () => {
                        const res = await c.request("GET", `/api/v1/nodes/${name}`);
                        return (res.body.status?.conditions ?? []).some(
                            (x: { type: string; status: string }) =>
                                x.type === "Ready" && x.status === "True",
                        );
                    },
                    60_000,
                );
            }
        }
        return { dir, server, kubeconfig, client: c, nodes, stop };
    } catch (error) {
        await stop();
        throw error;
    }
}

/** Creates CustomResourceDefinitions and waits until the server serves each of them. */
export async function installCrds(client: KubeClient, crds: readonly Record<string, any>[]) {
    for (const crd of crds) {
        const res = await client.apply(crd);
        if (res.status >= 300) {
            throw new Error(`installing CRD ${crd.metadata.name}: ${res.body.message}`);
        }
    }
    for (const crd of crds) {
        await client.waitFor(
            `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
            (obj) =>
                (obj.status?.conditions ?? []).some(
                    (c: { type: string; status: string }) =>
                        c.type === "Established" && c.status === "True",
                ),
        );
    }
    client.refreshDiscovery();
}
