import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigError, credentialKeys, parseConfig, requiredCredentialKeys } from "../../../config";
import { alertingCredentialKeys } from "../../../config/monitoring";
import { groupConfig } from "../../../config/lib/raw";
import { readStackConfig } from "../stack-file";
import { type ExampleKind, findExampleValues } from "./examples";

/**
 * What a stack file still lacks before a real `pulumi up`: unset credentials, example values
 * and values the config validation rejects, each with the command that sets it. Offline: it
 * reads `Pulumi.<stack>.yaml` and runs the program's own config parser, nothing else.
 */

interface PreflightItem {
    /** The `--path` key, e.g. `mcp-platform:cluster.adminRoleArns[0]`. */
    readonly key: string;
    /** The value the file holds now; absent for credentials, whose values are never shown. */
    readonly current?: string;
    /** Why it must change, for the invalid values. */
    readonly problem?: string;
    readonly command: string;
}

interface PreflightGroup {
    readonly id: "unset-secrets" | ExampleKind | "invalid";
    readonly title: string;
    readonly items: PreflightItem[];
}

export interface PreflightReport {
    readonly stack: string;
    readonly stackFile: string;
    /** True when nothing is left: the exit status is 0. */
    readonly ready: boolean;
    readonly groups: PreflightGroup[];
}

/** A stack file that cannot be read at all: one line, naming the file (and line). */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

const titles: Record<PreflightGroup["id"], string> = {
    "unset-secrets":
        "unset secrets (each command prompts for the value, which stays out of shell history)",
    certificate:
        "example ACM certificate ARNs: request or import the certificate of the ingress hosts in the stack's region (aws acm list-certificates)",
    "aws-account": "the example AWS account ID in ARNs and names: use your account's ID",
    "cloudflare-id":
        "example Cloudflare IDs: the account ID and the zone ID from the zone's Overview page",
    "alb-target":
        "placeholder ALB origin targets: each region's public ALB exists after that region's first up; read it there with kubectl -n mcp-production get ingress mcp-typescript-api-ingress -o jsonpath='{.status.loadBalancer.ingress[0].hostname}'",
    "stack-name": "example stack names: use your Pulumi organization",
    image: "example images: use the image your registry publishes",
    hostname: "example hostnames and addresses (example.com): use your own domain",
    "deploy-runner":
        'the deploy runner: your repository, and the SHA-256 the actions/runner release notes list for actions-runner-linux-x64-<version>.tar.gz (docs/cluster.md, "The deploy runner")',
    invalid: "values the config validation rejects",
};

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function readYaml(file: string): Record<string, unknown> {
    const shown = path.relative(process.cwd(), file) || file;
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        throw new StackFileError(`${shown}: cannot read the file`);
    }
    let document: unknown;
    try {
        document = parse(text);
    } catch (error) {
        const { linePos, message } = error as {
            linePos?: { line: number; col: number }[];
            message?: string;
        };
        const reason = String(message ?? error)
            .split("\n")[0]
            .replace(/ at line \d+, column \d+:?$/, "");
        const where = linePos?.[0] ? `:${linePos[0].line}:${linePos[0].col}` : "";
        throw new StackFileError(`${shown}${where}: ${reason}`);
    }
    const config = (document as { config?: unknown } | null)?.config;
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new StackFileError(`${shown}: expected a top-level \`config:\` map`);
    }
    return config as Record<string, unknown>;
}

/** Checks `stackFile` (Pulumi.<stack>.yaml unless given) of the project in `projectDir`. */
export function preflight(projectDir: string, stack: string, stackFile: string): PreflightReport {
    const rawConfig = readYaml(stackFile);
    const { project, config, secretKeys, unsetCredentials } = readStackConfig(
        projectDir,
        stackFile,
    );
    const shownFile = path.relative(process.cwd(), stackFile) || stackFile;
    const set = (key: string, value: string) =>
        `pulumi config set --stack ${stack} --path ${quote(key)} ${quote(value)}`;
    const setSecret = (key: string) => `pulumi config set --stack ${stack} --secret ${key}`;

    const hasEdge = `${project}:edge` in rawConfig || "edge" in rawConfig;
    const required = new Set(requiredCredentialKeys(hasEdge));
    const groups: PreflightGroup[] = [];
    const add = (id: PreflightGroup["id"], item: PreflightItem) => {
        let group = groups.find((g) => g.id === id);
        if (!group) groups.push((group = { id, title: titles[id], items: [] }));
        group.items.push(item);
    };

    for (const key of unsetCredentials.filter((k) => required.has(k))) {
        add("unset-secrets", { key, command: setSecret(key) });
    }

    for (const example of findExampleValues(rawConfig, new Set(credentialKeys), project)) {
        add(example.kind, {
            key: example.key,
            current: example.current,
            command: set(example.key, example.replacement),
        });
    }

    // The program's own validation, with the unset credentials as placeholders so that only
    // what is wrong besides them is reported here (they are listed above).
    try {
        parseConfig(
            groupConfig(config, (key) => secretKeys.includes(key)),
            stack,
        );
    } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        for (const problem of error.problems) {
            const isCredential = credentialKeys.includes(problem.keyPath);
            const unknown = problem.expected.startsWith("unknown");
            add("invalid", {
                key: problem.keyPath,
                problem: `${problem.expected} (got ${problem.got ?? "nothing"})`,
                command: isCredential
                    ? setSecret(problem.keyPath)
                    : unknown
                      ? `pulumi config rm --stack ${stack} --path ${quote(problem.keyPath)}`
                      : set(problem.keyPath, "<value>"),
            });
        }
    }

    // Groups in a fixed order (the order of `titles`), whatever order the file holds them in.
    const order = Object.keys(titles);
    groups.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    return { stack, stackFile: shownFile, ready: groups.length === 0, groups };
}

const secretHints: Record<string, string> = {
    "cloudflare:apiToken":
        "Cloudflare API token: Workers Scripts, Workers KV and DNS edit on the zone (both stacks)",
    [alertingCredentialKeys.pagerdutyRoutingKey]: "PagerDuty Events API v2 routing key",
    [alertingCredentialKeys.slackWebhookUrl]: "Slack incoming-webhook URL of #mcp-alerts",
    [alertingCredentialKeys.smtpPassword]: "password of the SMTP user of the email receiver",
    [alertingCredentialKeys.deadMansSwitchToken]: "API key of the dead man's switch heartbeat",
};

/** The report as people read it: grouped, each key with its command; a closing line. */
export function renderText(report: PreflightReport): string {
    const count = report.groups.reduce((n, g) => n + g.items.length, 0);
    if (report.ready) {
        return `preflight ${report.stack}: ${report.stackFile} is ready: no unset secret, example value or invalid value left`;
    }
    const lines = [
        `preflight ${report.stack}: ${report.stackFile} needs ${count} value${count === 1 ? "" : "s"} before a real deploy`,
    ];
    for (const group of report.groups) {
        lines.push("", `${group.title} (${group.items.length})`);
        for (const item of group.items) {
            const detail =
                item.problem ??
                (item.current !== undefined ? `now ${item.current}` : secretHints[item.key]);
            lines.push(`  ${item.key}${detail ? `  ${detail}` : ""}`, `    ${item.command}`);
        }
    }
    lines.push(
        "",
        `Set them, then run \`npm run preflight -- ${report.stack}\` again; it exits 0 when none is left.`,
    );
    return lines.join("\n");
}
