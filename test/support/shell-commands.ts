/**
 * The commands a bash script runs: every word in command position (after assignments and
 * redirections, through `command`, `exec`, `env`, `runuser … --`, `sudo`, `nohup`, `time`,
 * `xargs`), including inside `$(…)`, backticks, pipelines, `if`/`while`/`for`/`case` bodies and
 * functions; heredoc bodies, comments and quoted text are not commands. Names of functions the
 * script defines are left out. A command given by a variable (`"$dir/bin/pip"`) is returned as
 * written, starting with `$`, so a caller can tell it from a name looked up on PATH.
 *
 * It reads the bash our workflows, tools/*.sh and the runner's user data are written in; a
 * construct it does not know makes it throw rather than guess.
 */

type Token = { kind: "word"; text: string; quoted: boolean } | { kind: "op"; text: string };

const operators = ["&&", "||", ";;", "|&", ";", "|", "&", "(", ")", "\n"];
const reserved = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until"]);
const commandAfter = new Set([...reserved, "!", "{", "}", "time", "esac"]);
/** Wrappers whose next word (after their own options) is the command they run. */
const wrappers: Record<string, (args: string[]) => number> = {
    // `command -v name` only looks the name up.
    command: (a) => (a.some((x) => /^-[a-zA-Z]*[vV]/.test(x)) ? a.length : skipOptions(a)),
    exec: (a) => skipOptions(a),
    nohup: () => 0,
    nice: (a) => (a[0] === "-n" ? 2 : skipOptions(a)),
    env: (a) => {
        let i = skipOptions(a);
        while (i < a.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a[i])) i++;
        return i;
    },
    sudo: (a) => {
        let i = 0;
        while (i < a.length && a[i].startsWith("-")) i += a[i] === "-u" ? 2 : 1;
        return i;
    },
    runuser: (a) => {
        const dash = a.indexOf("--");
        return dash >= 0 ? dash + 1 : a.length;
    },
};

function skipOptions(args: string[]): number {
    let i = 0;
    while (i < args.length && args[i].startsWith("-") && args[i] !== "--") i++;
    return args[i] === "--" ? i + 1 : i;
}

/** Joins continuation lines and drops heredoc bodies (their text is data, not commands). */
function withoutHeredocs(script: string): string {
    const lines = script.replace(/\\\n/g, " ").split("\n");
    const out: string[] = [];
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        out.push(line);
        const heredocs = [
            ...line.matchAll(/(?<!<)<<(?!<)(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/g),
        ];
        for (const [, dash, , delimiter] of heredocs) {
            i++;
            while (i < lines.length && (dash ? lines[i].trim() : lines[i]) !== delimiter) i++;
            if (i >= lines.length) throw new Error(`unterminated heredoc <<${delimiter}`);
        }
    }
    return out.join("\n");
}

/** Reads a `$(` … `)` or `` ` `` … `` ` `` body starting at `start` (after the opener). */
function substitution(line: string, start: number, closer: string): [string, number] {
    let depth = 1;
    let i = start;
    let quote = "";
    for (; i < line.length; i++) {
        const c = line[i];
        if (quote) {
            if (c === "\\" && quote === '"') i++;
            else if (c === quote) quote = "";
            continue;
        }
        if (c === "\\") {
            i++;
            continue;
        }
        if (c === "'" || c === '"') quote = c;
        else if (closer === ")" && c === "(") depth++;
        else if (c === closer && --depth === 0) return [line.slice(start, i), i + 1];
    }
    throw new Error(`unterminated ${closer === ")" ? "$(" : "`"} in: ${line}`);
}

/** Splits a script into words and operators (newline included); collects substitutions. */
function tokenize(line: string, nested: string[]): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < line.length) {
        const c = line[i];
        if (c === " " || c === "\t") {
            i++;
            continue;
        }
        if (c === "#") {
            while (i < line.length && line[i] !== "\n") i++;
            continue;
        }
        if (line.startsWith("((", i)) {
            // An arithmetic command: no command in it.
            const end = line.indexOf("))", i);
            if (end < 0) throw new Error(`unterminated (( in: ${line.slice(i, i + 80)}`);
            tokens.push({ kind: "word", text: "((…))", quoted: true });
            i = end + 2;
            continue;
        }
        const op = line.startsWith("&>", i)
            ? undefined
            : operators.find((o) => line.startsWith(o, i));
        if (op) {
            tokens.push({ kind: "op", text: op });
            i += op.length;
            continue;
        }
        let text = "";
        const quoted = line[i] === "'" || line[i] === '"';
        while (
            i < line.length &&
            (!/[\s;&|()]/.test(line[i]) ||
                // `>&2`, `2>&1`, `&>file`: redirections, not operators.
                (line[i] === "&" && /[<>]$/.test(text)) ||
                (line[i] === "&" && text === "" && line[i + 1] === ">"))
        ) {
            const ch = line[i];
            if (ch === "'") {
                const end = line.indexOf("'", i + 1);
                if (end < 0) throw new Error(`unterminated ' in: ${line}`);
                text += line.slice(i + 1, end);
                i = end + 1;
            } else if (ch === '"') {
                i++;
                while (i < line.length && line[i] !== '"') {
                    if (line[i] === "\\") {
                        text += line[i + 1] ?? "";
                        i += 2;
                    } else if (line.startsWith("$((", i)) {
                        const end = line.indexOf("))", i);
                        text += "$((…))";
                        i = end + 2;
                    } else if (line.startsWith("$(", i)) {
                        const [body, next] = substitution(line, i + 2, ")");
                        nested.push(body);
                        text += "$(…)";
                        i = next;
                    } else if (line[i] === "`") {
                        const [body, next] = substitution(line, i + 1, "`");
                        nested.push(body);
                        text += "$(…)";
                        i = next;
                    } else text += line[i++];
                }
                if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
                i++;
            } else if (line.startsWith("$((", i)) {
                const [, next] = substitution(line, i + 3, ")");
                text += "$((…))";
                i = next + 1;
            } else if (line.startsWith("$(", i)) {
                const [body, next] = substitution(line, i + 2, ")");
                nested.push(body);
                text += "$(…)";
                i = next;
            } else if (ch === "`") {
                const [body, next] = substitution(line, i + 1, "`");
                nested.push(body);
                text += "$(…)";
                i = next;
            } else if (ch === "\\") {
                text += line[i + 1] ?? "";
                i += 2;
            } else if (line.startsWith("${", i)) {
                const end = line.indexOf("}", i);
                text += line.slice(i, end + 1);
                i = end + 1;
            } else if ((ch === "<" || ch === ">") && line[i + 1] === "(") {
                // Process substitution <(…) / >(…): a nested command list.
                const [body, next] = substitution(line, i + 2, ")");
                nested.push(body);
                text += "<(…)";
                i = next;
            } else text += line[i++];
        }
        tokens.push({ kind: "word", text, quoted });
    }
    return tokens;
}

