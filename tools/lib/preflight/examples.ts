/**
 * The example values the committed stack files ship with, found by walking a stack file's
 * `config:` tree. Each one is a value a real deploy must replace: it names an AWS account,
 * Cloudflare zone, load balancer, certificate, stack or host that is not the team's.
 */

/** What kind of example a value is; the report groups by it. */
export type ExampleKind =
    | "certificate"
    | "aws-account"
    | "cloudflare-id"
    | "alb-target"
    | "stack-name"
    | "image"
    | "hostname"
    | "deploy-runner";

export interface ExampleValue {
    readonly kind: ExampleKind;
    /** Pulumi `--path` key, e.g. `mcp-platform:cluster.adminRoleArns[0]`. */
    readonly key: string;
    /** The value as the file holds it (example values are never credentials). */
    readonly current: string;
    /** What to put instead, shown as the value of the command, e.g. `arn:aws:iam::<account-id>:role/platform-admin`. */
    readonly replacement: string;
}

/** Account IDs of the AWS documentation and of this repository's examples. */
const exampleAccounts = ["111111111111", "123456789012", "000000000000"];
const exampleAccountPattern = new RegExp(exampleAccounts.join("|"), "g");

/** The committed stack files' Cloudflare account and zone ids, and ids made of one repeated digit. */
const exampleCloudflareIds = new Set([
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "0123456789abcdef0123456789abcdef",
]);
const cloudflareId = /^[0-9a-f]{32}$/;

/** An ALB DNS name whose generated parts are zeros, e.g. k8s-mcppublic-0000000000-0000000000.us-east-1.elb.amazonaws.com. */
const placeholderAlb = /-0{10}(-0{10})?\.[a-z0-9-]+\.elb\.amazonaws\.com$/;

/** A certificate ARN whose id is all zeros or spelled out as a placeholder. */
const placeholderCertificate =
    /^arn:aws:acm:[^:]*:[^:]*:certificate\/(0{8}-0{4}-0{4}-0{4}-0{12}|.*(example|placeholder|changeme).*)$/i;

/** Names under the reserved example domains (RFC 2606), with an optional `:port` or `user@`. */
const exampleDomain = /(^|[.@/])example\.(com|net|org)(:\d+)?(\/|$)/i;

/** An image from an example registry or repository. */
const exampleImage =
    /(^|[./])example(\.(com|net|org))?[/:]|(^|\/)(example|placeholder|changeme)[^/]*(:|$)/i;

function pathSegment(key: string): string {
    return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function isSecure(value: unknown): boolean {
    return (
        value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value
    );
}

function classify(key: string, value: string): ExampleValue | undefined {
    const leaf = key.replace(/^.*[.[\]"]/, "");
    if (/deployRunner\.sha256$/.test(key) && /^(.)\1{63}$/.test(value)) {
        return {
            kind: "deploy-runner",
            key,
            current: value,
            replacement: "<sha256-of-the-linux-x64-tarball>",
        };
    }
    if (/deployRunner\.repository$/.test(key) && /^example-org\//.test(value)) {
        return { kind: "deploy-runner", key, current: value, replacement: "<owner>/<repository>" };
    }
    if (/^arn:aws:acm:/.test(value) && (placeholderCertificate.test(value) || hasAccount(value))) {
        return { kind: "certificate", key, current: value, replacement: "<acm-certificate-arn>" };
    }
    if (hasAccount(value)) {
        return {
            kind: "aws-account",
            key,
            current: value,
            replacement: value.replace(exampleAccountPattern, "<account-id>"),
        };
    }
    if (
        cloudflareId.test(value) &&
        (exampleCloudflareIds.has(value) || /^(.)\1{31}$/.test(value))
    ) {
        const which = leaf === "zoneId" ? "zone" : "account";
        return {
            kind: "cloudflare-id",
            key,
            current: value,
            replacement: `<cloudflare-${which}-id>`,
        };
    }
    if (placeholderAlb.test(value)) {
        return { kind: "alb-target", key, current: value, replacement: "<alb-dns-name>" };
    }
    if (/^organization\/[^/]+\/[^/]+$/.test(value)) {
        return {
            kind: "stack-name",
            key,
            current: value,
            replacement: value.replace(/^organization\//, "<org>/"),
        };
    }
    if (/image$/i.test(leaf) && exampleImage.test(value)) {
        return { kind: "image", key, current: value, replacement: "<registry>/<image>:<tag>" };
    }
    if (exampleDomain.test(value)) {
        return {
            kind: "hostname",
            key,
            current: value,
            replacement: value.replace(/example\.(com|net|org)/gi, "<your-domain>"),
        };
    }
    return undefined;
}

function hasAccount(value: string): boolean {
    return exampleAccounts.some((account) => value.includes(account));
}

/**
 * Every example value under the stack file's `config:` map, in file order. Keys in
 * `skipKeys` (the credentials) and `secure:` values are never read.
 */
export function findExampleValues(
    config: Readonly<Record<string, unknown>>,
    skipKeys: ReadonlySet<string>,
    project: string,
): ExampleValue[] {
    const found: ExampleValue[] = [];
    const walk = (value: unknown, key: string) => {
        if (isSecure(value)) return;
        if (typeof value === "string") {
            const example = classify(key, value);
            if (example) found.push(example);
        } else if (Array.isArray(value)) {
            value.forEach((item, i) => walk(item, `${key}[${i}]`));
        } else if (value !== null && typeof value === "object") {
            for (const [child, item] of Object.entries(value)) walk(item, key + pathSegment(child));
        }
    };
    for (const [rawKey, value] of Object.entries(config)) {
        const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
        if (!skipKeys.has(key)) walk(value, key);
    }
    return found;
}
