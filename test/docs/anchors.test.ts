import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Every place the repository sends a reader to a document names a file and a heading that
 * exist: an operator who follows `docs/dr.md, "Failback"` from an error message must land on
 * that section. Checked in every *.ts, *.mts, *.mjs, *.sh, *.md, *.yml and *.yaml outside
 * node_modules and out/. The forms:
 *
 * - a quoted section: `docs/x.md, "Title"`, `docs/x.md "Title"`, `docs/x.md ("Title")`;
 *   the title may wrap onto the next comment line;
 * - a bare section in parentheses: `(docs/x.md, Title)`;
 * - a markdown link in a .md file: `[text](x.md#anchor)`, `[text](#anchor)`, `[text](../x.md)`,
 *   relative to the linking file;
 * - a path with an anchor anywhere: `docs/x.md#anchor`;
 * - any other `docs/x.md`: the file exists.
 *
 * A `docs/…` path is relative to the repository root. A quoted or bare title matches a heading
 * of the file case-insensitively, inline code marks aside; a heading's trailing parenthetical
 * may be left out (`"Certificate probes"` names `## Certificate probes (blackbox exporter)`).
 * An anchor is matched against GitHub's slugs of the file's headings.
 */
const projectDir = path.resolve(__dirname, "../..");
const scanned = /\.(ts|mts|mjs|sh|md|ya?ml)$/;
const skippedFolders = new Set(["node_modules", "out", "bin", "dist", ".git"]);
/** This file holds made-up citations on purpose. */
const self = path.relative(projectDir, __filename);

interface Citation {
    /** The file that cites, relative to the repository root. */
    from: string;
    line: number;
    /** The offset in the citing file where the cited path starts. */
    at: number;
    /** The cited file, relative to the repository root. */
    file: string;
    section?: string;
    anchor?: string;
}

