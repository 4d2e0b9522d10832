import { beforeAll, describe, expect, it } from "vitest";
import type { ResourceRecord } from "../../../tools/lib/records";
import { engineInputs, runStackProgram } from "../../support/program";
import { synth } from "../../support/synth";

/**
 * The origin's half of the edge credential, as `npm run synth` renders it for the AWS Load
 * Balancer Controller (v3.5.0 annotations): every Ingress rule forwards only requests whose
 * `x-edge-auth` header carries the credential the Worker binds, anything else falls to the
 * group's default action, a fixed 403, and nothing written to out/ holds the credential.
 * (The Worker's half, that it sends the header on every origin request, is tested in workerd:
 * test/worker/public-hosts.test.ts.)
 */

const T = {
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    patch: "kubernetes:networking.k8s.io/v1:IngressPatch",
    script: "cloudflare:index/workersScript:WorkersScript",
};
const annotation = "alb.ingress.kubernetes.io";
/** What the offline synth fills in for the unset credential (tools/lib/stack-file.ts). */
const placeholder = "unset:mcp-platform:edgeOriginToken";

type Obj = Record<string, any>;

const backendsOf = (ingress: Obj): string[] => [
    ...new Set(
        (ingress.spec.rules as Obj[]).flatMap((rule) =>
            (rule.http.paths as Obj[]).map((p) => p.backend.service.name as string),
        ),
    ),
];

describe.each(["production", "dr"] as const)(
    "npm run synth -- %s: the origin credential check",
    (stack) => {
        let resources: ResourceRecord[];
        let program: ResourceRecord[];
        beforeAll(async () => {
            const result = synth(stack);
            expect(result.status, result.stderr).toBe(0);
            resources = result.resources();
            program = await runStackProgram(stack);
        });
        const ingresses = () =>
            resources.filter((r) => r.type === T.ingress) as (ResourceRecord & { inputs: Obj })[];
        const patchOf = (records: ResourceRecord[], ingressName: string) =>
            records.find(
                (r) => r.type === T.patch && r.name === `mcp-ingresses-${ingressName}-origin-auth`,
            );

        it("adds an x-edge-auth condition to every rule's backend, redacted in resources.json", () => {
            expect(ingresses().length).toBeGreaterThan(0);
            for (const ingress of ingresses()) {
                const name = ingress.inputs.metadata.name as string;
                const patch = patchOf(resources, name) as
                    (ResourceRecord & { inputs: Obj }) | undefined;
                expect(patch, `the origin-auth patch of ${name}`).toBeDefined();
                const keys = Object.keys(patch!.inputs.metadata.annotations).sort();
                expect(keys).toEqual(
                    backendsOf(ingress.inputs).map((b) => `${annotation}/conditions.${b}`),
                );
                for (const key of keys)
                    expect(patch!.inputs.metadata.annotations[key]).toBe("[secret]");
                // Applied after the Ingress it patches.
                expect(patch!.options?.dependencies).toContain(ingress.urn);
            }
        });

        it("requires exactly the credential the Worker binds, in the header the Worker sends", () => {
            const production = stack === "production";
            const script = program.find((r) => r.type === T.script);
            expect(script !== undefined).toBe(production);
            if (script) {
                const bindings = engineInputs(script).bindings as Obj[];
                expect(bindings.find((b) => b.name === "ORIGIN_AUTH_TOKEN")).toEqual({
                    type: "secret_text",
                    name: "ORIGIN_AUTH_TOKEN",
                    text: placeholder,
                });
            }
            for (const ingress of program.filter((r) => r.type === T.ingress)) {
                const name = engineInputs(ingress).metadata as Obj;
                const patch = patchOf(program, name.name)!;
                const metadata = engineInputs(patch).metadata as Obj;
                expect(metadata).toMatchObject({ name: name.name, namespace: name.namespace });
                for (const value of Object.values(metadata.annotations as Record<string, string>)) {
                    expect(JSON.parse(value)).toEqual([
                        {
                            field: "http-header",
                            httpHeaderConfig: {
                                httpHeaderName: "x-edge-auth",
                                values: [placeholder],
                            },
                        },
                    ]);
                }
            }
        });

        it("answers everything else with the group's default action: a fixed 403", () => {
            const withDefault = ingresses().filter(
                (r) => r.inputs.spec.defaultBackend !== undefined,
            );
            // One Ingress of the group sets it (the controller refuses two).
            expect(withDefault).toHaveLength(1);
            const ingress = withDefault[0].inputs;
            expect(ingress.spec.defaultBackend).toEqual({
                service: { name: "edge-auth-required", port: { name: "use-annotation" } },
            });
            const action = JSON.parse(
                ingress.metadata.annotations[`${annotation}/actions.edge-auth-required`],
            );
            expect(action).toMatchObject({
                type: "fixed-response",
                fixedResponseConfig: { contentType: "application/json", statusCode: "403" },
            });
            expect(JSON.parse(action.fixedResponseConfig.messageBody)).toMatchObject({
                error: "forbidden",
            });
            const groups = new Set(
                ingresses().map((r) => r.inputs.metadata.annotations[`${annotation}/group.name`]),
            );
            expect(groups.size).toBe(1);
        });

        it("writes the credential nowhere", () => {
            expect(JSON.stringify(resources)).not.toContain(placeholder);
        });
    },
);
