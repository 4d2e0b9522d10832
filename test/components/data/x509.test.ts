import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { postgresServerNames, postgresTls } from "../../../components/data/postgres-tls";
import { certificateAuthority, issueCertificate, validity } from "../../../components/data/x509";

/**
 * The data stores' certificates (x509.ts, postgres-tls.ts), read back with Node's X.509 parser:
 * the same seed always gives the same text, the CA signs the server certificate, which names
 * every address a client uses. test/ops/postgres-tls.test.ts serves them from PostgreSQL.
 */

const seed = "test-only-seed-0123456789abcdef";

describe("derived X.509 (x509.ts)", () => {
    it("derives the same CA and server certificate from the same seed, others from another", () => {
        const first = postgresTls(seed, "mcp-production", 1);
        expect(postgresTls(seed, "mcp-production", 1)).toEqual(first);
        const other = postgresTls(`${seed}-rotated`, "mcp-production", 1);
        expect(other.caCert).not.toBe(first.caCert);
        expect(other.server.key).not.toBe(first.server.key);
        expect(() => certificateAuthority("short", "ca")).toThrow(/at least 16 characters/);
    });

    it("issues an RSA CA and a server certificate it signs, for every Service and pod name", () => {
        const { caCert, server } = postgresTls(seed, "mcp-production", 2);
        const ca = new X509Certificate(caCert);
        const cert = new X509Certificate(server.cert);
        expect(ca.ca).toBe(true);
        expect(ca.verify(ca.publicKey)).toBe(true);
        expect(cert.ca).toBe(false);
        expect(cert.checkIssued(ca)).toBe(true);
        expect(cert.verify(ca.publicKey)).toBe(true);
        expect(cert.checkPrivateKey(createPrivateKey(server.key))).toBe(true);
        expect(cert.publicKey.asymmetricKeyType).toBe("rsa");
        expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
        expect(cert.keyUsage).toEqual(expect.arrayContaining(["1.3.6.1.5.5.7.3.1"]));
        expect(new Date(cert.validFrom)).toEqual(validity.notBefore);
        expect(new Date(cert.validTo)).toEqual(validity.notAfter);
        for (const name of [
            "localhost",
            "postgres-primary",
            "postgres-primary.mcp-production.svc.cluster.local",
            "postgres-replica.mcp-production",
            "postgres-replica-1.postgres-replica-headless.mcp-production.svc.cluster.local",
        ]) {
            expect(cert.checkHost(name), name).toBe(name);
        }
        expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
        expect(cert.checkHost("postgres-replica-2.postgres-replica-headless")).toBeUndefined();
        expect(cert.checkHost("evil.example.com")).toBeUndefined();
        expect(postgresServerNames("ns", 0)).not.toContain(
            "postgres-replica-0.postgres-replica-headless",
        );
    });

    it("refuses a certificate without names", () => {
        expect(() => issueCertificate(seed, "ca", { commonName: "x", names: [] })).toThrow(
            "x509: a certificate needs at least one name",
        );
    });
});
