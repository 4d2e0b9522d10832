import * as cloudflare from "@pulumi/cloudflare";
import {
    dnsProxied,
    workerCompatibilityDate,
    workerSecretBindings,
} from "../../../policies/cloudflare";
import type { PolicyCases } from "../lib/cases";
import { type Obj, record } from "../lib/fixtures";

function script(props: Obj = {}) {
    return record(cloudflare.WorkersScript, {
        accountId: "acc",
        scriptName: "mcp-edge",
        mainModule: "worker.js",
        compatibilityDate: "2026-04-26",
        bindings: [
            { name: "PRIMARY_ORIGIN", type: "plain_text", text: "api-use1.mcp-production.com" },
            { name: "ORIGIN_AUTH_TOKEN", type: "secret_text", text: "[secret]" },
            { name: "SWITCHES", type: "kv_namespace", namespaceId: "kv-id" },
        ],
        ...props,
    });
}

function dnsRecord(props: Obj) {
    return record(cloudflare.DnsRecord, { zoneId: "zone", ttl: 1, ...props });
}

export const cloudflareCases: PolicyCases[] = [
    {
        policy: workerSecretBindings,
        pass: [{ title: "token as secret_text", resources: [script()] }],
        fail: [
            {
                // What the mock runtime records once one binding is secret: the whole list.
                title: "bindings hidden behind the redaction marker",
                resources: [script({ bindings: "[secret]" })],
                expect: /bindings must be visible to the pack/,
            },
            {
                title: "each binding's type hidden",
                resources: [
                    script({
                        bindings: [{ name: "[secret]", type: "[secret]", text: "[secret]" }],
                    }),
                ],
                expect: /bindings must be visible to the pack/,
            },
            {
                title: "a credential value under a harmless name",
                resources: [
                    script({
                        bindings: [
                            {
                                name: "UPSTREAM",
                                type: "plain_text",
                                text: `https://svc:${"s3cr3t".repeat(3)}@upstream.example`,
                            },
                        ],
                    }),
                ],
                expect: /binding UPSTREAM holds a URL with an embedded password and must be a secret_text binding/,
            },
            {
                title: "token as plain_text",
                resources: [
                    script({
                        bindings: [{ name: "ORIGIN_AUTH_TOKEN", type: "plain_text", text: "abc" }],
                    }),
                ],
                expect: /binding ORIGIN_AUTH_TOKEN must be a secret_text binding \(got plain_text\)/,
            },
            {
                title: "API key in a json binding",
                resources: [
                    script({ bindings: [{ name: "PAGERDUTY_API_KEY", type: "json", json: "{}" }] }),
                ],
                expect: /PAGERDUTY_API_KEY/,
            },
        ],
    },
    {
        policy: workerCompatibilityDate,
        pass: [{ title: "a past date", resources: [script()] }],
        fail: [
            {
                title: "none",
                resources: [script({ compatibilityDate: undefined })],
                expect: /must set compatibilityDate as YYYY-MM-DD \(got none\)/,
            },
            {
                title: "not a date",
                resources: [script({ compatibilityDate: "2024-02-30" })],
                expect: /got 2024-02-30/,
            },
            {
                title: "in the future",
                resources: [script({ compatibilityDate: "2999-01-01" })],
                expect: /must not be in the future/,
            },
            {
                title: "older than the configured minimum",
                resources: [script({ compatibilityDate: "2023-01-01" })],
                config: { minimumDate: "2024-09-23" },
                expect: /must be 2024-09-23 or later/,
            },
        ],
    },
    {
        policy: dnsProxied,
        pass: [
            {
                title: "proxied CNAME",
                resources: [
                    dnsRecord({
                        name: "api-use1",
                        type: "CNAME",
                        content: "lb.us-east-1.elb.amazonaws.com",
                        proxied: true,
                    }),
                ],
            },
            {
                title: "ACM validation record stays DNS-only",
                resources: [
                    dnsRecord({
                        name: "_abc.api",
                        type: "CNAME",
                        content: "_x.acm-validations.aws",
                        proxied: false,
                    }),
                ],
            },
            {
                title: "TXT record",
                resources: [dnsRecord({ name: "api", type: "TXT", content: "v=spf1 -all" })],
            },
            {
                title: "name exempted by config",
                resources: [dnsRecord({ name: "mail", type: "A", content: "203.0.113.10" })],
                config: { unproxiedNames: ["mail"] },
            },
        ],
        fail: [
            {
                title: "unproxied A record",
                resources: [dnsRecord({ name: "api-usw2", type: "A", content: "203.0.113.5" })],
                expect: /DNS record api-usw2 \(A\) must be proxied through Cloudflare/,
            },
            {
                title: "load balancer not proxied",
                resources: [
                    record(cloudflare.LoadBalancer, {
                        zoneId: "zone",
                        name: "api.mcp-production.com",
                        defaultPools: ["p"],
                        fallbackPool: "p",
                    }),
                ],
                expect: /Load balancer api.mcp-production.com must be proxied/,
            },
        ],
    },
];
