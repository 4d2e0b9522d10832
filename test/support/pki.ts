import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { systemTool } from "./engines";

/**
 * Throwaway certificates for a test control plane, made with openssl in its temp dir at
 * start (ECDSA P-256: fast to generate, accepted by every Kubernetes component). Nothing is
 * committed; each run has its own CA.
 */
export interface Pki {
    readonly caCert: string;
    readonly caKey: string;
    readonly serverCert: string;
    readonly serverKey: string;
    /** Client certificate in group system:masters (cluster-admin through RBAC's bootstrap). */
    readonly adminCert: string;
    readonly adminKey: string;
    /** Service-account token signing key pair. */
    readonly saKey: string;
    readonly saPub: string;
}

function openssl(dir: string, args: string[]): void {
    const bin = systemTool("openssl", "apt-get install openssl");
    const child = spawnSync(bin, args, { cwd: dir, encoding: "utf8" });
    if (child.status !== 0) {
        throw new Error(`openssl ${args.join(" ")} failed: ${child.stderr}`);
    }
}

const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A key and a certificate signed by the CA in `dir`, with the given extensions. */
function issue(dir: string, name: string, subject: string, extensions: string[]): void {
    fs.writeFileSync(path.join(dir, `${name}.ext`), `${extensions.join("\n")}\n`);
    openssl(dir, ["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
    openssl(dir, [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-sha256",
        "-extfile",
        `${name}.ext`,
        "-out",
        `${name}.crt`,
    ]);
}

export function createPki(dir: string): Pki {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    openssl(dir, [
        "req",
        "-x509",
        ...ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=mcp-platform-test-ca",
    ]);
    issue(dir, "apiserver", "/CN=kube-apiserver", [
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default," +
            "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1",
        "extendedKeyUsage=serverAuth",
        "keyUsage=critical,digitalSignature,keyEncipherment",
    ]);
    issue(dir, "admin", "/O=system:masters/CN=mcp-platform-test-admin", [
        "extendedKeyUsage=clientAuth",
        "keyUsage=critical,digitalSignature,keyEncipherment",
    ]);
    openssl(dir, [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "sa.key",
    ]);
    openssl(dir, ["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
    const f = (name: string) => path.join(dir, name);
    return {
        caCert: f("ca.crt"),
        caKey: f("ca.key"),
        serverCert: f("apiserver.crt"),
        serverKey: f("apiserver.key"),
        adminCert: f("admin.crt"),
        adminKey: f("admin.key"),
        saKey: f("sa.key"),
        saPub: f("sa.pub"),
    };
}
