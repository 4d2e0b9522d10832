import * as fs from "node:fs";
import * as path from "node:path";

const projectDir = path.resolve(__dirname, "../..");

/**
 * Replaces the figures between `<!-- <bench>:begin -->` and `<!-- <bench>:end -->` in a doc
 * (`--write-docs` of the benches), so the docs carry the last measured run verbatim.
 */
export function writeBenchFigures(doc: string, bench: string, figures: string): void {
    const file = path.join(projectDir, doc);
    const begin = `<!-- ${bench}:begin -->`;
    const end = `<!-- ${bench}:end -->`;
    const text = fs.readFileSync(file, "utf8");
    const a = text.indexOf(begin);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${doc} has no ${begin} … ${end} section`);
    fs.writeFileSync(file, `${text.slice(0, a + begin.length)}\n${figures}\n${text.slice(b)}`);
    process.stdout.write(`wrote the figures to ${doc}\n`);
}
