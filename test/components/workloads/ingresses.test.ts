import { beforeAll, describe, expect, it } from "vitest";
import {
    albAnnotations,
    inboundCidrs,
    PublicIngresses,
    type PublicIngressesArgs,
} from "../../../components/workloads/ingresses";
import { promiseOf, type Recorded, recordResources } from "../../support/pulumi";
import { fixedResponseMaxLength, maintenancePage } from "../../../contracts/edge";

const sourceRanges = { ipv4: ["198.51.100.0/24", "203.0.113.0/24"], ipv6: ["2001:db8::/32"] };

const args: PublicIngressesArgs = {
    routes: [
        {
            ingressName: "mcp-semantic-ingress",
            namespace: "mcp-system",
            serviceName: "mcp-semantic-control-plane",
            hosts: ["semantic.mcp-production.com", "semantic-us-east-1.mcp-production.com"],
        },
    ],
    certificateArn:
        "arn:aws:acm:us-east-1:111111111111:certificate/3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
    tags: { environment: "production", owner: "platform-sre" },
    sourceRanges,
};

const ingressOf = (recorded: Recorded) => {
    const [ingress] = recorded.ofType("kubernetes:networking.k8s.io/v1:Ingress");
    return ingress.inputs as Record<string, any>;
};

describe("PublicIngresses", () => {
    let normal: Recorded;
    let maintenance: Recorded;
    beforeAll(async () => {
        normal = await recordResources(() => new PublicIngresses("public", args));
        maintenance = await recordResources(
            () =>
                new PublicIngresses("public", {
                    ...args,
                    maintenance: true,
                    maintenanceMessage: "Back at 06:00 UTC <promise>",
                }),
        );
    });

    it("exposes each host through an internet-facing ALB with HTTPS and an HTTP redirect", () => {
        const ingress = ingressOf(normal);
        expect(ingress.metadata.name).toBe("mcp-semantic-ingress");
        expect(ingress.metadata.namespace).toBe("mcp-system");
        expect(ingress.spec.ingressClassName).toBe("alb");
        expect(ingress.metadata.annotations).toMatchObject({
            "alb.ingress.kubernetes.io/scheme": "internet-facing",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
            "alb.ingress.kubernetes.io/ssl-redirect": "443",
            "alb.ingress.kubernetes.io/certificate-arn": args.certificateArn,
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "alb.ingress.kubernetes.io/healthcheck-path": "/health/ready",
            "alb.ingress.kubernetes.io/group.name": "mcp-public",
            "alb.ingress.kubernetes.io/tags": "environment=production,owner=platform-sre",
        });
        expect(ingress.spec.rules).toEqual(
            args.routes[0].hosts.map((host) => ({
                host,
                http: {
                    paths: [
                        {
                            path: "/",
                            pathType: "Prefix",
                            backend: {
                                service: {
                                    name: "mcp-semantic-control-plane",
                                    port: { name: "http" },
                                },
                            },
                        },
                    ],
                },
            })),
        );
        expect(
            Object.keys(ingress.metadata.annotations).filter((k) => k.includes("/actions.")),
        ).toEqual([]);
    });

    it("answers 503 with an HTML maintenance page from the ALB in maintenance mode", () => {
        const ingress = ingressOf(maintenance);
        for (const rule of ingress.spec.rules) {
            expect(rule.http.paths[0].backend).toEqual({
                service: { name: "maintenance", port: { name: "use-annotation" } },
            });
        }
        const action = JSON.parse(
            ingress.metadata.annotations["alb.ingress.kubernetes.io/actions.maintenance"],
        );
        expect(action.type).toBe("fixed-response");
        expect(action.fixedResponseConfig.statusCode).toBe("503");
        expect(action.fixedResponseConfig.contentType).toBe("text/html");
        expect(action.fixedResponseConfig.messageBody).toMatch(/^<!doctype html>/);
        expect(action.fixedResponseConfig.messageBody).toContain(
            "Back at 06:00 UTC &#60;promise&#62;",
        );
        expect(action.fixedResponseConfig.messageBody.length).toBeLessThanOrEqual(
            fixedResponseMaxLength,
        );
    });

    it("refuses a maintenance page longer than the ALB accepts", () => {
        expect(() => maintenancePage("x".repeat(900))).toThrow(/at most 1024/);
        expect(
            albAnnotations({ ...args, maintenance: true }, true)[
                "alb.ingress.kubernetes.io/actions.maintenance"
            ],
        ).toContain("Scheduled maintenance is in progress");
    });

    it("accepts only the given source ranges: IPv4, plus IPv6 on a dualstack ALB", async () => {
        expect(ingressOf(normal).metadata.annotations).toMatchObject({
            "alb.ingress.kubernetes.io/inbound-cidrs": "198.51.100.0/24,203.0.113.0/24",
        });
        expect(ingressOf(normal).metadata.annotations).not.toHaveProperty(
            "alb.ingress.kubernetes.io/ip-address-type",
        );
        const dualstack = await recordResources(
            () => new PublicIngresses("public", { ...args, ipAddressType: "dualstack" }),
        );
        expect(ingressOf(dualstack).metadata.annotations).toMatchObject({
            "alb.ingress.kubernetes.io/ip-address-type": "dualstack",
            "alb.ingress.kubernetes.io/inbound-cidrs":
                "198.51.100.0/24,203.0.113.0/24,2001:db8::/32",
        });
        expect(() => inboundCidrs({ ipv4: [], ipv6: ["2001:db8::/32"] }, "ipv4")).toThrow(
            /no source ranges/,
        );
    });

    it("reports each Ingress's ALB hostname from its status", async () => {
        let hostname: Promise<string> | undefined;
        await recordResources(() => {
            const ingresses = new PublicIngresses("public", args);
            hostname = promiseOf(ingresses.albHostnames["mcp-semantic-ingress"]);
        });
        // The mock runtime answers k8s-<name>-mock.<region>.elb.amazonaws.com for an Ingress.
        expect(await hostname).toBe("k8s-mcp-semantic-ingress-mock.us-east-1.elb.amazonaws.com");
    });
});
