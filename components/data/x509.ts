import {
    checkPrimeSync,
    createHash,
    createPrivateKey,
    createPublicKey,
    hkdfSync,
    type KeyObject,
    sign,
} from "node:crypto";
import { isIP } from "node:net";

/**
 * Deterministic X.509 for the data stores' TLS (docs/data.md, "Encryption in transit"): a CA
 * and the certificates it signs, derived from one secret seed. RSA-2048 keys whose primes are
 * found in a stream of bytes expanded from the seed and a label (HKDF-SHA256), and
 * sha256WithRSAEncryption signatures (PKCS#1 v1.5, deterministic): the same seed always yields
 * the same PEM text, so the certificates change only when the seed does, with no provider, no
 * state of their own and nothing generated in the pods (the redis image has no openssl). RSA
 * rather than Ed25519, whose keys would come straight from the seed: libpq cannot compute SCRAM
 * channel binding (tls-server-end-point) for a certificate signed with Ed25519 ("could not find
 * digest for NID UNDEF"), and every client library speaks RSA.
 */

/** A certificate and its key, PEM. */
export interface Issued {
    readonly cert: string;
    readonly key: string;
}

/** What {@link issueCertificate} certifies. */
export interface CertificateRequest {
    readonly commonName: string;
    /** DNS names and IP addresses (subjectAltName). */
    readonly names: readonly string[];
}

// --- DER ------------------------------------------------------------------------------------

function length(n: number): Buffer {
    if (n < 0x80) return Buffer.from([n]);
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...parts: Buffer[]) => {
    const body = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: Buffer[]) => tlv(0xa0 + n, ...parts);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, "utf8"));
const boolTrue = Buffer.from([0x01, 0x01, 0xff]);

