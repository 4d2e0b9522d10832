import { describe, expect, it } from "vitest";
import { EdgeSwitch } from "../../../components/edge/edge-switch";
import { promiseOf, recordResources } from "../../support/pulumi";

const accountId = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const primaryStack = "acme/mcp-platform/production";

describe("EdgeSwitch", () => {
    it("finds the production KV namespace through a StackReference", async () => {
        const recorded = await recordResources(
            () => new EdgeSwitch("edge-switch", { accountId, primaryStack }),
        );
        const reference = recorded.one("pulumi:pulumi:StackReference", "edge-switch-primary-stack");
        expect(reference.inputs.name).toBe(primaryStack);
        expect(reference.parent).toContain("mcp-platform:edge:EdgeSwitch::edge-switch");
    });

    it('writes active-region = "primary" by default (standing by)', async () => {
        let component: EdgeSwitch | undefined;
        const recorded = await recordResources(() => {
            component = new EdgeSwitch("edge-switch", { accountId, primaryStack });
        });
        const kv = recorded.ofType("cloudflare:index/workersKv:WorkersKv");
        expect(kv.map((r) => r.inputs)).toEqual([
            {
                accountId,
                // The production Edge's namespace id, as the StackReference mock returns it.
                namespaceId: "edge-switches-id",
                keyName: "active-region",
                value: "primary",
            },
        ]);
        expect(await promiseOf(component!.activeRegion)).toBe("primary");
        expect(await promiseOf(component!.kvNamespaceId)).toBe("edge-switches-id");
    });

    it('writes active-region = "dr" when DR is activated', async () => {
        const recorded = await recordResources(
            () => new EdgeSwitch("edge-switch", { accountId, primaryStack, activeRegion: "dr" }),
        );
        expect(
            recorded.one("cloudflare:index/workersKv:WorkersKv", "edge-switch-active-region").inputs
                .value,
        ).toBe("dr");
    });
});
