import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "./ops";

/**
 * A local ECDSA P-256 key standing where the stack's KMS signing key stands in the cluster
 * (ops/backup-signing.sh): the scripts sign with it through openssl (BACKUP_SIGNING_KEY_FILE)
 * and check with its public key (BACKUP_TRUSTED_KEYS). Backups a test plants by hand are
 * signed here with Node's crypto, a second implementation of the same format, so a test
 * signature and a script signature each check the other.
 */
export interface TestSigningKey {
    readonly privateKeyFile: string;
    readonly publicKeyPem: string;
    /** Sign with this key and trust only it. */
    readonly env: Record<string, string>;
    /** `{…}` → `{…,"signature":"<base64 DER>"}` plus a newline, as the scripts write it. */
    signJson(value: object | string): string;
    /** Whether `{…,"signature":…}` text verifies with this key. */
    verifies(text: string): boolean;
}

const signed = /^(\{.*),"signature":"([A-Za-z0-9+/]+={0,2})"\}$/s;

export function testSigningKey(): TestSigningKey {
    const { privateKey, publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const dir = tempDir("signing-key");
    const privateKeyFile = path.join(dir, "backup-signing.pem");
    // Readable by the unprivileged user the postgres scripts run as; a throwaway test key.
    fs.writeFileSync(privateKeyFile, privateKey.export({ type: "pkcs8", format: "pem" }), {
        mode: 0o644,
    });
    const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
    return {
        privateKeyFile,
        publicKeyPem,
        env: { BACKUP_SIGNING_KEY_FILE: privateKeyFile, BACKUP_TRUSTED_KEYS: publicKeyPem },
        signJson(value) {
            const payload = typeof value === "string" ? value.trim() : JSON.stringify(value);
            const signature = crypto.sign("sha256", Buffer.from(payload), privateKey);
            return `${payload.slice(0, -1)},"signature":"${signature.toString("base64")}"}\n`;
        },
        verifies(text) {
            const match = signed.exec(text.trim());
            if (!match) return false;
            return crypto.verify(
                "sha256",
                Buffer.from(`${match[1]}}`),
                publicKey,
                Buffer.from(match[2], "base64"),
            );
        },
    };
}

/** A signed JSON file's fields without its signature (to change one and sign it again). */
export function withoutSignature(text: string): Record<string, any> {
    const fields = JSON.parse(text) as Record<string, any>;
    delete fields.signature;
    return fields;
}

/** The scripts sign and check with openssl: a missing one fails the test with the fix. */
export function requireOpenssl(): void {
    const probe = spawnSync("openssl", ["version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
        throw new Error(
            "openssl is required for this test: apt-get install -y --no-install-recommends openssl",
        );
    }
}
