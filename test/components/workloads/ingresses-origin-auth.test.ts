import { describe, expect, it } from "vitest";
import {
    originAuthConditions,
    originAuthDeniedAction,
    originAuthDeniedActionValue,
    PublicIngresses,
    type PublicIngressesArgs,
} from "../../../components/workloads/ingresses";
import { recordResources } from "../../support/pulumi";

/**
 * The origin credential check of PublicIngresses: a listener rule condition per backend, set
 * by an IngressPatch (the token is a secret), and a fixed 403 as the group's default action.
 */

const T = {
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    patch: "kubernetes:networking.k8s.io/v1:IngressPatch",
};

const args: PublicIngressesArgs = {
    routes: [
        {
            ingressName: "mcp-typescript-api-ingress",
            namespace: "mcp-production",
            serviceName: "mcp-typescript-api",
            hosts: ["api.example.com", "api-use1.example.com"],
        },
        {
            ingressName: "mcp-semantic-ingress",
            namespace: "mcp-system",
            serviceName: "mcp-semantic-control-plane",
            hosts: ["semantic.example.com"],
        },
    ],
    certificateArn:
        "arn:aws:acm:us-east-1:111111111111:certificate/3f1c2a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
    sourceRanges: { ipv4: ["198.51.100.0/24"], ipv6: [] },
};

/** Not a real credential: 64 hex characters as `openssl rand -hex 32` prints them. */
const token = "0f".repeat(32);
const originAuth = { header: "x-edge-auth", token };

describe("PublicIngresses with originAuth", () => {
    it("renders the controller's http-header condition with the one literal value", () => {
        expect(JSON.parse(originAuthConditions("x-edge-auth", token))).toEqual([
            {
                field: "http-header",
                httpHeaderConfig: { httpHeaderName: "x-edge-auth", values: [token] },
            },
        ]);
    });

    it("refuses a credential an ALB would read as a wildcard or could not hold, without echoing it", () => {
        for (const bad of ["abc*def", "abc?def", "a b", "x".repeat(129)]) {
            expect(() => originAuthConditions("x-edge-auth", bad)).toThrow(
                "mcp-platform:edgeOriginToken: expected at most 128 printable ASCII characters without spaces, * or ? (an ALB condition value is a wildcard pattern), e.g. `openssl rand -hex 32`",
            );
        }
    });

    it("patches each Ingress with the condition of its backend, after the Ingress exists", async () => {
        const recorded = await recordResources(
            () => new PublicIngresses("public", { ...args, originAuth }),
        );
        for (const route of args.routes) {
            const ingress = recorded.one(T.ingress, `public-${route.ingressName}`);
            const patch = recorded.one(T.patch, `public-${route.ingressName}-origin-auth`);
            // The token is secret: the recorded patch metadata is redacted as a whole.
            expect(patch.inputs.metadata).toEqual({
                name: "[secret]",
                namespace: "[secret]",
                annotations: {
                    [`alb.ingress.kubernetes.io/conditions.${route.serviceName}`]: "[secret]",
                },
            });
            expect(patch.policyInputs?.metadata).toEqual({
                name: route.ingressName,
                namespace: route.namespace,
                annotations: {
                    [`alb.ingress.kubernetes.io/conditions.${route.serviceName}`]:
                        originAuthConditions("x-edge-auth", token),
                },
            });
            expect(patch.options?.dependencies).toContain(ingress.urn);
            // The Ingress itself stays readable.
            expect((ingress.inputs.metadata as Record<string, unknown>).name).toBe(
                route.ingressName,
            );
        }
        expect(JSON.stringify(recorded.records)).not.toContain(token);
    });

    it("points the group's default at a fixed 403, from the first Ingress only", async () => {
        const recorded = await recordResources(
            () => new PublicIngresses("public", { ...args, originAuth }),
        );
        const inputsOf = (name: string) =>
            recorded.one(T.ingress, `public-${name}`).inputs as Record<string, any>;
        const first = inputsOf("mcp-typescript-api-ingress");
        const second = inputsOf("mcp-semantic-ingress");
        expect(first.spec.defaultBackend).toEqual({
            service: { name: originAuthDeniedAction, port: { name: "use-annotation" } },
        });
        expect(
            first.metadata.annotations[
                `alb.ingress.kubernetes.io/actions.${originAuthDeniedAction}`
            ],
        ).toBe(originAuthDeniedActionValue());
        expect(JSON.parse(originAuthDeniedActionValue())).toMatchObject({
            type: "fixed-response",
            fixedResponseConfig: { statusCode: "403", contentType: "application/json" },
        });
        expect(second.spec.defaultBackend).toBeUndefined();
        expect(Object.keys(second.metadata.annotations).join()).not.toContain(
            originAuthDeniedAction,
        );
    });

    it("conditions the maintenance action while maintenance is on", async () => {
        const recorded = await recordResources(
            () => new PublicIngresses("public", { ...args, originAuth, maintenance: true }),
        );
        const patch = recorded.one(T.patch, "public-mcp-semantic-ingress-origin-auth");
        expect(Object.keys(patch.policyInputs?.metadata as Record<string, any>)).toContain(
            "annotations",
        );
        expect(
            Object.keys((patch.policyInputs?.metadata as Record<string, any>).annotations),
        ).toEqual(["alb.ingress.kubernetes.io/conditions.maintenance"]);
    });

    it("adds nothing without originAuth", async () => {
        const recorded = await recordResources(() => new PublicIngresses("public", args));
        expect(recorded.ofType(T.patch)).toEqual([]);
        for (const ingress of recorded.ofType(T.ingress)) {
            expect((ingress.inputs.spec as Record<string, unknown>).defaultBackend).toBeUndefined();
        }
    });
});
