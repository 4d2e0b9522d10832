import { type E2eResult, runE2e } from "../test/support/real-engine";

/**
 * npm run e2e: the real Pulumi CLI (Go-built, with the Go-built Kubernetes provider) runs our
 * program's in-cluster layer as an Automation API inline program against two real control
 * planes (production and dr), through first deploy, update, volume growth, a forced replace,
 * `preview` with the policy pack, the DR switch by `npm run dr` and destroy (test/support/real-engine.ts). Progress on
 * stderr; the result on stdout, its last line the summary. Exits non-zero on any failed
 * check or replacement.
 */

/** The summary line. */
export function summaryLine(r: E2eResult): string {
    return (
        `e2e: ${r.created} created, ${r.updated} updated, ${r.replaced.length} replaced, ` +
        `${r.failures.length} failed, policies: ${r.policies.ran} ran, ` +
        `${r.policies.mandatory.length} mandatory, ` +
        `dr: activate ${r.dr.activate.toFixed(0)} s, failback ${r.dr.failback.toFixed(0)} s`
    );
}

async function main(): Promise<void> {
    const r = await runE2e((line) => console.error(line));
    for (const [check, failedAsItMust] of Object.entries(r.negatives)) {
        console.log(`scratch check: ${check}: ${failedAsItMust ? "yes" : "NO"}`);
    }
    for (const s of r.replaced)
        console.log(`replaced: ${s.urn} (${s.op}) [${s.replaceKeys?.join(", ")}]`);
    for (const f of r.failures) console.log(`failed: ${f}`);
    console.log(
        `timings (s): ${Object.entries(r.timings)
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join(", ")}`,
    );
    console.log(summaryLine(r));
    const negativesHeld = Object.values(r.negatives).every(Boolean);
    process.exitCode =
        r.failures.length > 0 || r.replaced.length > 0 || !negativesHeld || r.created < 150 ? 1 : 0;
}

main().catch((error: unknown) => {
    console.error(error);
    console.log("e2e: 0 created, 0 updated, 0 replaced, 1 failed (the run stopped: see above)");
    process.exitCode = 1;
});
