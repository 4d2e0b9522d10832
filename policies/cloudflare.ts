import * as cloudflare from "@pulumi/cloudflare";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configOf, patternOf } from "./lib/config";
import { credentialKind } from "../contracts/credentials";
import type { AnyResourceClass } from "./lib/pods";

/**
 * Cloudflare edge: Worker credentials only as `secret_text` bindings, a pinned
 * compatibility date, origin DNS records (and load balancers) proxied through Cloudflare so
 * the regional origins are never exposed directly, and Full (strict) TLS to those origins.
 */

const workerClasses: [string, AnyResourceClass][] = [
    ["Worker script", cloudflare.WorkersScript],
    ["Worker script", cloudflare.WorkerScript],
    ["Worker version", cloudflare.WorkerVersion],
];

const secretSchema = {
    properties: {
        sensitiveNamePattern: {
            type: "string" as const,
            description: "Case-insensitive pattern of binding names that hold credentials.",
            default: "(secret|token|passw(or)?d|api_?key|private_?key|credential|auth)",
        },
    },
};

type Binding = { name?: string; type?: string; text?: string; json?: string };

/** The offline synth's redaction marker (tools/lib/records.ts). */
const redactedMarker = "[secret]";

/** True when some binding's type is hidden behind the redaction marker. */
function hidesTypes(bindings: unknown): boolean {
    return (
        Array.isArray(bindings) &&
        bindings.some((b) => (b as Binding | null)?.type === redactedMarker)
    );
}

export const workerSecretBindings: ResourceValidationPolicy = {
    name: "cloudflare-worker-secret-bindings",
    description:
        "Checks whether a Worker passes credentials (bindings named like token, secret, key, password, or whose value looks like a credential) only as secret_text bindings, never plain_text or json.",
    enforcementLevel: "mandatory",
    severity: "critical",
    tags: ["secrets", "edge"],
    configSchema: secretSchema,
    remediationSteps:
        'Declare the binding as { type: "secret_text", name, text: <Pulumi secret from config> } (credentials only as secure: config values).',
    validateResource: workerClasses.map(([what, cls]) =>
        validateResourceOfType(cls, (script, args, reportViolation) => {
            const { sensitiveNamePattern } = configOf<{ sensitiveNamePattern: string }>(
                secretSchema,
                args,
            );
            const sensitive = patternOf(sensitiveNamePattern);
            // The engine hands policies secrets unwrapped (so does the offline synth); a
            // bindings list still hidden behind the redaction marker cannot be checked, and
            // a check that cannot look must not pass.
            if (typeof script.bindings === "string" || hidesTypes(script.bindings)) {
                reportViolation(
                    `${what} ${args.name} bindings must be visible to the pack to show that credentials are secret_text (got a redacted list).`,
                );
                return;
            }
            const bindings = Array.isArray(script.bindings) ? (script.bindings as Binding[]) : [];
            for (const binding of bindings) {
                if (binding.type !== "plain_text" && binding.type !== "json") continue;
                // By value as well as by name; the message names the binding, never the value.
                const kind = credentialKind(binding.text) ?? credentialKind(binding.json);
                if (kind) {
                    reportViolation(
                        `${what} ${args.name} binding ${binding.name ?? "?"} holds ${kind} and must be a secret_text binding (got ${binding.type}).`,
                    );
                } else if (binding.name && sensitive.test(binding.name)) {
                    reportViolation(
                        `${what} ${args.name} binding ${binding.name} must be a secret_text binding (got ${binding.type}).`,
                    );
                }
            }
        }),
    ),
};

const dateSchema = {
    properties: {
        minimumDate: {
            type: "string" as const,
            pattern: "^(\\d{4}-\\d{2}-\\d{2})?$",
            description: "Oldest compatibility date accepted (YYYY-MM-DD); empty for no minimum.",
            default: "",
        },
    },
};