const assignment = /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/;
const redirection = /^(\d*|&)(>>?|<<?<?|>&|<&|&>>?)(.*)$/;

/** One command a script runs and the words after it (up to the next operator). */
export interface Invocation {
    readonly command: string;
    readonly args: string[];
}

/** The commands of one script with their arguments, in order. */
export function shellInvocations(script: string): Invocation[] {
    const found: Invocation[] = [];
    const functions = new Set<string>();
    const visit = (source: string) => {
        const nested: string[] = [];
        let atCommand = true;
        let casePattern = false;
        let skipUntilDo = false;
        {
            const tokens = tokenize(withoutHeredocs(source), nested);
            for (let t = 0; t < tokens.length; t++) {
                const token = tokens[t];
                if (token.kind === "op") {
                    if (token.text === "\n" && skipUntilDo) continue;
                    if (token.text === "(" && !atCommand && !casePattern) {
                        // `f a=(x y)`: an array value among a command's words.
                        let depth = 0;
                        for (; t < tokens.length; t++) {
                            if (tokens[t].text === "(") depth++;
                            else if (tokens[t].text === ")" && --depth === 0) break;
                        }
                        continue;
                    }
                    if (token.text === ";;") casePattern = true;
                    else if (token.text === ")" && casePattern) casePattern = false;
                    if (!skipUntilDo || token.text !== ";") atCommand = true;
                    continue;
                }
                const word = token.text;
                if (casePattern) {
                    if (word === "esac") {
                        casePattern = false;
                        atCommand = false;
                    }
                    continue;
                }
                if (skipUntilDo) {
                    if (word === "do") {
                        skipUntilDo = false;
                        atCommand = true;
                    }
                    continue;
                }
                if (!atCommand) continue;
                if (!token.quoted && word === "case") {
                    // `case WORD in`: patterns follow.
                    t += 2;
                    casePattern = true;
                    continue;
                }
                if (!token.quoted && (word === "for" || word === "select")) {
                    skipUntilDo = true;
                    continue;
                }
                if (!token.quoted && word === "function") {
                    functions.add(tokens[t + 1]?.text ?? "");
                    t += 1;
                    continue;
                }
                if (!token.quoted && word === "[[") {
                    // A conditional expression: words and operators, no command.
                    while (t < tokens.length && tokens[t].text !== "]]") t++;
                    atCommand = false;
                    continue;
                }
                if (!token.quoted && commandAfter.has(word)) continue;
                if (word === "((…))") {
                    atCommand = false;
                    continue;
                }
                if (!token.quoted && assignment.test(word)) {
                    // `name=(a b)`: an array's elements are words, not commands.
                    if (word.endsWith("=") && tokens[t + 1]?.text === "(") {
                        while (t < tokens.length && tokens[t].text !== ")") t++;
                        atCommand = false;
                    }
                    continue;
                }
                const redirect = !token.quoted && redirection.exec(word);
                if (redirect) {
                    if (redirect[3] === "") t++; // `> file`: the target is the next word
                    continue;
                }
                // `name() {`: a function definition.
                if (
                    tokens[t + 1]?.kind === "op" &&
                    tokens[t + 1].text === "(" &&
                    tokens[t + 2]?.kind === "op" &&
                    tokens[t + 2].text === ")"
                ) {
                    functions.add(word);
                    t += 2;
                    atCommand = true;
                    continue;
                }
                const args: string[] = [];
                for (let k = t + 1; k < tokens.length && tokens[k].kind === "word"; k++) {
                    args.push(tokens[k].text);
                }
                found.push({ command: word, args });
                atCommand = false;
                // A wrapper runs the command named after its own options.
                const wrapper = wrappers[word];
                if (wrapper) {
                    const at = wrapper(args);
                    if (at < args.length) {
                        found.push({ command: args[at], args: args.slice(at + 1) });
                        t += at + 1;
                    }
                }
            }
        }
        for (const body of nested) visit(body);
    };
    visit(script);
    return found.filter((c) => !functions.has(c.command));
}
