import * as fs from "node:fs";
import * as path from "node:path";
import { loadWASM, OnigScanner, OnigString } from "vscode-oniguruma";
import { projectDir } from "../../support/synth";

/**
 * Fluent Bit evaluates parser regexes and `match_regex` with Onigmo (Ruby syntax). These
 * helpers run the same patterns through Oniguruma (vscode-oniguruma, the WASM build of the
 * library Onigmo was forked from): named groups `(?<name>…)`, lazy quantifiers, lookahead.
 *
 * Two differences are handled here rather than ignored:
 * - vscode-oniguruma compiles with ONIG_OPTION_CAPTURE_GROUP, so plain `(…)` groups are
 *   numbered too; {@link groupNames} numbers every capturing group the same way and maps
 *   the named ones, which is what Fluent Bit reads (`onig_foreach_name`).
 * - Indices are UTF-16 code units (the JS string), so slices are taken from the JS string.
 */

let loaded: Promise<void> | undefined;

export function loadOniguruma(): Promise<void> {
    loaded ??= (async () => {
        const wasm = fs.readFileSync(
            path.join(projectDir, "node_modules/vscode-oniguruma/release/onig.wasm"),
        );
        await loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
    })();
    return loaded;
}

/** Capture-group number → name (undefined for unnamed groups), in Oniguruma's numbering. */
export function groupNames(pattern: string): (string | undefined)[] {
    const names: (string | undefined)[] = [];
    let inClass = false;
    for (let i = 0; i < pattern.length; i++) {
        const char = pattern[i];
        if (char === "\\") {
            i++;
            continue;
        }
        if (inClass) {
            if (char === "]") inClass = false;
            continue;
        }
        if (char === "[") {
            inClass = true;
            continue;
        }
        if (char !== "(") continue;
        if (pattern[i + 1] !== "?") {
            names.push(undefined);
            continue;
        }
        const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(pattern.slice(i));
        if (named) names.push(named[1]);
    }
    return names;
}

export interface CompiledRegex {
    /** Named captures of the first match (Onigmo `onig_search`), or null when none. */
    search(text: string): Record<string, string> | null;
    /** Fluent Bit's router: `onig_match` at offset 0 with a non-empty match. */
    matchesTag(tag: string): boolean;
}

/** Compiles `pattern` (call {@link loadOniguruma} first); throws if Oniguruma rejects it. */
export function compile(pattern: string): CompiledRegex {
    const scanner = new OnigScanner([pattern]);
    const names = groupNames(pattern);
    const first = (text: string) => {
        const string = new OnigString(text);
        try {
            return scanner.findNextMatchSync(string, 0);
        } finally {
            string.dispose();
        }
    };
    return {
        search(text) {
            const match = first(text);
            if (!match) return null;
            const captures: Record<string, string> = {};
            match.captureIndices.slice(1).forEach((capture, index) => {
                const name = names[index];
                if (name !== undefined && capture.start >= 0) {
                    captures[name] = text.slice(capture.start, capture.end);
                }
            });
            return captures;
        },
        matchesTag(tag) {
            const match = first(tag);
            return (
                match !== null &&
                match.captureIndices[0].start === 0 &&
                match.captureIndices[0].length > 0
            );
        },
    };
}
