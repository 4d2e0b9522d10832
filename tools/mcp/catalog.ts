import * as fs from "node:fs";
import * as path from "node:path";
import { certificateThresholds } from "../../contracts/monitoring";
import {
    commands as drCommands,
    descriptions as drDescriptions,
    optionSpecs as drOptions,
} from "../lib/dr/args";
import type { CommandHelp } from "../lib/cli/help";
import { type OptionSpecs, outputOptions } from "../lib/cli/options";

/**
 * Every `mcp` verb as the command line sees it: every usage form, its options and the words
 * that may follow it. `mcp --help`, `mcp <verb> --help`, the parser and `mcp completion`
 * read this file alone, so they answer without loading a verb's Kubernetes, AWS or Pulumi
 * clients; each verb in tools/mcp/verbs/ parses with its entry here.
 */
export interface VerbSpec {
    readonly name: string;
    readonly help: CommandHelp;
    /** The verb's own options; `--stack` and `-h/--help` are added to every verb. */
    readonly options: OptionSpecs;
    /** The actions it takes as its first word (`backup status|list|verify|create`). */
    readonly actions?: readonly string[];
    /** Other words completion offers (`postgres redis app-data`). */
    readonly words?: readonly string[];
}

const projectDir = path.resolve(__dirname, "..", "..");

