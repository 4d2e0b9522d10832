import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { ResourceRecord } from "../../../tools/lib/records";
import { stackFileVariant, synth, type SynthResult } from "../../support/synth";

/**
 * The backups' trust boundaries in the stacks `npm run synth` writes (production, dr on standby,
 * dr activated from a dump): Object Lock in COMPLIANCE mode, the bucket policy pinning the key,
 * decrypt limited to named roles, the signing key only the writers may use, the public keys
 * the readers trust, and the jobs' HTTPS egress. test/iam evaluates the same policies against
 * the callers' requests.
 */

type Obj = Record<string, any>;
const writers = ["postgres-backup", "redis-backup", "app-data-backup"];
const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
const pemBlocks = (text: string) => text.match(/-----BEGIN PUBLIC KEY-----/g)?.length ?? 0;

function one(records: ResourceRecord[], type: string, name: string): ResourceRecord {
    const found = records.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name}`).toHaveLength(1);
    return found[0];
}
const statementsOf = (record: ResourceRecord): Obj[] =>
    JSON.parse(String(record.inputs.policy)).Statement as Obj[];
const actionsOf = (statement: Obj): string[] => [statement.Action].flat();
/** What the mocks answer for a role's ARN (tools/lib/mocks.ts). */
const mockArn = (region: string, logical: string) =>
    `arn:aws:iam:${region}:123456789012:${logical}`;

const variants: [string, string, () => SynthResult][] = [
    ["production", "us-east-1", () => synth("production")],
    ["dr", "us-west-2", () => synth("dr")],
    [
        "dr-active",
        "us-west-2",
        () =>
            synth("dr", {
                stackFile: stackFileVariant("dr", (d) => {
                    d.config["mcp-platform:drActive"] = true;
                    (d.config["mcp-platform:backups"] as Obj).restore.from = "dump";
                }),
            }),
    ],
];

describe.each(variants)("backup trust boundaries in the %s synth", (variant, region, run) => {
    let result: SynthResult;
    let records: ResourceRecord[];
    const manifest = (file: string) => parse(result.read(`k8s/mcp-production/${file}`)) as Obj;
    beforeAll(() => {
        result = run();
        expect(result.status, result.stderr.slice(-2000)).toBe(0);
        records = result.resources();
    });

    it("locks every new version in COMPLIANCE mode for 7 days", () => {
        const lock = one(
            records,
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
            "backups-object-lock",
        ).inputs;
        expect(lock.rule).toEqual({ defaultRetention: { mode: "COMPLIANCE", days: 7 } });
    });

    it("refuses uploads under any key but the bucket's", () => {
        const sse = one(
            records,
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "backups-encryption",
        ).inputs as Obj;
        const key = sse.rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId;
        const alias = one(records, "aws:kms/alias:Alias", "backups-key").inputs.name;
        const pin = statementsOf(
            one(records, "aws:s3/bucketPolicy:BucketPolicy", "backups-policy"),
        ).find((s) => s.Sid === "DenyObjectsUnderAnotherKey");
        expect(pin).toMatchObject({ Effect: "Deny", Principal: "*", Action: "s3:PutObject" });
        expect(
            pin!.Condition.StringNotEquals["s3:x-amz-server-side-encryption-aws-kms-key-id"],
        ).toEqual([key, `arn:aws:kms:${region}:123456789012:${String(alias)}`]);
    });

    it("lets only named roles decrypt the backups; the account keeps administration, not use", () => {
        const policy = one(records, "aws:kms/keyPolicy:KeyPolicy", "backups-key-policy");
        expect(policy.inputs.keyId).toBe("key-backups-key");
        const statements = statementsOf(policy);
        for (const statement of statements) {
            const decrypts = actionsOf(statement).some((a) => /^kms:(\*|Decrypt)/.test(a));
            if (decrypts) expect(statement.Sid).toBe("NamedRolesDecryptThroughS3");
        }
        const named = statements.find((s) => s.Sid === "NamedRolesDecryptThroughS3")!;
        const own = (logical: string) => mockArn(region, logical);
        const expected = [
            ...writers.map((job) => own(`backup-jobs-${job}-role`)),
            own("backup-jobs-backup-verify-role"),
            "arn:aws:iam::111111111111:role/platform-admin",
            ...(variant === "production"
                ? [own("backups-replication-role")]
                : [
                      own("postgres-restore-role-role"),
                      own("wal-archive-role-role"),
                      own("wal-archive-check-role-role"),
                      // Production's WAL archive roles, read from its outputs.
                      "arn:aws:iam::123456789012:role/wal-archive-role-role",
                      "arn:aws:iam::123456789012:role/wal-archive-check-role-role",
                  ]),
        ].sort();
        expect(named.Condition.ArnEquals["aws:PrincipalArn"]).toEqual(expected);
        // The key the bucket starts with ignores its inline policy from then on.
        const key = one(records, "aws:kms/key:Key", "backups-key");
        expect(key.options?.ignoreChanges ?? []).toContain("policy");
    });

    it("lets only the three writers sign, and pins the public key into every reader", () => {
        const key = one(records, "aws:kms/key:Key", "backup-jobs-signing-key");
        expect(key.inputs).toMatchObject({
            keyUsage: "SIGN_VERIFY",
            customerMasterKeySpec: "ECC_NIST_P256",
        });
        const signers = statementsOf(key).filter((s) =>
            actionsOf(s).some((a) => /^kms:(\*|Sign)/.test(a)),
        );
        expect(signers).toHaveLength(1);
        expect(signers[0].Principal.AWS).toEqual(
            writers.map((job) => mockArn(region, `backup-jobs-${job}-role`)).sort(),
        );

        const containers = (file: string) => {
            const object = manifest(file);
            const pod = (object.spec.jobTemplate ?? object).spec.template.spec;
            return [...pod.containers] as Obj[];
        };
        const env = (container: Obj) =>
            Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
        const ownKey = JSON.parse(result.read("outputs.json")).backupSigningPublicKey as string;
        expect(pemBlocks(ownKey)).toBe(1);
        for (const job of [...writers, "backup-verify"]) {
            for (const container of containers(`cronjob-${job}.yaml`)) {
                const trusted = String(env(container).BACKUP_TRUSTED_KEYS);
                // This stack's key and the peer's (production: dr; dr: production).
                expect(pemBlocks(trusted), `${job}/${container.name}`).toBe(2);
                expect(trusted.startsWith(ownKey.trim())).toBe(true);
                expect(env(container).BACKUP_SIGNING_KEY_ID !== undefined).toBe(
                    writers.includes(job),
                );
            }
        }
        if (variant === "dr-active") {
            const [restore] = containers("job-postgres-restore-activation-latest.yaml");
            expect(pemBlocks(String(env(restore).BACKUP_TRUSTED_KEYS))).toBe(2);
            expect(Object.keys(manifest("configmap-postgres-restore-scripts.yaml").data)).toContain(
                "backup-signing.sh",
            );
        }
    });

    it("lets the backup jobs use HTTPS to public addresses only, and kubectl reach the API", () => {
        const jobs = manifest("networkpolicy-backup-jobs.yaml").spec;
        const https = (jobs.egress as Obj[]).filter((r) =>
            (r.ports as Obj[]).some((p) => p.port === 443),
        );
        expect(https).toEqual([
            {
                to: [{ ipBlock: { cidr: "0.0.0.0/0", except: privateRanges } }],
                ports: [{ protocol: "TCP", port: 443 }],
            },
        ]);
        const api = manifest("networkpolicy-backup-jobs-kubernetes-api.yaml").spec;
        expect(api.podSelector.matchLabels["app.kubernetes.io/name"]).toBe("app-data-backup");
        expect(api.egress[0].to.map((p: Obj) => p.ipBlock.cidr)).toEqual(privateRanges);
    });
});
