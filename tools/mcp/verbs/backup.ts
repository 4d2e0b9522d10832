import { backupCronJobNames, dataNamespace } from "../../../contracts/names";
import { pointerSchema, type BackupPointer } from "../../lib/dr/backup";
import type { PlatformConfig } from "../../../config";
import {
    CliError,
    exitCodes,
    formatAge,
    jsonOption,
    jsonOptionHelp,
    parseCount,
    parseDuration,
    parseVerbArgs,
    table,
    UsageError,
} from "../lib/cli";
import { type Io, kubeFor, kubeOptionHelp, kubeOptions, stackContext } from "../lib/context";
import { createJobFromCronJob, waitForJob } from "../lib/kube";
import { stackOutput } from "../lib/outputs";
import { Bucket } from "../lib/s3";
import type { Verb } from "./verb";
import { ownBackupPrefix, staleAfterSeconds } from "../../../contracts/backups";

/** The kinds of backup: bucket prefix, schedule key in `backups.schedules`, CronJob. */
export const backupKinds = {
    postgres: { prefix: "postgres", schedule: "postgres", cronjob: backupCronJobNames.postgres },
    redis: { prefix: "redis", schedule: "redis", cronjob: backupCronJobNames.redis },
    "app-data": { prefix: "app-data", schedule: "appData", cronjob: backupCronJobNames.appData },
} as const;
type Kind = keyof typeof backupKinds;

function kindOf(name: string | undefined): Kind {
    const kind = name ?? "postgres";
    if (!(kind in backupKinds)) {
        throw new UsageError(
            `unknown backup kind "${kind}"; expected ${Object.keys(backupKinds).join(", ")}`,
        );
    }
    return kind as Kind;
}

/**
 * Where a kind's backups are in the stack's bucket: `postgres/…`; on the standby stack once
 * activated, its own `dr/postgres/…` (before that its CronJobs are suspended and the bucket
 * holds production's replicated backups under `postgres/…`).
 */
function ownPrefix(cfg: PlatformConfig, kind: Kind): string {
    return ownBackupPrefix(backupKinds[kind].prefix, cfg.dr.verifyRoot);
}

export interface KindStatus {
    readonly kind: Kind;
    readonly pointer: string;
    readonly healthy: boolean;
    readonly problem?: string;
    readonly key?: string;
    readonly timestamp?: string;
    readonly ageSeconds?: number;
    readonly maxAgeSeconds: number;
    readonly size?: number;
    readonly storedSize?: number;
}

