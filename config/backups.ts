import { stackReference } from "./lib/stack-ref";
import { z } from "zod";
import { containerResources } from "./lib/resources";
import { cronSchedule, memoryQuantity, pinnedImage, s3BucketPrefix } from "./lib/validators";

/**
 * `mcp-platform:backups` — the backup CronJobs, the S3 bucket they write to and the restore
 * used at DR activation (docs/data.md). Figures from the operations procedures: RPO 1 h, the
 * daily/weekly/monthly schedules and retentions, the CronJob names.
 */

/**
 * A tier rule: a 5-field cron expression whose fields are `*` or comma-separated numbers,
 * month `*`, and not both day-of-month and day-of-week restricted. The backup scripts match
 * it against the time a run starts (ignoring the minute), so it must stay that simple.
 */
export const tierRule = cronSchedule.superRefine((value, ctx) => {
    const fields = value.trim().split(/\s+/);
    const simple = /^(\*|\d{1,2}(,\d{1,2})*)$/;
    if (fields.length !== 5 || !fields.every((f) => simple.test(f))) {
        ctx.addIssue({
            code: "custom",
            input: value,
            message:
                'expected fields that are "*" or numbers such as "0 3 * * 0" (no ranges, steps or names)',
        });
        return;
    }
    if (fields[3] !== "*") {
        ctx.addIssue({ code: "custom", input: value, message: 'expected month "*"' });
    }
    if (fields[2] !== "*" && fields[4] !== "*") {
        ctx.addIssue({
            code: "custom",
            input: value,
            message: "expected day-of-month or day-of-week restricted, not both",
        });
    }
});

const days = z.number().int().min(1).max(36500);

/** A UTC backup timestamp as the scripts write it, e.g. 20260101T020000Z. */
export const backupStamp = z.string().regex(/^\d{8}T\d{6}Z$/, {
    message: 'expected "latest" or a backup timestamp such as 20260101T020000Z',
});

const s3BucketArn = z.string().regex(/^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
    message: "expected an S3 bucket ARN such as arn:aws:s3:::mcp-platform-backups-dr",
});
/** A KMS key ARN or an alias ARN (S3 replication accepts both). */
export const kmsKeyOrAliasArn = z
    .string()
    .regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key\/[0-9a-f-]{36}|key\/mrk-[0-9a-f]{32}|alias\/[\w/-]+)$/,
        {
            message:
                "expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) or alias ARN (...:alias/<name>)",
        },
    );

