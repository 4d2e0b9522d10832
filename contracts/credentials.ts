/**
 * Recognises credentials in config that must never carry one (container env literals,
 * ConfigMap data, Worker plain_text bindings). Names lie — `DATABASE_URL` or `settings.ini`
 * hold passwords as often as `PASSWORD` does — so the value is judged too.
 *
 * One rule for every room: the config validation refuses a service's `env` with it before
 * anything is written (config/workloads.ts), and the policy pack refuses what reaches a
 * manifest with it (policies/kubernetes-secrets.ts, policies/cloudflare.ts). Callers report
 * the key and the kind of credential, never the value itself.
 */

interface Detector {
    readonly kind: string;
    readonly test: (value: string) => boolean;
}

/** Template references (`$(VAR)`, `${VAR}`, `{{ .Values.x }}`) are not literal secrets. */
function isReference(text: string): boolean {
    return /^(\$\(|\$\{|\{\{|%\(|<)/.test(text) || /^\*+$/.test(text);
}

/** `scheme://user:password@host` with a literal password. */
const urlCredentials = /[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"]+:([^\s@/'"]+)@/gi;

/** 40 characters of base64 with both cases and a digit: the shape of an AWS secret key. */
function awsSecretLike(token: string): boolean {
    return (
        /^[A-Za-z0-9/+]{40}$/.test(token) &&
        /[a-z]/.test(token) &&
        /[A-Z]/.test(token) &&
        /[0-9]/.test(token)
    );
}

const detectors: readonly Detector[] = [
    {
        kind: "a private key (PEM block)",
        test: (v) => /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/.test(v),
    },
    {
        kind: "a URL with an embedded password",
        test: (v) => [...v.matchAll(urlCredentials)].some((m) => !isReference(m[1])),
    },
    {
        kind: "an AWS access key ID",
        test: (v) => /(^|[^A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}([^A-Z0-9]|$)/.test(v),
    },
    {
        kind: "an AWS secret access key",
        test: (v) => v.split(/[\s"'=:,;]+/).some(awsSecretLike),
    },
    {
        kind: "a GitHub token",
        test: (v) => /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/.test(v),
    },
    { kind: "a Slack token", test: (v) => /\bxox[abposr]-[A-Za-z0-9-]{10,}/.test(v) },
    { kind: "a Stripe live key", test: (v) => /\b[sr]k_live_[A-Za-z0-9]{16,}/.test(v) },
    {
        kind: "a JSON Web Token",
        test: (v) => /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.test(v),
    },
];

/** What kind of credential `value` looks like; undefined when it looks like none. */
export function credentialKind(value: unknown): string | undefined {
    if (typeof value !== "string" || value.length < 16) return undefined;
    return detectors.find((d) => d.test(value))?.kind;
}

/**
 * Key names that announce a credential: `DB_PASSWORD`, `api-key`, `client_secret`,
 * `GITHUB_TOKEN`, `DATA_SOURCE_PASS`, and any name whose last word is `KEY` (`SIGNING_KEY`);
 * `S3_KEY_PREFIX` or `CACHE_KEYS` are not.
 */
const sensitiveKeyPatterns: readonly RegExp[] = [
    /(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential)/i,
    /(^|[_.-])(key|pass|pwd|passphrase)$/i,
    /[a-z0-9](Key|Pass|Pwd)$/,
];

/** Whether a key (an environment variable, a ConfigMap key) is named like a credential. */
export function namedLikeCredential(key: string): boolean {
    return sensitiveKeyPatterns.some((pattern) => pattern.test(key));
}

/**
 * Why a key/value pair holds a credential: by value first, then by a sensitive name with a
 * non-empty one-line literal that is not a reference, a number, a boolean or a file path.
 * Undefined when it does not. The phrase has the key as its subject
 * (`DB_PASSWORD is named like a credential and has a literal value`).
 */
export function credentialReason(key: string, value: unknown): string | undefined {
    const kind = credentialKind(value);
    if (kind) return `holds ${kind}`;
    if (typeof value !== "string" || !namedLikeCredential(key)) return undefined;
    const text = value.trim();
    if (
        text !== "" &&
        // A file (a script, a config file) named like a credential is judged by value only.
        !text.includes("\n") &&
        !isReference(text) &&
        !/^(true|false|\d+)$/i.test(text) &&
        // Where a credential is mounted (`/var/run/secrets/…/token`) is not the credential.
        !/^\/[^\s]*$/.test(text)
    ) {
        return "is named like a credential and has a literal value";
    }
    return undefined;
}
