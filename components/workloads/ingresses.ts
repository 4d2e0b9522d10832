import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { standardLabels } from "../kit/labels";
import { maintenanceAction, maintenancePage } from "../../contracts/edge";

/** One public entry point: an Ingress in front of one Service. */
export interface PublicRoute {
    /** Ingress name, e.g. "mcp-semantic-ingress". */
    readonly ingressName: string;
    readonly namespace: string;
    /** Backend Service; its port must be named `http`. */
    readonly serviceName: string;
    /** Hostnames the ALB answers for this route. */
    readonly hosts: readonly string[];
}

/** Address ranges an ALB accepts connections from (the edge's published ranges). */
export interface SourceRanges {
    readonly ipv4: readonly string[];
    readonly ipv6: readonly string[];
}

export interface PublicIngressesArgs {
    readonly routes: readonly PublicRoute[];
    /**
     * The only client addresses the ALB accepts (`alb.ingress.kubernetes.io/inbound-cidrs`,
     * which the controller turns into the ALB security group's rules): Cloudflare's ranges,
     * so nothing reaches the ALB except through the edge. IPv6 ranges apply only to a
     * dualstack ALB.
     */
    readonly sourceRanges: pulumi.Input<SourceRanges>;
    /** The ALB's address family. @default "ipv4" */
    readonly ipAddressType?: "ipv4" | "dualstack";
    /** ACM certificate ARN (in this stack's region) for the HTTPS listener. */
    readonly certificateArn: string;
    /** @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
    readonly sslPolicy?: string;
    /**
     * Maintenance mode: every route answers 503 with a maintenance page from the
     * ALB itself, without reaching the pods. @default false
     */
    readonly maintenance?: boolean;
    /** @default "Scheduled maintenance is in progress. Please try again shortly." */
    readonly maintenanceMessage?: string;
    /** ALB IngressGroup: all routes share one load balancer. @default "mcp-public" */
    readonly groupName?: string;
    /** Target health check path (readiness). @default "/health/ready" */
    readonly healthCheckPath?: string;
    /** AWS tags of the ALB, e.g. the stack's default tags. @default {} */
    readonly tags?: Readonly<Record<string, string>>;
}

/** The annotations of a public ALB Ingress (AWS Load Balancer Controller). */
export function albAnnotations(
    args: PublicIngressesArgs,
    maintenance: boolean,
): Record<string, string> {
    const annotations: Record<string, string> = {
        "alb.ingress.kubernetes.io/scheme": "internet-facing",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/group.name": args.groupName ?? "mcp-public",
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/ssl-redirect": "443",
        "alb.ingress.kubernetes.io/certificate-arn": args.certificateArn,
        "alb.ingress.kubernetes.io/ssl-policy":
            args.sslPolicy ?? "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "alb.ingress.kubernetes.io/backend-protocol": "HTTP",
        "alb.ingress.kubernetes.io/healthcheck-path": args.healthCheckPath ?? "/health/ready",
        "alb.ingress.kubernetes.io/load-balancer-attributes":
            "routing.http.drop_invalid_header_fields.enabled=true",
    };
    const tags = Object.entries(args.tags ?? {});
    if (tags.length > 0) {
        annotations["alb.ingress.kubernetes.io/tags"] = tags.map(([k, v]) => `${k}=${v}`).join(",");
    }
    if (args.ipAddressType === "dualstack") {
        annotations["alb.ingress.kubernetes.io/ip-address-type"] = "dualstack";
    }
    if (maintenance) {
        annotations[`alb.ingress.kubernetes.io/actions.${maintenanceAction}`] = JSON.stringify({
            type: "fixed-response",
            fixedResponseConfig: {
                contentType: "text/html",
                statusCode: "503",
                messageBody: maintenancePage(
                    args.maintenanceMessage ??
                        "Scheduled maintenance is in progress. Please try again shortly.",
                ),
            },
        });
    }
    return annotations;
}

/** The `inbound-cidrs` value: the IPv4 ranges, then the IPv6 ones on a dualstack ALB. */
export function inboundCidrs(ranges: SourceRanges, ipAddressType: "ipv4" | "dualstack"): string {
    const cidrs = [...ranges.ipv4, ...(ipAddressType === "dualstack" ? ranges.ipv6 : [])];
    if (cidrs.length === 0) {
        throw new Error("inbound-cidrs: no source ranges given; the ALB would accept nobody");
    }
    return cidrs.join(",");
}

/**
 * The public Ingresses (ingressClassName `alb`: internet-facing ALB, IP targets, HTTPS with
 * the ACM certificate, HTTP redirected to HTTPS), one per route, all in one ALB group.
 * In maintenance mode each rule points at a fixed-response action that answers 503 with a
 * small HTML page; turning it off points the rules back at the Services. Every ALB accepts
 * only `sourceRanges` (the origin lock, docs/edge.md).
 */
export class PublicIngresses extends pulumi.ComponentResource {
    /** The Ingress objects, by Ingress name. */
    public readonly ingresses: Readonly<Record<string, k8s.networking.v1.Ingress>>;
    /**
     * The DNS name of the ALB serving each Ingress, by Ingress name, as the controller reports
     * it (`status.loadBalancer.ingress[0].hostname`); all routes share one ALB group.
     */
    public readonly albHostnames: Readonly<Record<string, pulumi.Output<string>>>;

    constructor(name: string, args: PublicIngressesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("mcp-platform:workloads:PublicIngresses", name, {}, opts);

        const maintenance = args.maintenance ?? false;
        const cidrs = pulumi
            .output(args.sourceRanges)
            .apply((ranges) => inboundCidrs(ranges, args.ipAddressType ?? "ipv4"));
        const ingresses: Record<string, k8s.networking.v1.Ingress> = {};
        const albHostnames: Record<string, pulumi.Output<string>> = {};
        for (const route of args.routes) {
            const backend = maintenance
                ? { service: { name: maintenanceAction, port: { name: "use-annotation" } } }
                : { service: { name: route.serviceName, port: { name: "http" } } };
            ingresses[route.ingressName] = new k8s.networking.v1.Ingress(
                `${name}-${route.ingressName}`,
                {
                    metadata: {
                        name: route.ingressName,
                        namespace: route.namespace,
                        labels: standardLabels({
                            name: route.ingressName,
                            component: "ingress",
                        }),
                        annotations: {
                            ...albAnnotations(args, maintenance),
                            "alb.ingress.kubernetes.io/inbound-cidrs": cidrs,
                        },
                    },
                    spec: {
                        ingressClassName: "alb",
                        rules: route.hosts.map((host) => ({
                            host,
                            http: { paths: [{ path: "/", pathType: "Prefix", backend }] },
                        })),
                    },
                },
                { parent: this },
            );
            albHostnames[route.ingressName] = ingresses[route.ingressName].status.apply(
                (status) => {
                    const hostname = status?.loadBalancer?.ingress?.[0]?.hostname;
                    if (!hostname) {
                        throw new Error(
                            `Ingress ${route.namespace}/${route.ingressName}: no ALB hostname in status.loadBalancer.ingress[0].hostname`,
                        );
                    }
                    return hostname;
                },
            );
        }
        this.ingresses = ingresses;
        this.albHostnames = albHostnames;
        this.registerOutputs({ ingresses: Object.keys(ingresses), albHostnames });
    }
}