/** The citations in `text`, the contents of the repository file `from`. */
function citations(text: string, from: string): Citation[] {
    const found: Citation[] = [];
    const lineOf = (index: number) => text.slice(0, index).split("\n").length;
    const add = (at: number, file: string, rest: Pick<Citation, "section" | "anchor">) =>
        found.push({ from, line: lineOf(at), at, file: path.normalize(file), ...rest });
    const docPath = String.raw`(?<![\w/.-])(docs/[\w./-]+\.md)`;

    // docs/x.md, "Title" — the title may continue on the next line of a comment
    const quoted = new RegExp(
        String.raw`${docPath}(?:,\s*|\s+)\(?(?:section\s+)?["“]([^"”\n]+(?:\n[ \t]*(?:\*|//|#)?[ \t]*[^"”\n]+)?)["”]`,
        "g",
    );
    for (const m of text.matchAll(quoted)) {
        const section = m[2].replace(/\s*\n[ \t]*(?:\*|\/\/|#)?[ \t]*/g, " ").trim();
        add(m.index, m[1], { section });
    }
    // (docs/x.md, Title)
    for (const m of text.matchAll(new RegExp(String.raw`\(${docPath},\s*([^()"“,;.\n]+)\)`, "g"))) {
        add(m.index + 1, m[1], { section: m[2].trim() });
    }
    // docs/x.md#anchor
    for (const m of text.matchAll(new RegExp(String.raw`${docPath}#([\w-]+)`, "g"))) {
        add(m.index, m[1], { anchor: m[2] });
    }
    // any other docs/x.md: the file exists
    const cited = new Set(found.map((c) => c.at));
    for (const m of text.matchAll(new RegExp(docPath, "g"))) {
        if (!cited.has(m.index)) add(m.index, m[1], {});
    }
    // [text](target) in markdown, relative to the linking file
    if (from.endsWith(".md")) {
        for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
            const target = m[1];
            if (/^[a-z]+:/i.test(target)) continue;
            const [relative, anchor] = target.split("#");
            const file = relative ? path.join(path.dirname(from), relative) : from;
            add(m.index, file, anchor ? { anchor } : {});
        }
    }
    return found;
}

/** The text of each ATX heading of a markdown document, outside fenced code blocks. */
function headings(markdown: string): string[] {
    const result: string[] = [];
    let fence: string | undefined;
    for (const line of markdown.split("\n")) {
        const opener = /^ {0,3}(`{3,}|~{3,})/.exec(line);
        if (opener) {
            if (!fence) fence = opener[1][0];
            else if (opener[1][0] === fence) fence = undefined;
            continue;
        }
        if (fence) continue;
        const heading = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
        if (heading) result.push(heading[1]);
    }
    return result;
}

/** A heading's visible text: links reduced to their text, inline code marks removed. */
const visible = (heading: string) =>
    heading
        .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
        .replace(/[`*]/g, "")
        .replace(/\s+/g, " ")
        .trim();

/** GitHub's anchors for a document's headings, a repeated slug numbered `-1`, `-2`, … */
function slugs(markdown: string): string[] {
    const seen = new Map<string, number>();
    return headings(markdown).map((heading) => {
        const base = visible(heading)
            .toLowerCase()
            .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
            .replace(/ /g, "-");
        const count = seen.get(base) ?? 0;
        seen.set(base, count + 1);
        return count === 0 ? base : `${base}-${count}`;
    });
}

/** Whether `section` names one of the document's headings. */
function hasSection(markdown: string, section: string): boolean {
    const wanted = visible(section).toLowerCase();
    return headings(markdown).some((heading) => {
        const text = visible(heading).toLowerCase();
        return text === wanted || text.replace(/\s*\([^()]*\)$/, "") === wanted;
    });
}

/** What is wrong with a citation, or undefined when it resolves. */
function problem(citation: Citation, read: (file: string) => string | undefined) {
    const where = `${citation.from}:${citation.line} cites ${citation.file}`;
    const text = read(citation.file);
    if (text === undefined) return `${where}: no such file`;
    if (citation.section !== undefined && !hasSection(text, citation.section))
        return `${where}, "${citation.section}": no such heading`;
    if (citation.anchor !== undefined && !slugs(text).includes(citation.anchor))
        return `${where}#${citation.anchor}: no heading has this anchor`;
    return undefined;
}

function sourceFiles(dir = ""): string[] {
    return fs.readdirSync(path.join(projectDir, dir), { withFileTypes: true }).flatMap((entry) => {
        const rel = path.join(dir, entry.name);
        if (entry.isDirectory()) return skippedFolders.has(entry.name) ? [] : sourceFiles(rel);
        return scanned.test(entry.name) && rel !== self ? [rel] : [];
    });
}

function readRepoFile(file: string): string | undefined {
    const full = path.join(projectDir, file);
    if (!fs.existsSync(full)) return undefined;
    return fs.statSync(full).isDirectory() ? "" : fs.readFileSync(full, "utf8");
}

describe("doc citations", () => {
    it("name files and headings that exist, in code and docs alike", () => {
        const all = sourceFiles().flatMap((file) =>
            citations(fs.readFileSync(path.join(projectDir, file), "utf8"), file),
        );
        // the forms are all in use: a change to the extraction that finds nothing fails here
        expect(all.filter((c) => c.section).length).toBeGreaterThan(40);
        expect(all.filter((c) => c.anchor).length).toBeGreaterThan(40);
        const problems = new Set(all.map((c) => problem(c, readRepoFile)).filter(Boolean));
        expect([...problems]).toEqual([]);
    });
});

describe("the citation check itself", () => {
    const dr = [
        "# Disaster recovery",
        "## Activate",
        "```bash",
        "# Not a heading",
        "```",
        "### Failback by re-seeding (from dr's WAL archive)",
        "## The `mcp` CLI",
        "## Activate",
    ].join("\n");
    const read = (file: string) => (file === "docs/dr.md" ? dr : undefined);
    const check = (text: string, from = "tools/probe.ts") =>
        citations(text, from).map((c) => problem(c, read) ?? "ok");

    it("finds each form and accepts the headings that exist", () => {
        expect(
            check(
                [
                    `// see docs/dr.md, "Activate" and docs/dr.md ("the mcp CLI")`,
                    ` * (docs/dr.md, "Failback by`,
                    ` * re-seeding"), (docs/dr.md, Activate), docs/dr.md#activate-1`,
                    `throw new Error("run it (docs/dr.md#the-mcp-cli)");`,
                ].join("\n"),
            ),
        ).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
    });

    it("reports a made-up section, anchor or file, with where it is cited", () => {
        expect(check(`// docs/dr.md, "Promote the standby"`)).toEqual([
            `tools/probe.ts:1 cites docs/dr.md, "Promote the standby": no such heading`,
        ]);
        expect(check(`\n# (docs/dr.md, Not a heading)`)).toEqual([
            `tools/probe.ts:2 cites docs/dr.md, "Not a heading": no such heading`,
        ]);
        expect(check(`docs/dr.md#promote-the-standby`)).toEqual([
            `tools/probe.ts:1 cites docs/dr.md#promote-the-standby: no heading has this anchor`,
        ]);
        expect(check(`docs/nowhere.md, "Activate"`)).toEqual([
            `tools/probe.ts:1 cites docs/nowhere.md: no such file`,
        ]);
    });

    it("resolves markdown links from the linking file", () => {
        expect(check("[a](../dr.md#activate) [b](../dr.md#drills)", "docs/runbooks/R.md")).toEqual([
            "ok",
            "docs/runbooks/R.md:1 cites docs/dr.md#drills: no heading has this anchor",
        ]);
        expect(check("[c](#activate) [d](#nowhere)", "docs/dr.md")).toEqual([
            "ok",
            "docs/dr.md:1 cites docs/dr.md#nowhere: no heading has this anchor",
        ]);
    });

    it("takes a list of paths for files, not for sections", () => {
        const found = citations(`const docs = ["docs/dr.md", "docs/operations.md"];`, "t.ts");
        expect(found.map((c) => [c.file, c.section, c.anchor])).toEqual([
            ["docs/dr.md", undefined, undefined],
            ["docs/operations.md", undefined, undefined],
        ]);
        expect(check("see docs/nowhere.md and docs/dr.md")).toEqual([
            "tools/probe.ts:1 cites docs/nowhere.md: no such file",
            "ok",
        ]);
    });
});
