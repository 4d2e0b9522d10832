import { describe, expect, it } from "vitest";
import { checkAll, synthVariants } from "./check";
import { loadCallerFiles } from "./requests";

describe("IAM against the callers' real requests", () => {
    const models = synthVariants();
    const files = loadCallerFiles();

    it("allows every caller request and denies every outside request", async () => {
        const result = await checkAll(models, files);
        console.log(
            `iam: ${result.roles} roles, ${result.allowed.length} requests allowed, ` +
                `${result.denied.length} outside requests denied, ${result.unexpected.length} unexpected`,
        );
        expect(result.unexpected.map((u) => `${u.kind}: ${u.message}`)).toEqual([]);
    });
});
