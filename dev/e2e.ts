import { runE2e } from "../test/support/real-engine";

/**
 * npm run e2e: the real Pulumi engine (CLI, Kubernetes provider, YAML language host built by
 * `npm run engines`) deploys the production synth's manifests on a local control plane,
 * previews and applies a second synth, proves a replacement is detected, destroys.
 * Exits non-zero on any replacement of our manifests or any failure.
 */
async function main(): Promise<void> {
    const r = await runE2e((line) => console.error(line));
    console.log(`manifests: ${r.manifests}, pods the controllers created: ${r.podsCreated}`);
    console.log(`second preview steps: ${JSON.stringify(r.secondPreviewOps)}`);
    for (const x of r.replacements)
        console.log(`replaced: ${x.urn} (${x.op}): ${x.fields.join(", ")}`);
    for (const x of r.scratchReplacements)
        console.log(`scratch replacement (expected): ${x.urn}: ${x.fields.join(", ")}`);
    for (const f of r.failedCreates) console.log(`failed create: ${f}`);
    console.log(`left after destroy: ${r.leftAfterDestroy}`);
    console.log(
        `timings (s): ${Object.entries(r.timings)
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join(", ")}`,
    );
    const scratchOk = r.scratchReplacements.some((x) => x.urn.includes(r.scratchStatefulSet));
    if (!scratchOk)
        console.log(
            `scratch serviceName change on ${r.scratchStatefulSet} was NOT reported as a replace`,
        );
    const failed = r.failedCreates.length + (scratchOk ? 0 : 1) + (r.leftAfterDestroy > 0 ? 1 : 0);
    console.log(
        `e2e: ${r.created} created, ${r.updated} updated, ${r.replacements.length} replaced, ${failed} failed`,
    );
    process.exitCode = failed > 0 || r.replacements.length > 0 ? 1 : 0;
}

main().catch((error: unknown) => {
    console.error(error);
    console.log("e2e: 0 created, 0 updated, 0 replaced, 1 failed");
    process.exitCode = 1;
});