export const backupsSchema = z
    .strictObject({
        schedules: z.strictObject({
            /** `postgres-backup`: pg_dump of mcp_db. Hourly meets the 1 h RPO. */
            postgres: cronSchedule,
            /** `app-data-backup`: the application data archive. */
            appData: cronSchedule,
            /** `redis-backup`: RDB snapshot. @default "30 * * * *" */
            redis: cronSchedule.default("30 * * * *"),
            /** `backup-verify`: restores the latest dumps and compares. @default "30 5 * * *" */
            verify: cronSchedule.default("30 5 * * *"),
        }),
        /**
         * Which runs count as daily, weekly and monthly backups (the runbooks' schedule). A run
         * that matches none is hourly. @default daily "0 2 * * *", weekly "0 3 * * 0",
         * monthly "0 4 1 * *"
         */
        tiers: z
            .strictObject({
                daily: tierRule.default("0 2 * * *"),
                weekly: tierRule.default("0 3 * * 0"),
                monthly: tierRule.default("0 4 1 * *"),
            })
            .prefault({}),
        /**
         * Days each tier is kept (lifecycle rules per prefix). @default hourly 2 (RPO 1 h),
         * daily 7, weekly 30, monthly 365
         */
        retentionDays: z
            .strictObject({
                hourly: days.default(2),
                daily: days.default(7),
                weekly: days.default(30),
                monthly: days.default(365),
            })
            .prefault({}),
        /** Monthly backups move to a colder class (the runbooks' "archive"). */
        archive: z
            .strictObject({
                /** @default 30 */
                afterDays: days.default(30),
                /** GLACIER_IR keeps restores instant. @default "GLACIER_IR" */
                storageClass: z
                    .enum(["STANDARD_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"])
                    .default("GLACIER_IR"),
            })
            .prefault({}),
        /**
         * S3 Object Lock default retention of every object version, replicas included (they
         * carry the source version's lock): for this long no one can delete or overwrite it or
         * shorten its lock — in COMPLIANCE mode not an administrator, not the account root;
         * GOVERNANCE lets anyone with s3:BypassGovernanceRetention do so. At most
         * `retentionDays.daily`: a version lives max(lock, tier retention). @default
         * COMPLIANCE, 7 days (a week of backups survives a compromised account)
         */
        objectLock: z
            .strictObject({
                mode: z.enum(["GOVERNANCE", "COMPLIANCE"]).default("COMPLIANCE"),
                days: days.default(7),
            })
            .prefault({}),
        /**
         * Bucket name prefix; the account id and region are appended, so the name is globally
         * unique and stable for the other stack to refer to. @default auto-named
         */
        bucketPrefix: s3BucketPrefix.optional(),
        /**
         * Production only: replicate every backup to the dr stack's bucket with Replication
         * Time Control (15 min). `fromStack` reads the destination from the dr stack's
         * outputs (`backupBucketArn`, `backupKmsAliasArn`) through a StackReference; the ARNs
         * can be given instead. Leave it unset for production's first deploy, before the dr
         * stack exists (docs/dr.md, "First deploy order").
         */
        replication: z
            .strictObject({
                fromStack: stackReference.optional(),
                destinationBucketArn: s3BucketArn.optional(),
                destinationKmsKeyArn: kmsKeyOrAliasArn.optional(),
            })
            .superRefine((r, ctx) => {
                const arns = [r.destinationBucketArn, r.destinationKmsKeyArn].filter(Boolean);
                if ((r.fromStack === undefined) === (arns.length === 0) || arns.length === 1) {
                    ctx.addIssue({
                        code: "custom",
                        path: [],
                        input: r,
                        message:
                            "expected either fromStack (the dr stack, e.g. dr) or both destinationBucketArn and destinationKmsKeyArn",
                    });
                }
            })
            .optional(),
        /**
         * The other stack of the DR pair, read through a StackReference: its backup signing
         * key is trusted besides this stack's (restoring its backups, a failback, verifying
         * its replicated ones) and, on the dr stack, its WAL archive's roles may decrypt with
         * this bucket's key. The dr stack: `production`. @default `replication.fromStack`
         */
        peerStack: stackReference.optional(),
        /** The restore Job of DR activation (dr stack with drActive: true). */
        restore: z
            .strictObject({
                /**
                 * What activation restores from: "archive" promotes the standby that replays
                 * the WAL archive (RPO ≤ 60 s, minutes at any size); "dump" loads the latest
                 * replicated pg_dump instead, the fallback when the archive is unusable
                 * (docs/dr.md). @default "archive"
                 */
                from: z.enum(["archive", "dump"]).default("archive"),
                /** "latest" or a backup timestamp. @default "latest" */
                source: z.union([z.literal("latest"), backupStamp]).default("latest"),
                /**
                 * Part of the Job's name: change it to run the restore again during one
                 * activation. @default "activation"
                 */
                activationId: z
                    .string()
                    .regex(/^[a-z0-9]([-a-z0-9]{0,14}[a-z0-9])?$/, {
                        message:
                            "expected up to 16 lowercase letters, digits and '-' such as 2026-01-15",
                    })
                    .default("activation"),
            })
            .prefault({}),
        /** Images of the backup jobs besides the data stores' own (which run pg_dump, redis-cli). */
        images: z.strictObject({
            /** Provides the AWS CLI v2 (copied into each job by an init container). */
            awsCli: pinnedImage,
            /** Provides kubectl and bash for exporting the application objects. */
            kubectl: pinnedImage,
        }),
        /** Requests and limits of the backup and restore containers. */
        resources: containerResources,
        /** Requests and limits of backup-verify (it runs a scratch PostgreSQL). */
        verifyResources: containerResources,
        /** emptyDir size for dumps and the scratch database. @default "20Gi" */
        scratchSize: memoryQuantity.default("20Gi"),
        /** backup-verify fails when the latest backup is older than this. @default 120 */
        verifyMaxAgeMinutes: z.number().int().min(60).max(10080).default(120),
    })
    .superRefine((b, ctx) => {
        const r = b.retentionDays;
        if (b.objectLock.days > r.daily) {
            ctx.addIssue({
                code: "custom",
                path: ["objectLock", "days"],
                input: b.objectLock.days,
                message: `expected at most retentionDays.daily (${r.daily}); a longer lock keeps every hourly and daily backup version, unremovable, that long`,
            });
        }
        if (b.archive.afterDays >= r.monthly) {
            ctx.addIssue({
                code: "custom",
                path: ["archive", "afterDays"],
                input: b.archive.afterDays,
                message: `expected fewer days than retentionDays.monthly (${r.monthly})`,
            });
        }
        if (b.archive.storageClass === "STANDARD_IA" && b.archive.afterDays < 30) {
            ctx.addIssue({
                code: "custom",
                path: ["archive", "afterDays"],
                input: b.archive.afterDays,
                message: "expected at least 30 days before a STANDARD_IA transition (an S3 rule)",
            });
        }
    });
