import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { noCredentialsInConfig } from "../../policies/kubernetes-secrets";
import { configProblems, parseStack } from "../support/config";
import { fixture, resourceViolations } from "../support/policy";
import { stackFileVariant, synth } from "../support/synth";

const service = "mcp-typescript-api";

/** Credential-shaped values, assembled so no scanner mistakes this file for a leak. */
const credentials: [string, string][] = [
    [
        "a URL with an embedded password",
        ["postgres://app:", "hunter2", "@db.internal:5432/app"].join(""),
    ],
    ["an AWS access key ID", ["AKIA", "IOSFODNN7EXAMPLE"].join("")],
    ["an AWS access key ID", ["ASIA", "Y34FZKBOKMUTVV7A"].join("")],
    ["an AWS secret access key", ["wJalrXUtnFEMI", "K7MDENG", "bPxRfiCYEXAMPLEKEY"].join("/")],
    [
        "a private key (PEM block)",
        ["-----BEGIN RSA PRIVATE", " KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"].join(""),
    ],
    ["a private key (PEM block)", ["-----BEGIN PRIVATE", " KEY-----\nMIIEv"].join("")],
    ["a GitHub token", ["ghp_", "a".repeat(36)].join("")],
    ["a Slack token", ["xoxb-", "123456789012-abcdefghij"].join("")],
    ["a Slack token", ["xoxp-", "123456789012-abcdefghij"].join("")],
    ["a Stripe live key", ["sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"].join("")],
    ["a JSON Web Token", ["eyJhbGciOiJIUzI1NiJ9", "eyJzdWIiOiIxMjM0In0", "c2lnbmF0dXJl"].join(".")],
];

/** Literal values under names that announce a credential: refused whatever they look like. */
const namedCredentials: [string, string][] = [
    ["DB_PASSWORD", ["correct", "horse"].join("-")],
    ["API_TOKEN", ["t0k", "3n"].join("")],
    ["CLIENT_SECRET", ["s3", "cr3t"].join("")],
    ["SIGNING_KEY", ["k3y", "material"].join("-")],
    ["OPENAI_API_KEY", ["not", "a", "real", "one"].join("-")],
    ["DATA_SOURCE_PASS", ["pa", "ss"].join("")],
];

/** Ordinary values and names: accepted by the config and by the pack alike. */
const ordinary: [string, string][] = [
    ["SETTING", "https://api.example.com/v1"],
    ["NODE_OPTIONS", "--max-old-space-size=3072"],
    ["CONTACT", "user@example.com"],
    ["SETTING", "AKIA-not-a-key"],
    ["SETTING", "eyJ"],
    ["SETTING", "sk_test_4eC39HqLyjWDarjtT1zdp7dc"],
    ["S3_KEY_PREFIX", "uploads/"],
    ["TOKEN_TTL_SECONDS", "3600"],
    ["SECRET_ROTATION_ENABLED", "true"],
    ["TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"],
    ["DB_PASSWORD", "$(POSTGRES_PASSWORD)"],
    ["DB_PASSWORD", ""],
];

/** What the pack's k8s-no-credentials-in-config says about a Deployment with this env literal. */
function packViolations(name: string, value: string) {
    return resourceViolations(
        noCredentialsInConfig,
        fixture("kubernetes:apps/v1:Deployment", {
            metadata: { name: service, namespace: "mcp-production" },
            spec: {
                selector: { matchLabels: { app: service } },
                template: {
                    metadata: { labels: { app: service } },
                    spec: { containers: [{ name: service, image: "x:1", env: [{ name, value }] }] },
                },
            },
        }),
    );
}

const refused = (name: string, reason: string) =>
    `Pulumi.production.yaml: mcp-platform:workloads.services.${service}.env.${name}: expected no credential in env (${name} ${reason}): read it from a Secret through secretEnv (docs/workloads.md#mcp-secrets-and-mcp-semantic-config); a credential of the stack is set with \`pulumi config set --secret\` (value hidden)`;

describe("a plaintext credential in a service's env", () => {
    it.each(credentials)("%s is refused by key path, without its value", async (kind, value) => {
        const problems = configProblems("production", (ns) => {
            ns["mcp-platform"].workloads.services[service].env.DATABASE_URL = value;
        });
        expect(problems).toEqual([refused("DATABASE_URL", `holds ${kind}`)]);
        expect(problems.join("\n")).not.toContain(value.slice(8, 20));
        // The pack refuses the same env literal for the same reason.
        expect(await packViolations("DATABASE_URL", value)).toEqual([
            `Deployment mcp-production/${service}: container "${service}" env DATABASE_URL holds ${kind}; it must come from a Secret (valueFrom.secretKeyRef).`,
        ]);
    });

    it.each(namedCredentials)(
        "%s with a literal value is refused by its name",
        async (name, value) => {
            const problems = configProblems("production", (ns) => {
                ns["mcp-platform"].workloads.services[service].env[name] = value;
            });
            expect(problems).toEqual([
                refused(name, "is named like a credential and has a literal value"),
            ]);
            expect(problems.join("\n")).not.toContain(value);
            expect(await packViolations(name, value)).toEqual([
                `Deployment mcp-production/${service}: container "${service}" env ${name} is named like a credential and has a literal value; it must come from a Secret (valueFrom.secretKeyRef).`,
            ]);
        },
    );

    it.each(ordinary)(
        "%s=%j is an ordinary value for the config and the pack",
        async (name, value) => {
            const config = parseStack("production", (ns) => {
                ns["mcp-platform"].workloads.services[service].env[name] = value;
            });
            expect(config.workloads.services[service].env[name]).toBe(value);
            expect(await packViolations(name, value)).toEqual([]);
        },
    );

    it("fails the synth before anything is written: out/ never holds the value", () => {
        const password = ["correct", "horse", "battery"].join("-");
        const file = stackFileVariant("production", (doc) => {
            const workloads = doc.config["mcp-platform:workloads"] as {
                services: Record<string, { env: Record<string, string> }>;
            };
            workloads.services[service].env.DB_PASSWORD = password;
        });
        const result = synth("production", { stackFile: file });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain(
            `Pulumi.production.yaml: mcp-platform:workloads.services.${service}.env.DB_PASSWORD: expected no credential in env`,
        );
        expect(result.stderr + result.stdout).not.toContain(password);
        const written = fs.existsSync(result.outDir)
            ? fs
                  .readdirSync(result.outDir, { recursive: true })
                  .map((f) => path.join(result.outDir, String(f)))
                  .filter((f) => fs.statSync(f).isFile())
            : [];
        for (const f of written) expect(fs.readFileSync(f, "utf8"), f).not.toContain(password);
        expect(fs.existsSync(path.join(result.outDir, "resources.json"))).toBe(false);
    });
});
