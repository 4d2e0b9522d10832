import * as aws from "@pulumi/aws";
import * as ipaddr from "ipaddr.js";
import { z } from "zod";
import { parseCron } from "../../contracts/cron";

/**
 * Reusable field schemas. Each states what it expects in the words the user will read
 * after `expected`, so a bad value produces a message that explains the fix.
 */

const awsRegions: readonly string[] = Object.values(aws.Region);

/** An AWS region known to the AWS provider, e.g. `us-east-1`. */
export const awsRegion = z.string().refine((value) => awsRegions.includes(value), {
    message: "expected an AWS region such as us-east-1 or us-west-2",
});

/** An IPv4 CIDR block in canonical form (`10.0.0.0/16`, host bits zero). */
export const ipv4Cidr = z
    .string()
    .refine(
        (value) =>
            ipaddr.IPv4.isValidCIDR(value) &&
            ipaddr.IPv4.networkAddressFromCIDR(value).toString() === value.split("/")[0],
        {
            message:
                "expected an IPv4 CIDR block such as 10.0.0.0/16 (network address, prefix 0-32)",
        },
    );

/**
 * A Kubernetes CronJob schedule: five fields (minute hour day-of-month month day-of-week)
 * or a macro such as `@hourly`. Six-field (seconds) expressions are rejected because the
 * CronJob controller does not accept them.
 */
export const cronSchedule = z.string().refine(
    (value) => {
        try {
            parseCron(value);
            return true;
        } catch {
            return false;
        }
    },
    { message: 'expected a 5-field cron schedule such as "0 * * * *" or a macro such as @daily' },
);

/** A Kubernetes resource quantity for CPU, e.g. `500m` or `2`. */
export const cpuQuantity = z
    .string()
    .regex(/^(\d+(\.\d+)?|\d+m)$/, { message: 'expected a CPU quantity such as "500m" or "2"' });

/** A Kubernetes resource quantity for memory, e.g. `512Mi` or `4Gi`. */
export const memoryQuantity = z.string().regex(/^\d+(\.\d+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/, {
    message: 'expected a memory quantity such as "512Mi" or "4Gi"',
});

/** A container image pinned by tag or digest, never `latest` and never untagged. */
export const pinnedImage = z.string().refine(
    (value) => {
        if (/@sha256:[0-9a-f]{64}$/.test(value)) return true;
        const lastSegment = value.split("/").pop() ?? "";
        const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
        return tag !== undefined && tag !== "" && tag !== "latest";
    },
    { message: "expected an image pinned by tag or digest (never :latest or untagged)" },
);

/** A DNS hostname such as `api.mcp-production.com` (no scheme, no port). */
export const hostname = z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
        message: "expected a DNS hostname such as api.example.com (no scheme, no port)",
    });

/** An IAM role ARN. */
export const iamRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
    message: "expected an IAM role ARN such as arn:aws:iam::123456789012:role/platform-admin",
});

/** A positive whole number, e.g. a replica count or a size in GiB. */
export const positiveInt = z.number().int().positive();

/**
 * The first part of a globally unique S3 bucket name: the program appends the account id and
 * the region (`<prefix>-123456789012-us-east-1`), so the whole stays within S3's 63
 * characters for every region (the longest names are 14 characters).
 */
export const s3BucketPrefix = z.string().regex(/^[a-z0-9][a-z0-9-]{1,33}[a-z0-9]$/, {
    message:
        "expected a bucket name prefix of 3-35 lowercase letters, digits and '-' (the account id and region are appended)",
});
