import * as crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import { drPosture } from "../../../contracts/dr-posture";
import { BackupJobs, type BackupJobsArgs } from "../../../components/data/backup-jobs";
import { BackupKeyPolicy } from "../../../components/data/backup-key-policy";
import {
    backupPeerStack,
    publicKeyPem,
    stringList,
    trustedSigningKeys,
} from "../../../components/data/backup-peer";
import { BackupJobRoles } from "../../../components/data/backup-roles";
import { BackupStorage } from "../../../components/data/backup-storage";
import { keyAdministrationActions } from "../../../components/kit/kms";
import { recordResources } from "../../support/pulumi";

/**
 * The backups' trust boundaries as the components declare them, under Pulumi's mock runtime:
 * who may sign, who may decrypt, which key an upload may name, how long nothing can be
 * removed, and where the jobs' HTTPS may go. backup-security-synth.test.ts checks the same in
 * the synthesized stacks.
 */

type Obj = Record<string, any>;
const statementsOf = (policy: unknown): Obj[] => JSON.parse(String(policy)).Statement as Obj[];
const actionsOf = (statement: Obj): string[] => [statement.Action].flat();

const oidc = {
    providerArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
    issuerHost: "oidc.eks.us-east-1.amazonaws.com/id/ABC",
};
const resources = {
    requests: { cpu: "250m", memory: "512Mi" },
    limits: { cpu: "1", memory: "2Gi" },
};

/** Cryptographic use of a key, which the account must not keep on the backup keys. */
const useActions = /^kms:(\*|Decrypt|Encrypt|GenerateDataKey|ReEncrypt|Sign|CreateGrant)/;

