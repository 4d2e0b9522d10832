import * as fs from "node:fs";
import * as path from "node:path";
import type { ResourceRecord } from "../records";
import type { ArtifactWriter } from "./types";

export const workersScriptType = "cloudflare:index/workersScript:WorkersScript";

/**
 * `out/<stack>/worker/`: the Cloudflare Worker module exactly as the WorkersScript uploads it
 * — the `content` input written byte for byte under its `mainModule` name. Nothing else goes
 * in the folder, so reviewers can diff it and `sha256sum` it against a deployment.
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
    const seen = new Set<string>();
    return modules.map(({ file, content, name }) => {
        if (typeof content !== "string") {
            throw new Error(`WorkersScript ${name}: content is not a plain string`);
        }
        if (seen.has(file)) throw new Error(`two WorkersScripts deploy a module named ${file}`);
        if (path.basename(file) !== file) throw new Error(`unexpected mainModule ${file}`);
        seen.add(file);
        return { file, content };
    });
}

export const workerWriter: ArtifactWriter = {
    name: "worker",
    write({ outDir, records }) {
        const written: string[] = [];
        for (const module of workerModules(records)) {
            const file = path.join("worker", module.file);
            fs.mkdirSync(path.join(outDir, "worker"), { recursive: true });
            fs.writeFileSync(path.join(outDir, file), module.content, "utf8");
            written.push(file);
        }
        return written;
    },
};