function oid(dotted: string): Buffer {
    const [a, b, ...rest] = dotted.split(".").map(Number);
    const out = [a! * 40 + b!];
    for (const arc of rest) {
        const chunk = [arc & 0x7f];
        for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift(0x80 | (v & 0x7f));
        out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
}

/** A non-negative INTEGER from big-endian bytes. */
function integer(bytes: Buffer): Buffer {
    let b = bytes;
    while (b.length > 1 && b[0] === 0) b = b.subarray(1);
    if (b[0]! & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return tlv(0x02, b);
}

function time(date: Date): Buffer {
    const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
    // UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
    return date.getUTCFullYear() < 2050
        ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`))
        : tlv(0x18, Buffer.from(`${iso}Z`));
}

const name = (cn: string) => seq(set(seq(oid("2.5.4.3"), utf8(cn))));
const sha256WithRsa = seq(oid("1.2.840.113549.1.1.11"), Buffer.from([0x05, 0x00]));
const extension = (id: string, critical: boolean, value: Buffer) =>
    seq(oid(id), ...(critical ? [boolTrue] : []), octets(value));

function ipBytes(ip: string): Buffer {
    if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
    throw new Error(`x509: only IPv4 addresses are supported in subjectAltName, got ${ip}`);
}

function subjectAltName(names: readonly string[]): Buffer {
    return seq(
        ...names.map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, "ascii")))),
    );
}

// --- keys and certificates --------------------------------------------------------------------

/** Bytes expanded from `seed` and `label`, as many as asked, never the same twice. */
function byteStream(seed: string, label: string): (n: number) => Buffer {
    const key = Buffer.from(hkdfSync("sha256", seed, "mcp-platform-data-tls", label, 32));
    let counter = 0;
    return (n) => {
        const blocks: Buffer[] = [];
        for (let have = 0; have < n; have += 32) {
            blocks.push(createHash("sha256").update(key).update(String(counter++)).digest());
        }
        return Buffer.concat(blocks).subarray(0, n);
    };
}

const exponent = 65537n;
const big = (b: Buffer) => BigInt(`0x${b.toString("hex")}`);
const bytesOf = (n: bigint) => {
    const hex = n.toString(16);
    return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
};

/** The first probable prime of `bits` bits in the stream (top two bits set, e coprime to p-1). */
function prime(next: (n: number) => Buffer, bits: number): bigint {
    for (;;) {
        const candidate = next(bits / 8);
        candidate[0]! |= 0xc0;
        candidate[candidate.length - 1]! |= 1;
        const p = big(candidate);
        if ((p - 1n) % exponent !== 0n && checkPrimeSync(p, { checks: 64 })) return p;
    }
}

function inverse(a: bigint, m: bigint): bigint {
    let [r0, r1, s0, s1] = [m, ((a % m) + m) % m, 0n, 1n];
    while (r1 !== 0n) {
        const q = r0 / r1;
        [r0, r1] = [r1, r0 - q * r1];
        [s0, s1] = [s1, s0 - q * s1];
    }
    if (r0 !== 1n) throw new Error("x509: no inverse");
    return ((s0 % m) + m) % m;
}

/** The RSA-2048 key that `seed` and `label` derive. */
export function derivedKey(seed: string, label: string): KeyObject {
    if (seed.length < 16) throw new Error("x509: the seed must be at least 16 characters");
    const next = byteStream(seed, label);
    let p = prime(next, 1024);
    let q = prime(next, 1024);
    while (p === q) q = prime(next, 1024);
    if (p < q) [p, q] = [q, p];
    const d = inverse(exponent, (p - 1n) * (q - 1n));
    const der = seq(
        ...[0n, p * q, exponent, d, p, q, d % (p - 1n), d % (q - 1n), inverse(q, p)].map((v) =>
            integer(bytesOf(v)),
        ),
    );
    return createPrivateKey({ key: der, format: "der", type: "pkcs1" });
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2, method 1). */
const keyId = (key: KeyObject) =>
    createHash("sha1")
        .update(createPublicKey(key).export({ type: "pkcs1", format: "der" }))
        .digest();

const pem = (label: string, der: Buffer) =>
    `-----BEGIN ${label}-----\n${der
        .toString("base64")
        .replace(/(.{64})/g, "$1\n")
        .replace(/\n$/, "")}\n-----END ${label}-----\n`;

/**
 * Validity of every certificate: fixed dates, so the text never changes with the clock. A new
 * seed (a new CA and keys) is how they are rotated (docs/data.md).
 */
export const validity = {
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2036-01-01T00:00:00Z"),
} as const;

function certificate(args: {
    subject: string;
    issuer: string;
    subjectKey: KeyObject;
    issuerKey: KeyObject;
    extensions: Buffer[];
}): string {
    const spki = createPublicKey(args.subjectKey).export({ type: "spki", format: "der" });
    const serial = createHash("sha256").update(spki).update(args.subject).digest().subarray(0, 16);
    serial[0]! &= 0x7f;
    const tbs = seq(
        explicit(0, integer(Buffer.from([2]))),
        integer(serial),
        sha256WithRsa,
        name(args.issuer),
        seq(time(validity.notBefore), time(validity.notAfter)),
        name(args.subject),
        spki,
        explicit(3, seq(...args.extensions)),
    );
    const signature = sign("sha256", tbs, args.issuerKey);
    return pem("CERTIFICATE", seq(tbs, sha256WithRsa, bits(signature)));
}

/** A self-signed CA (basicConstraints CA, pathlen 0; keyCertSign and cRLSign). */
export function certificateAuthority(seed: string, commonName: string): Issued {
    const key = derivedKey(seed, `ca:${commonName}`);
    const cert = certificate({
        subject: commonName,
        issuer: commonName,
        subjectKey: key,
        issuerKey: key,
        extensions: [
            extension("2.5.29.19", true, seq(boolTrue, integer(Buffer.from([0])))),
            // keyCertSign (bit 5) and cRLSign (bit 6): 0b00000110, one unused bit.
            extension("2.5.29.15", true, bits(Buffer.from([0x06]), 1)),
            extension("2.5.29.14", false, octets(keyId(key))),
        ],
    });
    return { cert, key: key.export({ type: "pkcs8", format: "pem" }).toString() };
}

/**
 * A server certificate for `request.names`, signed by `ca` (whose key `seed` derives:
 * {@link certificateAuthority} of the same seed and CA name). Its key is derived from the seed
 * and the common name, so each server identity has its own.
 */
export function issueCertificate(
    seed: string,
    caName: string,
    request: CertificateRequest,
): Issued {
    if (request.names.length === 0) throw new Error("x509: a certificate needs at least one name");
    const caKey = derivedKey(seed, `ca:${caName}`);
    const key = derivedKey(seed, `server:${request.commonName}`);
    const cert = certificate({
        subject: request.commonName,
        issuer: caName,
        subjectKey: key,
        issuerKey: caKey,
        extensions: [
            extension("2.5.29.19", true, seq()),
            // digitalSignature (bit 0): 0b10000000, seven unused bits.
            extension("2.5.29.15", true, bits(Buffer.from([0x80]), 7)),
            // serverAuth and clientAuth (Redis replicas and Sentinels present it as clients).
            extension("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"), oid("1.3.6.1.5.5.7.3.2"))),
            extension("2.5.29.17", false, subjectAltName(request.names)),
            extension("2.5.29.14", false, octets(keyId(key))),
            extension("2.5.29.35", false, seq(tlv(0x80, keyId(caKey)))),
        ],
    });
    return { cert, key: key.export({ type: "pkcs8", format: "pem" }).toString() };
}