describe("the backup key: the account administers, named roles decrypt", () => {
    it("starts with administration only, and ignores the policy BackupKeyPolicy sets", async () => {
        const recorded = await recordResources(
            () =>
                new BackupStorage("backups", {
                    region: "us-east-1",
                    retention: {
                        retentionDays: { hourly: 2, daily: 7, weekly: 30, monthly: 365 },
                        archive: { afterDays: 30, storageClass: "GLACIER_IR" },
                        lockDays: 7,
                    },
                }),
        );
        const key = recorded.one("aws:kms/key:Key", "backups-key");
        const [statement] = statementsOf(key.inputs.policy);
        expect(statement.Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
        expect(actionsOf(statement).filter((a) => useActions.test(a))).toEqual([]);
        expect(key.options?.ignoreChanges).toEqual(["policy"]);
    });

    it("lets only the named roles decrypt, through S3, and keeps the account's administration", async () => {
        const named = [
            "arn:aws:iam::123456789012:role/postgres-backup",
            "arn:aws:iam::123456789012:role/backup-verify",
        ];
        const recorded = await recordResources(
            () =>
                new BackupKeyPolicy("backups-key", {
                    region: "us-west-2",
                    keyId: "key-1",
                    decryptRoleArns: [named[1], named[0], named[0]],
                }),
        );
        const policy = recorded.one("aws:kms/keyPolicy:KeyPolicy", "backups-key-policy").inputs;
        expect(policy.keyId).toBe("key-1");
        const bySid = Object.fromEntries(statementsOf(policy.policy).map((s) => [s.Sid, s]));
        expect(Object.keys(bySid)).toEqual([
            "AccountAdministersOnly",
            "AccountEncryptsThroughS3",
            "NamedRolesDecryptThroughS3",
        ]);
        // The root keeps every administrative action and no use: the key is never orphaned.
        expect(bySid.AccountAdministersOnly.Action).toEqual([...keyAdministrationActions]);
        expect(actionsOf(bySid.AccountAdministersOnly).filter((a) => useActions.test(a))).toEqual(
            [],
        );
        expect(bySid.AccountEncryptsThroughS3).toMatchObject({
            Action: ["kms:GenerateDataKey", "kms:Encrypt"],
            Condition: { StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" } },
        });
        expect(bySid.NamedRolesDecryptThroughS3).toMatchObject({
            Action: "kms:Decrypt",
            Condition: {
                StringEquals: { "kms:ViaService": "s3.us-west-2.amazonaws.com" },
                ArnEquals: { "aws:PrincipalArn": [...named].sort() },
            },
        });
        // Nothing else anywhere in the policy grants Decrypt.
        const decrypting = statementsOf(policy.policy).filter((s) =>
            actionsOf(s).some((a) => /^kms:(\*|Decrypt)/.test(a)),
        );
        expect(decrypting.map((s) => s.Sid)).toEqual(["NamedRolesDecryptThroughS3"]);
    });
});

describe("the bucket policy pins the backup key", () => {
    it("refuses an upload that names any key but the bucket's (by key or alias ARN)", async () => {
        const recorded = await recordResources(
            () =>
                new BackupStorage("backups", {
                    region: "us-east-1",
                    retention: {
                        retentionDays: { hourly: 2, daily: 7, weekly: 30, monthly: 365 },
                        archive: { afterDays: 30, storageClass: "GLACIER_IR" },
                        lockDays: 7,
                    },
                }),
        );
        const statements = statementsOf(
            recorded.one("aws:s3/bucketPolicy:BucketPolicy", "backups-policy").inputs.policy,
        );
        const pin = statements.find((s) => s.Sid === "DenyObjectsUnderAnotherKey");
        expect(pin).toEqual({
            Sid: "DenyObjectsUnderAnotherKey",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:PutObject",
            Resource: "arn:aws:s3:::backups-bucket-0123abcd/*",
            Condition: {
                StringNotEquals: {
                    "s3:x-amz-server-side-encryption-aws-kms-key-id": [
                        "arn:aws:kms:us-east-1:123456789012:backups-key",
                        "arn:aws:kms:us-east-1:123456789012:alias/mcp-platform-backups-backups",
                    ],
                },
                Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
            },
        });
    });
});

describe("the signing key: only the writers sign", () => {
    it("is an ECC P-256 signing key whose policy lets the three writers sign a digest, nothing more", async () => {
        const recorded = await recordResources(
            () =>
                new BackupJobRoles("backup-jobs", {
                    region: "us-east-1",
                    bucketArn: "arn:aws:s3:::mcp-backups",
                    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
                    oidc,
                    posture: drPosture("primary", false),
                }),
        );
        const key = recorded.one("aws:kms/key:Key", "backup-jobs-signing-key");
        expect(key.inputs).toMatchObject({
            keyUsage: "SIGN_VERIFY",
            customerMasterKeySpec: "ECC_NIST_P256",
            enableKeyRotation: false,
            deletionWindowInDays: 30,
        });
        expect(key.options?.protect).toBe(true);
        const bySid = Object.fromEntries(statementsOf(key.inputs.policy).map((s) => [s.Sid, s]));
        const role = (job: string) => `arn:aws:iam:us-east-1:123456789012:backup-jobs-${job}-role`;
        expect(bySid.BackupJobsSign).toEqual({
            Sid: "BackupJobsSign",
            Effect: "Allow",
            Principal: {
                AWS: [role("app-data-backup"), role("postgres-backup"), role("redis-backup")],
            },
            Action: "kms:Sign",
            Resource: "*",
            Condition: {
                StringEquals: {
                    "kms:SigningAlgorithm": "ECDSA_SHA_256",
                    "kms:MessageType": "DIGEST",
                },
            },
        });
        const signing = statementsOf(key.inputs.policy).filter((s) =>
            actionsOf(s).some((a) => /^kms:(\*|Sign)/.test(a)),
        );
        expect(signing.map((s) => s.Sid)).toEqual(["BackupJobsSign"]);
        expect(JSON.stringify(bySid)).not.toContain(role("backup-verify"));
    });
});

const jobsArgs: BackupJobsArgs = {
    region: "us-east-1",
    bucketName: "mcp-backups",
    signing: {
        keyArn: "arn:aws:kms:us-east-1:123456789012:key/signing",
        trustedPublicKeys: "-----BEGIN PUBLIC KEY-----\nstack\n-----END PUBLIC KEY-----\n",
    },
    roleArns: {
        postgres: "arn:aws:iam::123456789012:role/postgres-backup",
        redis: "arn:aws:iam::123456789012:role/redis-backup",
        appData: "arn:aws:iam::123456789012:role/app-data-backup",
        verify: "arn:aws:iam::123456789012:role/backup-verify",
    },
    posture: drPosture("primary", false),
    schedules: {
        postgres: "0 * * * *",
        redis: "30 * * * *",
        appData: "0 3 * * *",
        verify: "30 5 * * *",
    },
    tiers: { daily: "0 2 * * *", weekly: "0 3 * * 0", monthly: "0 4 1 * *" },
    images: {
        postgres: "postgres:15.13-bookworm",
        redis: "redis:7.2.5-bookworm",
        awsCli: "amazon/aws-cli:2.17.0",
        kubectl: "alpine/k8s:1.30.0",
    },
    resources,
    verifyResources: resources,
    appNamespaces: ["mcp-production"],
};

describe("the backup jobs sign, check, and reach only public addresses on 443", () => {
    it("gives the writers the signing key and every container the trusted keys", async () => {
        const recorded = await recordResources(() => new BackupJobs("backup-jobs", jobsArgs));
        const pods = Object.fromEntries(
            recorded
                .ofType("kubernetes:batch/v1:CronJob")
                .map((r) => [
                    (r.inputs.metadata as Obj).name,
                    (r.inputs.spec as Obj).jobTemplate.spec.template.spec,
                ]),
        );
        const env = (container: Obj) =>
            Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
        for (const job of ["postgres-backup", "redis-backup", "app-data-backup"]) {
            expect(env(pods[job].containers[0]), job).toMatchObject({
                BACKUP_SIGNING_KEY_ID: jobsArgs.signing.keyArn,
                BACKUP_TRUSTED_KEYS: jobsArgs.signing.trustedPublicKeys,
            });
        }
        for (const container of pods["backup-verify"].containers) {
            expect(env(container).BACKUP_TRUSTED_KEYS).toBe(jobsArgs.signing.trustedPublicKeys);
            expect(env(container).BACKUP_SIGNING_KEY_ID, container.name).toBeUndefined();
        }
        // The redis image has no openssl: those pods get the postgres image's, on PATH last.
        const inits = (job: string) =>
            (pods[job].initContainers as Obj[]).map((c) => `${c.name} ${c.image}`);
        expect(inits("redis-backup")).toEqual([
            "aws-cli amazon/aws-cli:2.17.0",
            "openssl postgres:15.13-bookworm",
        ]);
        expect(inits("backup-verify")).toContain("openssl postgres:15.13-bookworm");
        expect(inits("postgres-backup")).toEqual(["aws-cli amazon/aws-cli:2.17.0"]);
        expect(env(pods["redis-backup"].containers[0]).PATH).toMatch(/:\/opt\/tools\/bin$/);
    });

    it("allows HTTPS to public addresses only, and the API server only to app-data-backup", async () => {
        const recorded = await recordResources(() => new BackupJobs("backup-jobs", jobsArgs));
        const policies = Object.fromEntries(
            recorded
                .ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                .map((r) => [(r.inputs.metadata as Obj).name, r.inputs.spec as Obj]),
        );
        const https = (policies["backup-jobs"].egress as Obj[]).filter((rule) =>
            (rule.ports as Obj[]).some((p) => p.port === 443),
        );
        expect(https).toEqual([
            {
                to: [
                    {
                        ipBlock: {
                            cidr: "0.0.0.0/0",
                            except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
                        },
                    },
                ],
                ports: [{ protocol: "TCP", port: 443 }],
            },
        ]);
        const api = policies["backup-jobs-kubernetes-api"];
        expect(api.podSelector.matchLabels).toEqual({
            "app.kubernetes.io/component": "backup",
            "app.kubernetes.io/name": "app-data-backup",
        });
        expect(api.policyTypes).toEqual(["Egress"]);
        expect(api.egress).toEqual([
            {
                to: [
                    { ipBlock: { cidr: "10.0.0.0/8" } },
                    { ipBlock: { cidr: "172.16.0.0/12" } },
                    { ipBlock: { cidr: "192.168.0.0/16" } },
                ],
                ports: [{ protocol: "TCP", port: 443 }],
            },
        ]);
    });
});

describe("the peer stack's signing key and roles", () => {
    const pem = () =>
        crypto
            .generateKeyPairSync("ec", { namedCurve: "P-256" })
            .publicKey.export({ type: "spki", format: "pem" })
            .toString();

    it("is backups.peerStack, or else the stack production replicates to", () => {
        expect(backupPeerStack({ peerStack: "production" })).toBe("production");
        expect(backupPeerStack({ replication: { fromStack: "dr" } })).toBe("dr");
        expect(backupPeerStack({ peerStack: "x", replication: { fromStack: "dr" } })).toBe("x");
        expect(backupPeerStack({})).toBeUndefined();
    });

    it("trusts this stack's key and the peer's, once each, and nothing the peer has not exported", async () => {
        const [own, theirs] = [pem(), pem()];
        const bundle = (peer?: string) =>
            new Promise<string>((resolve) => trustedSigningKeys(own, peer).apply(resolve));
        expect(await bundle(theirs)).toBe(`${own.trim()}\n${theirs.trim()}\n`);
        expect(await bundle(undefined)).toBe(`${own.trim()}\n`);
        expect(await bundle(own)).toBe(`${own.trim()}\n`);
        expect(publicKeyPem(theirs)).toBe(theirs);
        expect(publicKeyPem(undefined)).toBeUndefined();
        expect(publicKeyPem("not a key")).toBeUndefined();
        expect(stringList(["a", 1, "b"])).toEqual(["a", "b"]);
        expect(stringList(undefined)).toEqual([]);
    });
});