function isRealDate(value: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

export const workerCompatibilityDate: ResourceValidationPolicy = {
    name: "cloudflare-worker-compatibility-date",
    description:
        "Checks whether a Worker pins its runtime with a valid compatibilityDate (YYYY-MM-DD, not in the future).",
    enforcementLevel: "mandatory",
    severity: "medium",
    tags: ["edge", "reproducibility"],
    configSchema: dateSchema,
    remediationSteps:
        "Set compatibilityDate to the date the Worker was last tested against (the same date the miniflare tests use).",
    validateResource: workerClasses.map(([what, cls]) =>
        validateResourceOfType(cls, (script, args, reportViolation) => {
            const { minimumDate } = configOf<{ minimumDate: string }>(dateSchema, args);
            const date = script.compatibilityDate as string | undefined;
            if (!date || !isRealDate(date)) {
                reportViolation(
                    `${what} ${args.name} must set compatibilityDate as YYYY-MM-DD (got ${date ?? "none"}).`,
                );
            } else if (date > new Date().toISOString().slice(0, 10)) {
                reportViolation(
                    `${what} ${args.name} compatibilityDate must not be in the future (got ${date}).`,
                );
            } else if (minimumDate && date < minimumDate) {
                reportViolation(
                    `${what} ${args.name} compatibilityDate must be ${minimumDate} or later (got ${date}).`,
                );
            }
        }),
    ),
};

const proxiedSchema = {
    properties: {
        unproxiedNames: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                "Record names that must stay DNS-only (names starting with _ — verification records — always may).",
            default: [],
        },
    },
};

const proxiableTypes = ["A", "AAAA", "CNAME"];

export const dnsProxied: ResourceValidationPolicy = {
    name: "cloudflare-dns-record-proxied",
    description:
        "Checks whether every A, AAAA and CNAME record (and load balancer) is proxied through Cloudflare, so origin addresses stay hidden behind the edge.",
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["edge", "origin-protection"],
    configSchema: proxiedSchema,
    remediationSteps: "Set proxied: true on the record (TTL 1 = automatic).",
    validateResource: [
        ...([cloudflare.DnsRecord, cloudflare.Record] as unknown as AnyResourceClass[]).map((cls) =>
            validateResourceOfType(cls, (record, args, reportViolation) => {
                const { unproxiedNames } = configOf<{ unproxiedNames: string[] }>(
                    proxiedSchema,
                    args,
                );
                const name = String(record.name ?? "");
                if (
                    !proxiableTypes.includes(record.type) ||
                    name.startsWith("_") ||
                    unproxiedNames.includes(name)
                )
                    return;
                if (record.proxied !== true) {
                    reportViolation(
                        `DNS record ${name} (${record.type}) must be proxied through Cloudflare (proxied: true).`,
                    );
                }
            }),
        ),
        validateResourceOfType(cloudflare.LoadBalancer, (lb, args, reportViolation) => {
            if (lb.proxied !== true) {
                reportViolation(
                    `Load balancer ${lb.name ?? args.name} must be proxied through Cloudflare (proxied: true).`,
                );
            }
        }),
    ],
};

const sslSchema = {
    properties: {
        allowedModes: {
            type: "array" as const,
            items: { type: "string" as const },
            description:
                'SSL modes a zone may use; "strict" is Full (strict): TLS to the origin with a valid certificate.',
            default: ["strict"],
        },
    },
};

export const zoneSslStrict: ResourceValidationPolicy = {
    name: "cloudflare-zone-ssl-strict",
    description:
        'Checks whether a zone\'s SSL mode (ZoneSetting "ssl") is Full (strict), so Cloudflare verifies the origin certificate.',
    enforcementLevel: "mandatory",
    severity: "high",
    tags: ["edge", "encryption-in-transit"],
    configSchema: sslSchema,
    remediationSteps:
        'Declare cloudflare.ZoneSetting { settingId: "ssl", value: "strict" } for the zone; the origins serve certificates Cloudflare can verify.',
    validateResource: validateResourceOfType(
        cloudflare.ZoneSetting,
        (setting, args, reportViolation) => {
            if (setting.settingId !== "ssl") return;
            const { allowedModes } = configOf<{ allowedModes: string[] }>(sslSchema, args);
            const value = setting.value as unknown;
            if (typeof value !== "string" || !allowedModes.includes(value)) {
                reportViolation(
                    `Zone setting ${args.name} must set the SSL mode to ${allowedModes.join(" or ")} (got ${typeof value === "string" ? value : "none"}).`,
                );
            }
        },
    ),
};

export const cloudflarePolicies: ResourceValidationPolicy[] = [
    workerSecretBindings,
    workerCompatibilityDate,
    dnsProxied,
    zoneSslStrict,
];
