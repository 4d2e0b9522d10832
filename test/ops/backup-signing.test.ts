import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireOpenssl, testSigningKey, type TestSigningKey } from "../support/backup-signing";
import {
    opsDir,
    requireTools,
    run,
    type RunResult,
    runScript,
    type S3Server,
    scriptPath,
    startS3,
    tempDir,
} from "../support/ops";

/**
 * ops/backup-signing.sh with the real tools: openssl signs and checks (the scripts), Node's
 * crypto signs and checks the same format (the tests), and the AWS CLI forms the KMS Sign
 * request the backup jobs send in the cluster.
 *
 * KMS itself cannot run here. What is proven about that path: the exact request the AWS CLI
 * sends for `aws kms sign` (recorded by a loopback listener that answers every request with an
 * error and never signs), that a refusal uploads nothing, and — in test/iam — that only the
 * backup jobs' roles may make that request on the signing key. What is not: that KMS answers
 * with a DER signature; its ECDSA_SHA_256 output is the format `openssl dgst -verify` reads,
 * which is what the local key produces here.
 */

const errorsOf = (result: RunResult) => result.logLines().filter((l) => l.level === "error");

/** Runs `body` in bash after sourcing the library and the signing helpers, in a run dir. */
function lib(body: string, env: Record<string, string | undefined> = {}) {
    const script = [
        `source ${path.join(opsDir, "backup-lib.sh")}`,
        `source ${path.join(opsDir, "backup-signing.sh")}`,
        "make_run_dir",
        body,
    ].join("\n");
    return run("bash", ["-c", script], {
        env: { BACKUP_JOB: "test", PATH: scriptPath(), WORK_DIR: tempDir("work"), ...env },
    });
}

/** A file holding `text`, in a fresh directory. */
function fileWith(text: string): string {
    const file = path.join(tempDir("json"), "file.json");
    fs.writeFileSync(file, text);
    return file;
}

describe("ops/backup-signing.sh (openssl, Node's crypto)", () => {
    let ours: TestSigningKey;
    let peer: TestSigningKey;
    let stranger: TestSigningKey;
    const payload =
        '{"key":"postgres/hourly/20260101T020000Z/mcp_db.dump","sha256":"ab12","size":7}';

    beforeAll(() => {
        requireOpenssl();
        ours = testSigningKey();
        peer = testSigningKey();
        stranger = testSigningKey();
    });

    it("signs the line without its signature; Node's crypto verifies what openssl signed", async () => {
        const file = fileWith(`${payload}\n`);
        const result = await lib(`sign_json ${file}`, { ...ours.env });
        expect(result.status, result.stderr).toBe(0);
        const text = fs.readFileSync(file, "utf8");
        expect(text.startsWith(payload.slice(0, -1))).toBe(true);
        expect(text).toMatch(/,"signature":"[A-Za-z0-9+/]+={0,2}"\}\n$/);
        expect(ours.verifies(text)).toBe(true);
        expect(peer.verifies(text)).toBe(false);
    });

    it("openssl verifies what Node signed, with any of the trusted keys, and names the key", async () => {
        const trusted = `${ours.publicKeyPem}${peer.publicKeyPem}`;
        const byPeer = fileWith(peer.signJson(payload));
        const result = await lib(`verify_json ${byPeer} "the file"; echo "signed_by=$SIGNED_BY"`, {
            BACKUP_TRUSTED_KEYS: trusted,
        });
        expect(result.status, result.stderr).toBe(0);
        const der = crypto
            .createPublicKey(peer.publicKeyPem)
            .export({ type: "spki", format: "der" });
        const fingerprint = crypto.createHash("sha256").update(der).digest("hex").slice(0, 16);
        expect(result.stdout).toContain(`signed_by=${fingerprint}`);
    });

    it("refuses a changed byte, a stranger's signature, a moved signature and no signature", async () => {
        const signed = ours.signJson(payload);
        const cases: [string, string, RegExp][] = [
            ["changed", signed.replace('"size":7', '"size":8'), /no trusted key verifies/],
            ["stranger", stranger.signJson(payload), /no trusted key verifies/],
            [
                "moved",
                // The same signature on another backup's metadata.
                signed.replace("20260101T020000Z", "20260102T020000Z"),
                /no trusted key verifies/,
            ],
            ["unsigned", `${payload}\n`, /is not signed/],
            ["not base64", `${payload.slice(0, -1)},"signature":"not base64!"}\n`, /is not signed/],
        ];
        for (const [name, text, message] of cases) {
            const result = await lib(`verify_json ${fileWith(text)} "the file"`, {
                BACKUP_TRUSTED_KEYS: ours.publicKeyPem,
            });
            expect(result.status, name).toBe(1);
            expect(String(errorsOf(result)[0]?.msg), name).toMatch(message);
        }
    });

    it("accepts an unsigned file only with BACKUP_ACCEPT_UNSIGNED=true, never a failing signature", async () => {
        const env = { BACKUP_TRUSTED_KEYS: ours.publicKeyPem, BACKUP_ACCEPT_UNSIGNED: "true" };
        const unsigned = await lib(`verify_json ${fileWith(`${payload}\n`)} "the file"`, env);
        expect(unsigned.status, unsigned.stderr).toBe(0);
        expect(unsigned.logLines()[0]).toMatchObject({
            level: "warning",
            msg: "accepting an unsigned file because BACKUP_ACCEPT_UNSIGNED=true",
        });
        const forged = await lib(`verify_json ${fileWith(stranger.signJson(payload))} "x"`, env);
        expect(forged.status).toBe(1);
    });

    it("says what is wrong with the keys it is given", async () => {
        const file = fileWith(ours.signJson(payload));
        const cases: [Record<string, string>, string, RegExp][] = [
            [{}, `verify_json ${file} x`, /no trusted signing keys/],
            [{ BACKUP_TRUSTED_KEYS: "hello" }, `verify_json ${file} x`, /holds no PEM public key/],
            [
                {
                    BACKUP_TRUSTED_KEYS:
                        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                },
                `verify_json ${file} x`,
                /not a public key/,
            ],
            [{}, `sign_json ${fileWith(`${payload}\n`)}`, /no signing key/],
            [
                { BACKUP_SIGNING_KEY_FILE: ours.privateKeyFile, BACKUP_SIGNING_KEY_ID: "k" },
                `sign_json ${fileWith(`${payload}\n`)}`,
                /not both/,
            ],
            [{ ...ours.env }, `sign_json ${file}`, /signed already/],
        ];
        for (const [env, body, message] of cases) {
            const result = await lib(body, env);
            expect(result.status, body).toBe(1);
            expect(String(errorsOf(result)[0]?.msg), JSON.stringify(env)).toMatch(message);
        }
    });

    it("binds metadata.json to its backup: another backup's signed metadata is refused", async () => {
        const dump = path.join(tempDir("dump"), "mcp_db.dump");
        fs.writeFileSync(dump, "dump bytes");
        const digest = crypto.createHash("sha256").update("dump bytes").digest("hex");
        const meta = (key: string) =>
            fileWith(ours.signJson({ key, sha256: digest, size: 10, timestamp: "t" }));
        const key = "postgres/daily/20260101T020000Z/mcp_db.dump";
        const check = (metaFile: string, asKey: string) =>
            lib(`check_backup_metadata ${metaFile} ${dump} ${asKey} ""`, {
                BACKUP_TRUSTED_KEYS: ours.publicKeyPem,
            });

        const same = await check(meta(key), key);
        expect(same.status, same.stderr).toBe(0);
        // Failback copies dr/postgres/<tier>/<stamp>/ into postgres/: the same backup.
        const copied = await check(meta(`dr/${key}`), key);
        expect(copied.status, copied.stderr).toBe(0);
        const other = await check(meta("postgres/daily/20251231T020000Z/mcp_db.dump"), key);
        expect(other.status).toBe(1);
        expect(errorsOf(other)[0]).toMatchObject({ msg: "metadata.json describes another backup" });
    });
});

