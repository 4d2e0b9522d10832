/**
 * `npm run changed-images -- <base>`: the container images a change adds or changes, one
 * reference per line, for the pull-request workflow's trivy scan (docs/cluster.md, "Image
 * cache"). The images are every stack's and every config default's (tools/mcp/lib/pins.ts);
 * an image is changed when its reference (`name:tag[@digest]`, as written) appears nowhere in
 * the base commit's stack files or config/ — so a new tag, a new digest or a new image is
 * scanned, and an unchanged one is not scanned again.
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { type Pin, platformPins } from "../tools/mcp/lib/pins";

const projectDir = path.resolve(__dirname, "..");

/** `name:tag[@digest]`, as the stack file writes it. */
export function imageReference(pin: Pin): string {
    return `${pin.name}:${pin.current}${pin.digest ? `@${pin.digest}` : ""}`;
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Whether `reference` is written in the base commit's stack files or config/: as a whole
 * value (`fluent/fluent-bit:5.1.1` is not in `cr.fluentbit.io/fluent/fluent-bit:5.1.1`).
 */
function inBase(base: string, reference: string, dir: string): boolean {
    let lines: string;
    try {
        lines = execFileSync(
            "git",
            ["grep", "-h", "-F", "-e", reference, base, "--", "Pulumi.*.yaml", "config/"],
            { cwd: dir, encoding: "utf8" },
        );
    } catch {
        return false; // git grep exits 1 when nothing matches
    }
    const whole = new RegExp(`(^|[\\s"'\`])${escape(reference)}($|[\\s"'\`,])`, "m");
    return whole.test(lines);
}

/** The images of the working tree that the base commit does not pin. */
export function changedImages(base: string, dir = projectDir): string[] {
    const references = platformPins({ dir })
        .filter((pin) => pin.kind === "image")
        .map(imageReference);
    return [...new Set(references)].filter((ref) => !inBase(base, ref, dir)).sort();
}

if (require.main === module) {
    const base = process.argv[2];
    if (!base || base.startsWith("-")) {
        console.error("usage: npm run changed-images -- <base commit>");
        process.exit(2);
    }
    for (const image of changedImages(base)) console.log(image);
}
