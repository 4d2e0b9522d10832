import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { IngressDns, ownedIngressHosts } from "../../../components/edge/ingress-dns";
import { recordResources } from "../../support/pulumi";

const dnsType = "cloudflare:index/dnsRecord:DnsRecord";

const routes = [
    {
        ingressName: "mcp-typescript-api-ingress",
        hosts: ["api.example.com", "api-us-west-2.example.com"],
    },
    {
        ingressName: "mcp-semantic-ingress",
        hosts: ["semantic.example.com", "semantic-us-west-2.example.com"],
    },
];

describe("ownedIngressHosts", () => {
    it("gives the primary stack every host but those another component declares", () => {
        expect(
            ownedIngressHosts(routes, {
                ownsSharedHosts: true,
                sharedHosts: ["api.example.com"],
                ownedElsewhere: ["api-us-west-2.example.com"],
            }),
        ).toEqual([
            { hostname: "api.example.com", ingressName: "mcp-typescript-api-ingress" },
            { hostname: "semantic.example.com", ingressName: "mcp-semantic-ingress" },
            { hostname: "semantic-us-west-2.example.com", ingressName: "mcp-semantic-ingress" },
        ]);
    });

    it("leaves the shared hosts to the primary on a standby stack", () => {
        expect(
            ownedIngressHosts(routes, {
                ownsSharedHosts: false,
                sharedHosts: ["api.example.com", "semantic.example.com"],
                ownedElsewhere: [],
            }).map((o) => o.hostname),
        ).toEqual(["api-us-west-2.example.com", "semantic-us-west-2.example.com"]);
    });

    it("refuses a host two Ingresses serve", () => {
        expect(() =>
            ownedIngressHosts([...routes, { ingressName: "other", hosts: ["api.example.com"] }], {
                ownsSharedHosts: true,
                sharedHosts: [],
                ownedElsewhere: [],
            }),
        ).toThrow("host api.example.com is served by more than one Ingress");
    });
});

describe("IngressDns", () => {
    it("declares one proxied CNAME per hostname to its ALB", async () => {
        const recorded = await recordResources(
            () =>
                new IngressDns("ingress-dns", {
                    zoneId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                    records: [
                        {
                            hostname: "api.example.com",
                            target: pulumi.output("k8s-a-mock.us-east-1.elb.amazonaws.com"),
                        },
                        {
                            hostname: "semantic.example.com",
                            target: "k8s-b-mock.us-east-1.elb.amazonaws.com",
                        },
                    ],
                }),
        );
        const records = recorded
            .ofType(dnsType)
            .map((r) => ({ logical: r.name, ...r.inputs }))
            .sort((a, b) => a.logical.localeCompare(b.logical));
        expect(records).toEqual([
            {
                logical: "ingress-dns-api.example.com",
                zoneId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                name: "api.example.com",
                type: "CNAME",
                content: "k8s-a-mock.us-east-1.elb.amazonaws.com",
                proxied: true,
                ttl: 1,
                comment: "mcp ingress host (managed by Pulumi)",
            },
            {
                logical: "ingress-dns-semantic.example.com",
                zoneId: "a1b2c3d4e5f60718293a4b5c6d7e8f90",
                name: "semantic.example.com",
                type: "CNAME",
                content: "k8s-b-mock.us-east-1.elb.amazonaws.com",
                proxied: true,
                ttl: 1,
                comment: "mcp ingress host (managed by Pulumi)",
            },
        ]);
    });
});
