import * as pulumi from "@pulumi/pulumi";
import { ownBackupPrefix } from "../../contracts/backups";
import type { DrPosture } from "../../contracts/dr-posture";
import { backupCronJobNames, backupPrefixes, dataNamespace } from "../../contracts/names";
import type { OidcIdentity } from "../kit/irsa";
import { IrsaRole } from "../kit/irsa-role";
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
}

/**
 * The IRSA role of each backup CronJob (`postgres-backup`, `redis-backup`, `app-data-backup`,
 * `backup-verify`), trusted by the job's ServiceAccount only and limited to its prefixes:
 * writers may put and read back, never delete; verify only reads. The AWS half of the
 * backups; `BackupJobs` declares the CronJobs that use them.
 */
export class BackupJobRoles extends pulumi.ComponentResource {
    /** Each job's role, by its key in `backups.schedules`. */
    public readonly roleArns: Readonly<Record<keyof BackupSchedules, pulumi.Output<string>>>;

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
        this.registerOutputs({ roleArns: this.roleArns });
    }
}
