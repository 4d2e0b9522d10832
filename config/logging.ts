import { z } from "zod";
import { pinnedImage } from "./lib/validators";

/**
 * `mcp-platform:logging` — cluster-wide log collection (Fluent Bit on every node) into
 * CloudWatch Logs: one KMS-encrypted log group per namespace, kept `retentionDays`, searched
 * with saved Logs Insights queries (structured JSON logs; the runbooks' `mcp logs` searches).
 */

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy `retentionInDays`). */
export const cloudWatchRetentionDays = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
] as const;

/** Namespaces that get a log group of their own unless the stack lists others. */
export const defaultLoggedNamespaces = [
    "mcp-production",
    "mcp-system",
    "mcp-platform",
    "monitoring",
    "logging",
    "kube-system",
] as const;

/** The Fluent Bit release the collector runs: the official image on Docker Hub (cached by ECR, docs/cluster.md), pinned by tag. */
export const defaultCollectorImage = "fluent/fluent-bit:5.1.1";

const namespaceName = z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
    message: "expected a Kubernetes namespace name (lowercase DNS label) such as mcp-production",
});

export const loggingSchema = z
    .strictObject({
        /**
         * Days each log group keeps its events, then deletes them (the runbooks delete
         * after 30 days). Must be a value CloudWatch accepts. @default 30
         */
        retentionDays: z
            .number()
            .int()
            .refine((days) => (cloudWatchRetentionDays as readonly number[]).includes(days), {
                message: `expected a CloudWatch retention in days: one of ${cloudWatchRetentionDays.join(", ")}`,
            })
            .default(30),
        /**
         * Namespaces whose containers' logs go to a log group of their own
         * (`/mcp-platform/<stack>/<namespace>`). Logs of any other namespace still reach
         * CloudWatch, in `/mcp-platform/<stack>/_other`. @default the platform's namespaces
         */
        namespaces: z
            .array(namespaceName)
            .min(1)
            .refine((names) => new Set(names).size === names.length, {
                message: "expected each namespace once",
            })
            .default([...defaultLoggedNamespaces]),
        /**
         * The saved "slow requests" query lists requests whose `duration_ms` exceeds this
         * (500 ms–1 s counts as degraded; HighResponseTimeP95 fires above 500 ms). @default 500
         */
        slowRequestThresholdMs: z.number().int().min(1).max(600_000).default(500),
        /** The Fluent Bit image on every node. @default defaultCollectorImage */
        collectorImage: pinnedImage.default(defaultCollectorImage),
    })
    .default({
        retentionDays: 30,
        namespaces: [...defaultLoggedNamespaces],
        slowRequestThresholdMs: 500,
        collectorImage: defaultCollectorImage,
    });