/** The project's stacks: `Pulumi.<stack>.yaml` beside Pulumi.yaml. */
export function projectStacks(): string[] {
    return fs
        .readdirSync(projectDir)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

/** What every verb but `dr` takes besides its own options. */
export const commonOptions = {
    stack: {
        type: "string",
        value: "production|dr",
        help: "the stack to act on (default: $MCP_STACK, else the selected Pulumi stack)",
    },
    help: { type: "boolean", short: "h", help: "this help" },
} as const satisfies OptionSpecs;

/** The kubeconfig options of every verb that talks to the cluster. */
export const kubeOptions = {
    kubeconfig: {
        type: "string",
        value: "FILE",
        file: true,
        help: "kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)",
    },
    context: {
        type: "string",
        value: "NAME",
        help: "kubeconfig context (default: the one named after the stack, else the one of the stack's EKS cluster, else the current one)",
    },
    "kubeconfig-from-stack": {
        type: "boolean",
        help: "use the stack output kubeconfig (Pulumi) instead of a kubeconfig file",
    },
} as const satisfies OptionSpecs;

const timeout = (what: string, fallback: string) =>
    ({
        type: "string",
        value: "DURATION",
        help: `how long ${what} (default ${fallback}; 30s, 5m, 1h30m or seconds)`,
    }) as const;

const prometheusUrl = {
    type: "string",
    value: "URL",
    help: "Prometheus (default: $MCP_PROMETHEUS_URL, else http://127.0.0.1:9090, the port-forward)",
} as const;

const edgeUrl = {
    type: "string",
    value: "URL",
    help: "the edge (default: $MCP_EDGE_URL, else https://<edge.hostname>)",
} as const;

const s3Options = {
    bucket: {
        type: "string",
        value: "NAME",
        help: "the backup bucket (default: $MCP_BACKUP_BUCKET, else the stack output backupBucketName)",
    },
    "s3-endpoint-url": {
        type: "string",
        value: "URL",
        help: "another S3 endpoint (default: $S3_ENDPOINT_URL)",
    },
} as const satisfies OptionSpecs;

export const logLevels = ["debug", "info", "warn", "error"] as const;

export const health = {
    name: "health",
    help: {
        synopsis: [
            "mcp health [service] [--verbose] [-o json|yaml]",
            "mcp health [service] --wait [--timeout 5m]",
            "mcp health [--no-edge] [--no-cluster] [--edge-url URL] [--prometheus-url URL]",
        ],
        summary:
            "Checks the platform: the edge's /health/detailed (status, active region, maintenance, origins), every service's Deployment and the data StatefulSets (ready and updated pods), and, with --prometheus-url or $MCP_PROMETHEUS_URL, the scrape targets and firing critical alerts. With a service, only that service.",
        notes: [
            "Exit codes: 0 everything healthy; 1 something is unhealthy (each listed with what was",
            "seen); 2 usage; 3 a system could not be reached (no kubeconfig, cluster, edge or",
            "Prometheus down) and nothing that was reached is unhealthy.",
        ],
    },
    options: {
        verbose: { type: "boolean", help: "list every check, not only the unhealthy ones" },
        wait: { type: "boolean", help: "check again every 5s until healthy" },
        timeout: timeout("--wait waits", "5m"),
        "edge-url": edgeUrl,
        "no-edge": { type: "boolean", help: "skip the edge" },
        "no-cluster": {
            type: "boolean",
            help: "skip the Kubernetes checks (e.g. outside the stack's VPC)",
        },
        "prometheus-url": {
            ...prometheusUrl,
            help: "also ask Prometheus (default: $MCP_PROMETHEUS_URL; none)",
        },
        ...kubeOptions,
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const logs = {
    name: "logs",
    help: {
        synopsis: [
            "mcp logs [service] [--level error] [--since 1h] [--search TEXT] [--limit 100] [-o json|yaml]",
            'mcp logs [service] --filter "level:error OR level:warn" [--since 24h]',
            "mcp logs --request-id ID | --summary | --slow [--since 24h]",
            'mcp logs [service] -f [--level warn] [--search TEXT] [--filter "…"]',
        ],
        summary:
            "Searches the cluster's logs in CloudWatch Logs Insights (one log group per namespace, /mcp-platform/<stack>/<namespace>). --request-id, --summary (errors per service) and --slow run the saved queries request-trace, errors-by-service and slow-requests of docs/logging.md; -f follows new events.",
        notes: [
            "--filter takes terms field:value (level, service, request_id, message) or plain words",
            "(message contains), combined with AND (also implied by a space), OR, NOT and ( ).",
            "AWS credentials from the SDK's default chain; region of the stack. Exit 0 with results",
            "or none; 2 usage; 3 CloudWatch unreachable.",
        ],
    },
    options: {
        level: {
            type: "string",
            value: "LEVEL",
            choices: logLevels,
            help: "debug, info, warn or error: that level and above",
        },
        since: {
            type: "string",
            value: "DURATION",
            help: "how far back (default 1h; the saved queries' own range otherwise)",
        },
        search: { type: "string", value: "TEXT", help: "events whose message contains TEXT" },
        filter: {
            type: "string",
            value: "EXPR",
            help: 'events matching EXPR, e.g. "level:error OR level:warn" (see below)',
        },
        "request-id": {
            type: "string",
            value: "ID",
            help: "every event of one request (saved query request-trace)",
        },
        summary: {
            type: "boolean",
            help: "error-level events per service (saved query errors-by-service)",
        },
        slow: {
            type: "boolean",
            help: "requests slower than logging.slowRequestThresholdMs (saved query slow-requests)",
        },
        limit: { type: "string", value: "N", help: "at most N events, newest first (default 100)" },
        tail: { type: "string", value: "N", help: "the same as --limit N" },
        follow: { type: "boolean", short: "f", help: "keep printing new events (Ctrl-C stops)" },
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const backupKindWords = ["postgres", "redis", "app-data"] as const;

export const backup = {
    name: "backup",
    help: {
        synopsis: [
            "mcp backup status [-o json|yaml]",
            "mcp backup list [postgres|redis|app-data] [--limit 20] [-o json|yaml]",
            "mcp backup verify [postgres|redis|app-data] [--key KEY] [--restore [--wait]] [-o json|yaml]",
            "mcp backup create [postgres|redis|app-data] [--name NAME] [--wait [--timeout 30m]]",
        ],
        summary:
            "The backups in the stack's bucket: status reads each kind's latest pointer (age against its schedule plus monitoring.backupStaleGrace, the stored size against the pointer); list lists them; verify downloads one and checks its sha256 and size (--restore also runs the backup-verify CronJob's restore test as a Job); create runs the kind's backup CronJob now, as `kubectl create job --from=cronjob/...`.",
        notes: [
            "Exit codes: 0 fresh / verified / done; 1 a backup is missing, stale or corrupt, or the Job failed; 2 usage; 3 S3 or the cluster unreachable.",
        ],
    },
    actions: ["status", "list", "verify", "create"],
    words: backupKindWords,
    options: {
        ...s3Options,
        limit: { type: "string", value: "N", help: "list: newest N objects (default 20)" },
        key: {
            type: "string",
            value: "KEY",
            help: "verify: this object instead of the latest pointer's",
        },
        restore: { type: "boolean", help: "verify: also run a Job from cronjob/backup-verify" },
        name: {
            type: "string",
            value: "NAME",
            help: "create: the Job's name (default <cronjob>-manual-<UTC stamp>)",
        },
        wait: { type: "boolean", help: "create, verify --restore: wait for the Job to finish" },
        timeout: timeout("--wait waits", "30m"),
        ...kubeOptions,
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const maintenance = {
    name: "maintenance",
    help: {
        synopsis: [
            "mcp maintenance status [-o json|yaml]",
            "mcp maintenance enable|disable [--no-config]",
            "mcp maintenance enable|disable --services a,b [--message TEXT]",
        ],
        summary:
            "The maintenance switch. Without --services: the edge's `maintenance` KV switch is written at once through the Cloudflare API (every route answers 503 with Retry-After, health endpoints excepted), and edge.worker.maintenance is set in the stack config (Pulumi Automation API) so the next `pulumi up` keeps it — commit Pulumi.<stack>.yaml. With --services: only those services' public Ingresses answer 503 from the ALB (the cluster is patched; until workloads.ingress.maintenance is set, the next `pulumi up --refresh` restores them).",
        notes: [
            "Needs $CLOUDFLARE_API_TOKEN for the edge switch. Exit codes: 0 done (status: not in maintenance); 1 failed (status: in maintenance); 2 usage; 3 unreachable.",
        ],
    },
    actions: ["status", "enable", "disable"],
    options: {
        services: { type: "string", value: "a,b", help: "drain only these services' Ingresses" },
        message: {
            type: "string",
            value: "TEXT",
            help: "with --services: the ALB maintenance page's sentence",
        },
        "edge-url": { ...edgeUrl, help: `status: ${edgeUrl.help}` },
        "kv-namespace-id": {
            type: "string",
            value: "ID",
            help: "the switches' KV namespace (default: $MCP_EDGE_KV_NAMESPACE_ID, else the stack output edgeKvNamespaceId)",
        },
        "no-config": {
            type: "boolean",
            help: "enable/disable: flip the edge switch only, leave the stack config alone",
        },
        ...kubeOptions,
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const tls = {
    name: "tls",
    help: {
        synopsis: ["mcp tls check [--warn-days 21] [--prometheus-url URL] [-o json|yaml]"],
        summary:
            "The certificates clients are served at the platform's public endpoints, from the blackbox exporter's probes in Prometheus (probe_ssl_earliest_cert_expiry, probe_success of job blackbox): days left per endpoint, the same thresholds as the CertificateExpiringSoon alert.",
        notes: [
            "Exit codes: 0 every certificate has more than --warn-days left; 1 one expires sooner or its probe fails; 2 usage; 3 Prometheus unreachable.",
        ],
    },
    actions: ["check"],
    options: {
        "warn-days": {
            type: "string",
            value: "N",
            help: `warn below N days (default ${certificateThresholds.warningDays}; critical below ${certificateThresholds.criticalDays})`,
        },
        "prometheus-url": prometheusUrl,
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const restart = {
    name: "restart",
    help: {
        synopsis: [
            "mcp restart <service>... [--graceful] [--timeout 10m]",
            "mcp restart --all [--graceful] [--timeout 10m]",
            "mcp restart --all --rolling [--delay 30s] [--timeout 10m]",
            "mcp restart <service>... --rolling [--delay 30s]",
        ],
        summary:
            "Restarts services the way `kubectl rollout restart` does: a new pod template annotation, so the Deployment replaces its pods by its rolling update (maxSurge 25 %, maxUnavailable 0), each pod ending gracefully within its terminationGracePeriodSeconds.",
        notes: [
            "Exit codes: 0 restarted (and rolled out, with --graceful or --rolling); 1 a service does",
            "not roll out within the timeout (its pods are named) or is not in the cluster; 2 usage",
            "(no service and no --all); 3 the cluster unreachable.",
        ],
    },
    options: {
        all: { type: "boolean", help: "every service of the catalog" },
        rolling: {
            type: "boolean",
            help: "one service at a time: the next starts once the previous one rolled out",
        },
        delay: {
            type: "string",
            value: "DURATION",
            help: "pause between services with --rolling (default 0s)",
        },
        graceful: { type: "boolean", help: "wait until every restarted service rolled out" },
        timeout: timeout("to wait per service", "10m"),
        ...kubeOptions,
    },
} as const satisfies VerbSpec;

export const scale = {
    name: "scale",
    help: {
        synopsis: [
            "mcp scale <service> --replicas N [--wait [--timeout 5m]]",
            "mcp scale <service> --replicas 0 --yes",
        ],
        summary:
            "Sets the replica count of a service's Deployment (or a data store's StatefulSet) through its scale subresource, like `kubectl scale`.",
        notes: [
            "Under an HPA (<service>-hpa) a count inside its min..max holds until its next decision;",
            "0 is left alone by the HPA. A lasting change is autoscaling.minReplicas/maxReplicas or",
            "replicas of the service in Pulumi.<stack>.yaml (docs/operations.md#ground-rules).",
        ],
    },
    options: {
        replicas: { type: "string", value: "N", help: "the number of pods (0 stops the service)" },
        wait: { type: "boolean", help: "wait until every pod is ready" },
        yes: { type: "boolean", help: "confirm --replicas 0: the service stops serving" },
        timeout: timeout("--wait waits", "5m"),
        ...kubeOptions,
    },
} as const satisfies VerbSpec;

export const stop = {
    name: "stop",
    help: {
        synopsis: [
            "mcp stop <service>... --yes [--wait [--timeout 5m]]",
            "mcp stop --all --yes [--wait [--timeout 5m]]",
        ],
        summary:
            "Stops services for maintenance: records each Deployment's replica count and its HPA's bounds in the annotation mcp-platform.io/stopped, then sets replicas to 0 in the same request. The HPA is left as Pulumi declared it: it does not scale a target at 0 replicas (condition ScalingActive False, ScalingDisabled), so nothing brings the pods back until `mcp start`. Each pod ends gracefully within its terminationGracePeriodSeconds.",
        notes: [
            "A stopped service stays stopped across deploys when an HPA owns its count (the program",
            "never sets its replicas); one with fixed `replicas` in Pulumi.<stack>.yaml is started",
            "again by the next `pulumi up --refresh`. Stopping a stopped service keeps its record",
            "and changes nothing. The data stores are not stopped by hand (docs/data.md).",
            "Exit codes: 0 stopped (and every pod gone, with --wait); 1 a service is not in the",
            "cluster or its pods outlive --timeout; 2 usage (no --yes, no service, a data store);",
            "3 the cluster unreachable.",
        ],
    },
    options: {
        all: { type: "boolean", help: "every service of the catalog" },
        yes: { type: "boolean", help: "confirm: the services stop serving" },
        wait: { type: "boolean", help: "wait until every pod has exited" },
        graceful: { type: "boolean", help: "the same as --wait (the manuals' word)" },
        timeout: timeout("--wait waits per service", "5m"),
        ...kubeOptions,
    },
} as const satisfies VerbSpec;

export const start = {
    name: "start",
    help: {
        synopsis: [
            "mcp start <service>... [--wait [--timeout 5m]]",
            "mcp start --all [--wait [--timeout 5m]]",
        ],
        summary:
            "Starts services `mcp stop` stopped: sets each Deployment's replicas back to the count the annotation mcp-platform.io/stopped recorded and removes the annotation, in one request; its HPA resumes within the bounds it had. A service that runs is left alone; one at 0 replicas without the record (scaled to 0 by other means) is refused: give its count with `mcp scale <service> --replicas N`.",
        notes: [
            "With --all, every service stopped by mcp stop starts; the others are left alone or refused as above.",
            "Exit codes: 0 started or already running (and rolled out, with --wait); 1 a service",
            "was not stopped by mcp stop, is not in the cluster or does not roll out; 2 usage;",
            "3 the cluster unreachable.",
        ],
    },
    options: {
        all: { type: "boolean", help: "every service of the catalog" },
        wait: { type: "boolean", help: "wait until every pod is ready" },
        timeout: timeout("--wait waits per service", "5m"),
        ...kubeOptions,
    },
} as const satisfies VerbSpec;

export const update = {
    name: "update",
    help: {
        synopsis: [
            "mcp update check [--show-breaking-changes] [--kind KIND]... [-o json|yaml]",
            "mcp update check [--mirror HOST=URL]... [--stack production|dr]",
        ],
        summary:
            "Every version the platform pins — the Kubernetes minor (with its EKS support dates), the EKS add-ons, the Helm charts, every container image of the stack files and the config's defaults, the Go modules of the engines (dev/engines) — against what its source offers now: EKS (through the AWS CLI), the charts' index.yaml or OCI tags, the registries' tag lists (Docker Registry HTTP API v2, anonymous tokens), the Go module proxy. A newer version counts only with the pin's shape (15.13-bookworm → 15.14-bookworm, never a pre-release). Without --stack, both stack files.",
        notes: [
            "--show-breaking-changes adds, per update, the major lines it crosses and the notes the",
            "source publishes (a chart's artifacthub.io/changes); registries, the Go proxy and EKS",
            "publish none: read the project's release notes. Images, charts and Go modules arrive as",
            "Renovate pull requests; the Kubernetes minor and the EKS add-ons follow docs/cluster.md",
            '("Upgrading Kubernetes").',
            "Exit codes: 0 every pin is current; 1 an update is available or a pin is not in its",
            "source; 2 usage; 3 a source could not be reached (and nothing reached is out of date).",
        ],
    },
    actions: ["check"],
    options: {
        "show-breaking-changes": {
            type: "boolean",
            help: "list the major versions crossed and the published change notes",
        },
        kind: {
            type: "string",
            multiple: true,
            value: "KIND",
            choices: ["kubernetes", "eks-addon", "helm-chart", "image", "go-module"],
            help: "only pins of this kind (repeatable): kubernetes, eks-addon, helm-chart, image, go-module",
        },
        mirror: {
            type: "string",
            multiple: true,
            value: "HOST=URL",
            help: "ask URL instead of https://HOST (*=URL: URL/HOST for every host; default $MCP_UPDATE_MIRRORS, comma-separated)",
        },
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const release = {
    name: "release",
    help: {
        synopsis: [
            "mcp release <service> <image-tag> --yes [--smoke-timeout 5m] [--timeout 10m]",
            "mcp release rollback <service> --yes [--timeout 10m]",
            "mcp release status <service> [-o json|yaml]",
        ],
        summary:
            "A progressive release of a service's Deployment: the running image and rollout settings are recorded in the annotation mcp-platform.io/release, one canary pod of the new image starts beside the serving ones (maxSurge 1, maxUnavailable 0, held by minReadySeconds), a smoke-test Job (the service's smokeTest: by default curl GET of /health/ready) runs against the canary's address, and only then does every pod roll, as Pulumi declared the strategy. A canary that does not start, a failed or timed-out smoke test or a stalled rollout rolls back to the recorded image. <image-tag> is a tag of the running image's repository, or a whole reference. rollback restores the recorded image (`kubectl rollout undo` for the last release).",
        notes: [
            "The stack file still names the old image: keep a release with mcp config set",
            "workloads.services.<service>.image and commit Pulumi.<stack>.yaml (docs/operations.md#releases).",
            "Exit codes: 0 released / rolled back / nothing to do; 1 the release failed and was rolled",
            "back (what failed on stderr), or no release is recorded; 2 usage (no --yes, a data",
            "store); 3 the cluster unreachable.",
        ],
    },
    actions: ["rollback", "status"],
    options: {
        yes: { type: "boolean", help: "confirm: every pod of the service is replaced" },
        "smoke-timeout": timeout("the smoke test may take", "5m"),
        timeout: timeout("the canary and the rollout may take, each", "10m"),
        ...kubeOptions,
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const security = {
    name: "security",
    help: {
        synopsis: [
            "mcp security audit [--full] [-o json|yaml]",
            "mcp security access-log --suspicious [--since 24h] [-o json|yaml]",
            "mcp security update --check [--fail-on SEVERITY] [-o json|yaml]",
        ],
        summary:
            "audit: the stack's synth judged by the CrossGuard pack (tools/lib/policy-runner.ts), the peer linters kube-linter and kube-score over its manifests when they are installed, and the Kubernetes minor's EKS support dates (contracts/eks-support.ts); it synthesizes the stack (20-60 s). access-log: the saved CloudWatch Logs Insights query suspicious-access (docs/logging.md) over the control plane's audit log and the edge's log: bursts of 401/403, exec and attach into pods, Secret reads by principals outside the platform's own, run with the AWS CLI (`aws logs start-query`, `get-query-results`). update --check: the open vulnerability findings of the images the platform runs, from Amazon Inspector's enhanced scanning of the stack's ECR pull-through cache (docs/cluster.md, \"Image cache\"), through the AWS CLI (`aws inspector2 list-findings`: active findings of container images in the stack's registry under the cache prefixes), counted by severity and listed with the package, the version that fixes it and the image.",
        notes: [
            "audit exit codes: 0 no mandatory finding; 1 a mandatory finding (a mandatory policy",
            "violation, a peer linter's error, Kubernetes past its standard support); 2 usage.",
            "access-log exit codes: 0 nothing suspicious; 1 suspicious events (listed); 2 usage;",
            "3 CloudWatch Logs unreachable (the AWS CLI, credentials or the API).",
            "update --check only reads (a fix is a new image tag in the stack file, through a pull request",
            "that the trivy step scans); exit codes: 0 no open finding at or above --fail-on (default",
            "HIGH); 1 some (listed); 2 usage; 3 Inspector unreachable (the AWS CLI, credentials or the API).",
        ],
    },
    actions: ["audit", "access-log", "update"],
    options: {
        full: {
            type: "boolean",
            help: "audit: accepted for the manuals' line; the audit is always full",
        },
        suspicious: {
            type: "boolean",
            help: "access-log: the suspicious-access query (the only one)",
        },
        since: {
            type: "string",
            value: "DURATION",
            help: "access-log: how far back (default 24h)",
        },
        check: {
            type: "boolean",
            help: "update: list the open image findings (required: the verb only reads)",
        },
        "fail-on": {
            type: "string",
            value: "SEVERITY",
            choices: ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL"],
            help: "update --check: exit 1 when a finding is at least this severe (default HIGH)",
        },
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const db = {
    name: "db",
    help: {
        synopsis: ["mcp db connections [--warn-ratio 0.8] [-o json|yaml]"],
        summary:
            "The primary's client connections (pg_stat_activity in postgres-primary-0, through the Kubernetes exec API, as `kubectl exec … psql` does): by user, application and state, against max_connections.",
        notes: ["Resetting connections means restarting their clients: mcp restart <service>."],
    },
    actions: ["connections"],
    options: {
        "warn-ratio": {
            type: "string",
            value: "R",
            help: "exit 1 when connections exceed R × max_connections (default 0.8)",
        },
        ...kubeOptions,
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const report = {
    name: "report",
    help: {
        synopsis: ["mcp report daily [--prometheus-url URL] [-o json|yaml]"],
        summary:
            "The morning checks in one report: mcp health, mcp backup status, mcp tls check and the alerts firing in Prometheus, each section with its own result.",
        notes: [
            "Mail it with the machine's mailer, e.g. `mcp report daily | mail -s 'MCP daily' ops@example.com`;",
            "info alerts already go to the e-mail receiver (monitoring.receivers). Exit 1 when a section",
            "found a problem, else 3 when a section's system could not be reached.",
        ],
    },
    actions: ["daily"],
    options: {
        "prometheus-url": prometheusUrl,
        ...s3Options,
        "edge-url": edgeUrl,
        email: {
            type: "string",
            value: "ADDRESS",
            help: "refused: the CLI sends no mail (pipe the report to your mailer)",
        },
        ...outputOptions,
    },
} as const satisfies VerbSpec;

export const config = {
    name: "config",
    help: {
        synopsis: [
            "mcp config set KEY VALUE [--service NAME] [--secret]",
            "mcp config get KEY [--service NAME] [-o json|yaml]",
        ],
        summary:
            "Stack configuration through the Pulumi Automation API (`pulumi config set --path`). KEY is a path under mcp-platform: (workloads.services.mcp-registry.image), or an environment variable name (LOG_LEVEL) of --service's env. The change is validated as the program validates it before anything is written; then commit Pulumi.<stack>.yaml in a pull request — the deploy applies it (pods roll).",
        notes: [
            "Credentials are refused in plain env (use the service's secretEnv). Exit 0 written; 2 invalid; 3 Pulumi unusable.",
        ],
    },
    actions: ["set", "get"],
    options: {
        service: { type: "string", value: "NAME", help: "the service whose env KEY is" },
        secret: { type: "boolean", help: "store VALUE encrypted (pulumi config set --secret)" },
        ...outputOptions,
    },
} as const satisfies VerbSpec;

/**
 * `mcp dr`: the DR procedure's own command line (tools/lib/dr/args.ts), which acts on both
 * stacks (`--dr-stack`, `--production-stack`) and so takes no `--stack`.
 */
export const dr = {
    name: "dr",
    help: {
        synopsis: drCommands.map((command) => `mcp dr ${command} [options]`),
        summary:
            "Disaster recovery by stack switching (docs/dr.md): " +
            drCommands
                .map((command) => `${command}: ${drDescriptions[command].join(" ")}`)
                .join("; ") +
            ". `npm run dr -- …` is the same command.",
        notes: ["`mcp dr <command> --help` lists the options of one command."],
    },
    actions: drCommands,
    options: drOptions,
} as const satisfies VerbSpec;

/** The verbs in the order `mcp --help` lists them. */
export const verbSpecs: readonly VerbSpec[] = [
    health,
    logs,
    backup,
    maintenance,
    tls,
    restart,
    scale,
    stop,
    start,
    db,
    report,
    update,
    release,
    security,
    config,
    dr,
];
