import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ownBackupPrefix } from "../../contracts/backups";
import type { DrPosture } from "../../contracts/dr-posture";
import { backupCronJobNames, backupPrefixes, dataNamespace } from "../../contracts/names";
import type { OidcIdentity } from "../kit/irsa";
import { IrsaRole } from "../kit/irsa-role";
import { backupSigning, keyPolicyContext, signingKeyPolicy } from "../kit/kms";
import type { BackupSchedules } from "./backup-jobs";
import { jobAccessPolicy } from "./backup-policies";

/** What one backup job may do in the backup bucket. */
export interface BackupJobAccess {
    /** Prefixes the job may touch (e.g. `["postgres"]`, `["dr/postgres"]`). */
    readonly prefixes: readonly string[];
    /** Writers may put (never delete); readers only get. */
    readonly access: "write" | "read";
}

/**
 * Each backup job's access, as the stack's posture decides it: the writers under the stack's
 * own prefixes (`dr/…` on the dr stack, so production's replication never overwrites them),
 * backup-verify reading the root it checks.
 */
export function backupJobAccess(
    posture: Pick<DrPosture, "backupRoot" | "verifyRoot">,
): Readonly<Record<keyof BackupSchedules, BackupJobAccess>> {
    const own = (kind: (typeof backupPrefixes)[number]) =>
        ownBackupPrefix(kind, posture.backupRoot);
    return {
        postgres: { prefixes: [own("postgres")], access: "write" },
        redis: { prefixes: [own("redis")], access: "write" },
        appData: { prefixes: [own("app-data")], access: "write" },
        verify: {
            prefixes: backupPrefixes.map((kind) => ownBackupPrefix(kind, posture.verifyRoot)),
            access: "read",
        },
    };
}

export interface BackupJobRolesArgs {
    readonly region: string;
    readonly bucketArn: pulumi.Input<string>;
    readonly kmsKeyArn: pulumi.Input<string>;
    /** The cluster's OIDC identity (IRSA). */
    readonly oidc: OidcIdentity;
    /** The stack's DR posture: which prefixes the jobs write and verify reads. */
    readonly posture: Pick<DrPosture, "backupRoot" | "verifyRoot">;
    /** @default "mcp-production" */
    readonly namespace?: string;
    /** Refuse to delete the signing key (`pulumi state unprotect <urn>` lifts it). @default true */
    readonly protect?: boolean;
}

/** The jobs that write backups, and so sign them. */
const signers = ["postgres", "redis", "appData"] as const;

/**
 * The IRSA role of each backup CronJob (`postgres-backup`, `redis-backup`, `app-data-backup`,
 * `backup-verify`), trusted by the job's ServiceAccount only and limited to its prefixes:
 * writers may put and read back, never delete; verify only reads. The AWS half of the
 * backups; `BackupJobs` declares the CronJobs that use them.
 *
 * And the backup signing key (ECC P-256, SIGN_VERIFY): only the three writers' roles may
 * sign with it (ops/backup-signing.sh signs every metadata.json and latest.json), so a dump,
 * metadata or pointer written by anyone else — another role, an operator, a leaked
 * credential — fails the check restore and verify run with its public key. The public key is
 * read at deploy time and pinned into the jobs.
 */
export class BackupJobRoles extends pulumi.ComponentResource {
    /** Each job's role, by its key in `backups.schedules`. */
    public readonly roleArns: Readonly<Record<keyof BackupSchedules, pulumi.Output<string>>>;
    public readonly signingKeyArn: pulumi.Output<string>;
    /** The signing key's public key (PEM): what restore and verify trust. */
    public readonly signingPublicKeyPem: pulumi.Output<string>;

    constructor(name: string, args: BackupJobRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:data:BackupJobRoles", name, {}, opts);
        const namespace = args.namespace ?? dataNamespace;
        const plan = backupJobAccess(args.posture);
        // These roles were children of BackupJobs of the same name: the alias keeps them.
        const formerParent = pulumi.createUrn(name, "mcp-platform:data:BackupJobs");
        const role = (key: keyof BackupSchedules) => {
            const jobName = backupCronJobNames[key];
            return new IrsaRole(
                `${name}-${jobName}`,
                {
                    oidc: args.oidc,
                    serviceAccount: { namespace, name: jobName },
                    policy: pulumi
                        .all([args.bucketArn, args.kmsKeyArn])
                        .apply(([bucketArn, keyArn]) =>
                            jobAccessPolicy({
                                bucketArn,
                                keyArn,
                                region: args.region,
                                ...plan[key],
                            }),
                        ),
                },
                { parent: this, aliases: [{ parent: formerParent }] },
            ).roleArn;
        };
        this.roleArns = {
            postgres: role("postgres"),
            redis: role("redis"),
            appData: role("appData"),
            verify: role("verify"),
        };

        const signerArns = pulumi.all(signers.map((key) => this.roleArns[key]));
        const signingKey = new aws.kms.Key(
            `${name}-signing-key`,
            {
                description:
                    "Signs the backups' metadata.json and latest.json (ops/backup-signing.sh)",
                keyUsage: "SIGN_VERIFY",
                customerMasterKeySpec: backupSigning.keySpec,
                // KMS rotates only symmetric encryption keys; a new signing key is a new
                // public key the readers must trust (docs/data.md, "Signed backups").
                enableKeyRotation: false,
                deletionWindowInDays: 30,
                policy: pulumi
                    .all([keyPolicyContext(args.region, this), signerArns])
                    .apply(([context, arns]) => signingKeyPolicy(context, arns)),
            },
            { parent: this, protect: args.protect ?? true },
        );
        this.signingKeyArn = signingKey.arn;
        this.signingPublicKeyPem = aws.kms.getPublicKeyOutput(
            { keyId: signingKey.arn },
            { parent: this },
        ).publicKeyPem;
        this.registerOutputs({
            roleArns: this.roleArns,
            signingKeyArn: this.signingKeyArn,
            signingPublicKeyPem: this.signingPublicKeyPem,
        });
    }
}
