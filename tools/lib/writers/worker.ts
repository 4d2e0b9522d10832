import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceRecord } from "../records";
import type { ArtifactWriter } from "./types";

export const workersScriptType = "cloudflare:index/workersScript:WorkersScript";

/**
 * `out/<stack>/worker/`: the Cloudflare Worker module exactly as the WorkersScript uploads it
 * — the `content` input written byte for byte under its `mainModule` name. Nothing else goes
 * in the folder, so reviewers can diff it and `sha256sum` it against a deployment. Scripts are
 * separate uploads, so two may deploy modules of the same name; those are written under
 * `worker/<resource name>/` instead.
 */
export function workerModules(
    records: readonly ResourceRecord[],
): { file: string; content: string }[] {
    const modules = records
        .filter((r) => r.type === workersScriptType && r.custom)
        .map((r) => ({
            file: String(r.inputs.mainModule ?? "worker.js"),
            content: r.inputs.content,
            name: r.name,
        }));
    const uses = new Map<string, number>();
    for (const { file } of modules) uses.set(file, (uses.get(file) ?? 0) + 1);
    const taken = new Set<string>();
    return modules.map(({ file, content, name }) => {
        if (typeof content !== "string") {
            throw new Error(`WorkersScript ${name}: content is not a plain string`);
        }
        if (path.basename(file) !== file) throw new Error(`unexpected mainModule ${file}`);
        let written = file;
        if ((uses.get(file) ?? 0) > 1) {
            // Resource names of one type repeat only under different parents.
            let folder = name;
            for (let n = 2; taken.has(path.join(folder, file)); n++) folder = `${name}-${n}`;
            written = path.join(folder, file);
        }
        taken.add(written);
        return { file: written, content };
    });
}

export const workerWriter: ArtifactWriter = {
    name: "worker",
    write({ outDir, records }) {
        const written: string[] = [];
        for (const module of workerModules(records)) {
            const file = path.join("worker", module.file);
            fs.mkdirSync(path.dirname(path.join(outDir, file)), { recursive: true });
            fs.writeFileSync(path.join(outDir, file), module.content, "utf8");
            written.push(file);
        }
        return written;
    },
};