describe("signing with KMS: the request the AWS CLI sends (loopback recorder, s3rver)", () => {
    let s3: S3Server;
    let recorder: http.Server;
    let endpoint = "";
    const requests: { target: string; body: Record<string, unknown> }[] = [];
    const keyArn = "arn:aws:kms:us-east-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
    const trusted = () => testSigningKey().publicKeyPem;

    beforeAll(async () => {
        requireTools("aws");
        s3 = await startS3();
        // Records each request and refuses it as KMS refuses a caller: it never signs.
        recorder = http.createServer((request, response) => {
            let body = "";
            request.on("data", (chunk) => (body += chunk));
            request.on("end", () => {
                requests.push({
                    target: String(request.headers["x-amz-target"]),
                    body: JSON.parse(body) as Record<string, unknown>,
                });
                response.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
                response.end(
                    JSON.stringify({
                        __type: "AccessDeniedException",
                        message: "recorded by the test; this endpoint never signs",
                    }),
                );
            });
        });
        await new Promise<void>((resolve) => recorder.listen(0, "127.0.0.1", resolve));
        endpoint = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
        await s3?.close();
        await new Promise((resolve) => recorder?.close(resolve));
    });

    it("asks KMS to sign the payload's SHA-256 as a DIGEST with ECDSA_SHA_256", async () => {
        requests.length = 0;
        const payload = '{"key":"redis/hourly/20260101T020000Z/dump.rdb","sha256":"cd34"}';
        const result = await lib(`sign_json ${fileWith(`${payload}\n`)}`, {
            ...s3.env,
            BACKUP_SIGNING_KEY_ID: keyArn,
            KMS_ENDPOINT_URL: endpoint,
        });
        expect(result.status).toBe(1);
        expect(errorsOf(result)[0]).toMatchObject({
            msg: "KMS did not sign; nothing was uploaded",
            key_id: keyArn,
        });
        expect(String(errorsOf(result)[0].stderr)).toMatch(/AccessDenied/);
        expect(requests).toHaveLength(1);
        expect(requests[0].target).toBe("TrentService.Sign");
        expect(requests[0].body).toEqual({
            KeyId: keyArn,
            Message: crypto.createHash("sha256").update(payload).digest("base64"),
            MessageType: "DIGEST",
            SigningAlgorithm: "ECDSA_SHA_256",
        });
    });

    it("uploads nothing and moves no pointer when KMS refuses to sign", async () => {
        requests.length = 0;
        const data = tempDir("app-data");
        fs.writeFileSync(path.join(data, "config.yaml"), "kind: ConfigMap\n");
        const result = await runScript("backup-app-data.sh", [], {
            env: {
                ...s3.env,
                PATH: scriptPath(),
                WORK_DIR: tempDir("work"),
                HOME: tempDir("home"),
                APP_DATA_DIR: data,
                BACKUP_PREFIX: "kms-refused/app-data",
                BACKUP_SIGNING_KEY_ID: keyArn,
                BACKUP_TRUSTED_KEYS: trusted(),
                KMS_ENDPOINT_URL: endpoint,
            },
        });
        expect(result.status).toBe(1);
        expect(errorsOf(result)[0]).toMatchObject({ step: "metadata" });
        expect(requests.map((r) => r.target)).toEqual(["TrentService.Sign"]);
        expect(await s3.list("kms-refused/")).toEqual([]);
    });
});