async function readPointer(bucket: Bucket, key: string): Promise<BackupPointer | string> {
    const text = await bucket.text(key);
    if (text === undefined)
        return `no pointer s3://${bucket.name}/${key}: no backup has been published`;
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch {
        return `s3://${bucket.name}/${key} is not JSON`;
    }
    const parsed = pointerSchema.safeParse(json);
    if (!parsed.success) {
        return `s3://${bucket.name}/${key} is not a pointer {key, timestamp, sha256, size}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
    }
    return parsed.data;
}

async function kindStatus(
    cfg: PlatformConfig,
    bucket: Bucket,
    kind: Kind,
    now: number,
): Promise<KindStatus> {
    const pointerKey = `${ownPrefix(cfg, kind)}/latest.json`;
    const schedule =
        cfg.backups.schedules[backupKinds[kind].schedule as keyof typeof cfg.backups.schedules];
    const maxAgeSeconds = staleAfterSeconds(schedule, cfg.monitoring.backupStaleGrace);
    const base = { kind, pointer: `s3://${bucket.name}/${pointerKey}`, maxAgeSeconds };
    const pointer = await readPointer(bucket, pointerKey);
    if (typeof pointer === "string") return { ...base, healthy: false, problem: pointer };
    const ageSeconds = Math.round((now - Date.parse(pointer.timestamp)) / 1000);
    const storedSize = await bucket.size(pointer.key);
    const problem =
        storedSize === undefined
            ? `the pointer names s3://${bucket.name}/${pointer.key}, which does not exist`
            : storedSize !== pointer.size
              ? `s3://${bucket.name}/${pointer.key} has ${storedSize} bytes, the pointer says ${pointer.size}`
              : ageSeconds > maxAgeSeconds
                ? `the newest backup is ${formatAge(ageSeconds * 1000)} old (more than ${formatAge(maxAgeSeconds * 1000)}: schedule "${schedule}" plus ${cfg.monitoring.backupStaleGrace})`
                : undefined;
    return {
        ...base,
        healthy: problem === undefined,
        problem,
        key: pointer.key,
        timestamp: pointer.timestamp,
        ageSeconds,
        size: pointer.size,
        storedSize,
    };
}

async function bucketFor(
    cfg: PlatformConfig,
    values: { bucket?: string; "s3-endpoint-url"?: string },
    io: Io,
) {
    const name =
        values.bucket ??
        io.env.MCP_BACKUP_BUCKET ??
        (await stackOutput(
            cfg.stack,
            "backupBucketName",
            "pass --bucket (or set MCP_BACKUP_BUCKET)",
        ));
    return Bucket.of(name, cfg.region, values["s3-endpoint-url"], io);
}

const s3OptionHelp = [
    {
        flag: "--bucket NAME",
        text: "the backup bucket (default: $MCP_BACKUP_BUCKET, else the stack output backupBucketName)",
    },
    { flag: "--s3-endpoint-url URL", text: "another S3 endpoint (default: $S3_ENDPOINT_URL)" },
];

export const backup: Verb = {
    name: "backup",
    help: {
        synopsis: [
            "mcp backup status [--json]",
            "mcp backup list [postgres|redis|app-data] [--limit 20] [--json]",
            "mcp backup verify [postgres|redis|app-data] [--key KEY] [--restore [--wait]] [--json]",
            "mcp backup create [postgres|redis|app-data] [--name NAME] [--wait]",
        ],
        summary:
            "The backups in the stack's bucket: status reads each kind's latest pointer (age against its schedule plus monitoring.backupStaleGrace, the stored size against the pointer); list lists them; verify downloads one and checks its sha256 and size (--restore also runs the backup-verify CronJob's restore test as a Job); create runs the kind's backup CronJob now, as `kubectl create job --from=cronjob/...`.",
        options: [
            ...s3OptionHelp,
            { flag: "--limit N", text: "list: newest N objects (default 20)" },
            { flag: "--key KEY", text: "verify: this object instead of the latest pointer's" },
            { flag: "--restore", text: "verify: also run a Job from cronjob/backup-verify" },
            {
                flag: "--name NAME",
                text: "create: the Job's name (default <cronjob>-manual-<UTC stamp>)",
            },
            { flag: "--wait", text: "create, verify --restore: wait for the Job to finish" },
            { flag: "--timeout DURATION", text: "how long --wait waits (default 30m)" },
            ...kubeOptionHelp,
            jsonOptionHelp,
        ],
        notes: [
            "Exit codes: 0 fresh / verified / done; 1 a backup is missing, stale or corrupt, or the Job failed; 2 usage; 3 S3 or the cluster unreachable.",
        ],
    },
    async run(argv, io: Io) {
        const { values, positionals } = parseVerbArgs(argv, {
            ...kubeOptions,
            ...jsonOption,
            bucket: { type: "string" },
            "s3-endpoint-url": { type: "string" },
            limit: { type: "string" },
            key: { type: "string" },
            restore: { type: "boolean" },
            name: { type: "string" },
            wait: { type: "boolean" },
            timeout: { type: "string" },
        });
        const [action, kindArg, ...extra] = positionals;
        if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
        const timeoutMs = parseDuration("--timeout", values.timeout ?? "30m");
        const { stack, cfg } = await stackContext(values.stack, io);
        switch (action) {
            case "status": {
                if (kindArg) throw new UsageError("status reports every kind; give no kind");
                const bucket = await bucketFor(cfg, values, io);
                const now = Date.now();
                const kinds: KindStatus[] = [];
                for (const kind of Object.keys(backupKinds) as Kind[])
                    kinds.push(await kindStatus(cfg, bucket, kind, now));
                const healthy = kinds.every((k) => k.healthy);
                if (values.json) {
                    io.out(JSON.stringify({ stack, bucket: bucket.name, healthy, kinds }, null, 2));
                } else {
                    io.out(`backups of the ${stack} stack in s3://${bucket.name}`);
                    for (const line of table([
                        ["kind", "newest", "age", "size", "state"],
                        ...kinds.map((k) => [
                            k.kind,
                            k.timestamp ?? "-",
                            k.ageSeconds === undefined ? "-" : formatAge(k.ageSeconds * 1000),
                            k.size === undefined ? "-" : String(k.size),
                            k.healthy ? "ok" : `PROBLEM: ${k.problem}`,
                        ]),
                    ]))
                        io.out(`  ${line}`);
                }
                return healthy ? exitCodes.ok : exitCodes.problem;
            }
            case "list": {
                const limit = parseCount("--limit", values.limit ?? "20", 1);
                const bucket = await bucketFor(cfg, values, io);
                const kinds = kindArg ? [kindOf(kindArg)] : (Object.keys(backupKinds) as Kind[]);
                const objects = [];
                for (const kind of kinds) {
                    for (const o of await bucket.list(`${ownPrefix(cfg, kind)}/`)) {
                        if (o.key.endsWith("/latest.json") || o.key.endsWith("/metadata.json"))
                            continue;
                        objects.push({ kind, ...o });
                    }
                }
                objects.sort((a, b) => b.key.localeCompare(a.key));
                const shown = objects.slice(0, limit);
                if (values.json) {
                    io.out(
                        JSON.stringify(
                            shown.map((o) => ({
                                kind: o.kind,
                                key: o.key,
                                size: o.size,
                                modified: o.modified?.toISOString(),
                            })),
                            null,
                            2,
                        ),
                    );
                } else if (shown.length === 0) {
                    io.out(
                        `no backups under ${kinds.map((k) => ownPrefix(cfg, k)).join(", ")} in s3://${bucket.name}`,
                    );
                } else {
                    for (const line of table([
                        ["kind", "key", "bytes"],
                        ...shown.map((o) => [o.kind, o.key, String(o.size)]),
                    ]))
                        io.out(line);
                }
                return exitCodes.ok;
            }
            case "verify": {
                const kind = kindOf(kindArg);
                const bucket = await bucketFor(cfg, values, io);
                let expected: { key: string; sha256?: string; size?: number };
                if (values.key) {
                    const metadataKey = values.key.replace(/[^/]+$/, "metadata.json");
                    const metadata = await bucket.text(metadataKey);
                    let parsed: { sha256?: string; size?: number } = {};
                    try {
                        parsed = metadata === undefined ? {} : JSON.parse(metadata);
                    } catch {
                        throw new CliError(
                            `s3://${bucket.name}/${metadataKey} is not JSON`,
                            "the backup's metadata is damaged; take a new backup (mcp backup create)",
                        );
                    }
                    if (!parsed.sha256) {
                        throw new CliError(
                            `no sha256 for ${values.key}: s3://${bucket.name}/${metadataKey} is missing or has none`,
                            "verify through the latest pointer instead (omit --key)",
                        );
                    }
                    expected = { key: values.key, sha256: parsed.sha256, size: parsed.size };
                } else {
                    const pointer = await readPointer(
                        bucket,
                        `${ownPrefix(cfg, kind)}/latest.json`,
                    );
                    if (typeof pointer === "string")
                        throw new CliError(pointer, `run a backup: mcp backup create ${kind}`);
                    expected = pointer;
                }
                const actual = await bucket.digest(expected.key);
                const problems = [];
                if (!actual) problems.push(`s3://${bucket.name}/${expected.key} does not exist`);
                else {
                    if (actual.sha256 !== expected.sha256)
                        problems.push(`sha256 is ${actual.sha256}, expected ${expected.sha256}`);
                    if (expected.size !== undefined && actual.size !== expected.size)
                        problems.push(`size is ${actual.size} bytes, expected ${expected.size}`);
                }
                const result = {
                    key: expected.key,
                    verified: problems.length === 0,
                    problems,
                    ...actual,
                };
                if (values.json) io.out(JSON.stringify(result, null, 2));
                else if (result.verified)
                    io.out(
                        `verified s3://${bucket.name}/${expected.key}: sha256 ${actual!.sha256}, ${actual!.size} bytes`,
                    );
                else io.out(`CORRUPT s3://${bucket.name}/${expected.key}: ${problems.join("; ")}`);
                if (!result.verified) return exitCodes.problem;
                if (values.restore) {
                    return runJob(
                        stack,
                        values,
                        io,
                        backupCronJobNames.verify,
                        values.name,
                        timeoutMs,
                    );
                }
                return exitCodes.ok;
            }
            case "create": {
                const kind = kindOf(kindArg);
                if (values.json) throw new UsageError("create prints no JSON");
                return runJob(stack, values, io, backupKinds[kind].cronjob, values.name, timeoutMs);
            }
            default:
                throw new UsageError(
                    action === undefined
                        ? "give status, list, verify or create"
                        : `unknown action "${action}"; expected status, list, verify or create`,
                );
        }
    },
};

async function runJob(
    stack: string,
    values: { kubeconfig?: string; context?: string; wait?: boolean },
    io: Io,
    cronjob: string,
    name: string | undefined,
    timeoutMs: number,
): Promise<number> {
    const stamp = new Date()
        .toISOString()
        .replace(/[-:]/g, "")
        .replace(/\..*$/, "")
        .replace("T", "-")
        .toLowerCase();
    const jobName = name ?? `${cronjob}-manual-${stamp}`;
    const kube = await kubeFor(stack, values, io);
    await createJobFromCronJob(kube, dataNamespace, cronjob, jobName);
    io.out(`created job/${jobName} in ${dataNamespace} from cronjob/${cronjob}`);
    if (!values.wait) {
        io.out(`follow it: kubectl -n ${dataNamespace} logs -f job/${jobName}`);
        return exitCodes.ok;
    }
    const ok = await waitForJob(kube, dataNamespace, jobName, timeoutMs);
    io.out(
        ok
            ? `job/${jobName} succeeded`
            : `job/${jobName} FAILED: kubectl -n ${dataNamespace} logs job/${jobName}`,
    );
    return ok ? exitCodes.ok : exitCodes.problem;
}
