import { z } from "zod";

/**
 * Turns zod issues into the one-line messages users read:
 * `<stack file>: <key path>: <what is expected> (got <value>)`.
 */

/** A config problem already phrased for the user: where it is and what is expected. */
export interface ConfigProblem {
    readonly keyPath: string;
    readonly expected: string;
    /** What the user wrote, already rendered; `undefined` when the key was missing. */
    readonly got?: string;
}

/** What a problem shows instead of a value that may be a credential. */
export const valueHidden = "(value hidden)";

/** A key named like a credential: its value is never echoed back. */
export function looksLikeCredential(key: string): boolean {
    return /password|token|secret|key|webhook/i.test(key);
}

/** Renders a value the user wrote, short enough for one line. */
export function renderValue(value: unknown): string {
    if (value === undefined) return "nothing";
    const text = JSON.stringify(value) ?? String(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Joins a zod path into `a.b[0].c`, prefixed with the Pulumi config key it came from. */
export function keyPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const part of path) {
        if (typeof part === "number") out += `[${part}]`;
        else out += out === "" ? String(part) : `.${String(part)}`;
    }
    return out;
}

/** Levenshtein distance, for the did-you-mean hint on unknown keys. */
function distance(a: string, b: string): number {
    const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let diagonal = previous[0];
        previous[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const above = previous[j];
            const cost = a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1;
            previous[j] = Math.min(previous[j] + 1, previous[j - 1] + 1, diagonal + cost);
            diagonal = above;
        }
    }
    return previous[b.length];
}

/** The closest known key, if it is close enough to be a plausible typo. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const candidate of known) {
        const d = distance(unknown, candidate);
        if (d < bestDistance) {
            best = candidate;
            bestDistance = d;
        }
    }
    const tolerance = Math.max(2, Math.floor(unknown.length / 3));
    return bestDistance <= tolerance ? best : undefined;
}

/** The keys a strict object schema accepts at `path`, for did-you-mean hints. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let current: z.ZodType | undefined = schema;
    for (const part of path) {
        current = unwrap(current);
        if (current instanceof z.ZodObject) current = current.shape[String(part)];
        else if (current instanceof z.ZodArray) current = current.element as z.ZodType;
        else if (current instanceof z.ZodRecord) current = current.valueType as z.ZodType;
        else return [];
        if (current === undefined) return [];
    }
    current = unwrap(current);
    return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
    let current = schema;
    while (
        current instanceof z.ZodOptional ||
        current instanceof z.ZodDefault ||
        current instanceof z.ZodNullable ||
        current instanceof z.ZodPipe
    ) {
        current =
            current instanceof z.ZodPipe
                ? (current.in as z.ZodType)
                : (current.unwrap() as z.ZodType);
    }
    return current;
}

function describeType(expected: string): string {
    switch (expected) {
        case "object":
            return "a map of settings";
        case "array":
            return "a list";
        case "int":
            return "an integer";
        default:
            return `a ${expected}`;
    }
}

function expectation(issue: z.core.$ZodIssue): string {
    switch (issue.code) {
        case "invalid_type":
            return `expected ${describeType(issue.expected)}`;
        case "too_small": {
            const bound = Number(issue.minimum);
            if (issue.origin === "array") return `expected at least ${bound} item(s)`;
            if (issue.origin === "string") return `expected at least ${bound} character(s)`;
            return `expected a number ${issue.inclusive ? ">=" : ">"} ${bound}`;
        }
        case "too_big": {
            const bound = Number(issue.maximum);
            if (issue.origin === "array") return `expected at most ${bound} item(s)`;
            if (issue.origin === "string") return `expected at most ${bound} character(s)`;
            return `expected a number ${issue.inclusive ? "<=" : "<"} ${bound}`;
        }
        case "invalid_value":
            return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
        default:
            return issue.message.startsWith("expected")
                ? issue.message
                : `expected ${issue.message}`;
    }
}

/** Converts zod issues into problems, one per offending key. */
export function problemsFromIssues(
    schema: z.ZodType,
    issues: readonly z.core.$ZodIssue[],
    prefix: string,
): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const at = (path: readonly PropertyKey[]) => {
        const rest = keyPath(path);
        if (!rest || !prefix) return prefix + rest;
        return rest.startsWith("[") ? `${prefix}${rest}` : `${prefix}.${rest}`;
    };
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") {
            const known = knownKeysAt(schema, issue.path);
            for (const key of issue.keys) {
                const hint = closestKey(key, known);
                problems.push({
                    keyPath: at([...issue.path, key]),
                    expected: hint
                        ? `unknown key; did you mean "${hint}"?`
                        : `unknown key; expected one of ${known.join(", ")}`,
                    got:
                        looksLikeCredential(key) || (hint && looksLikeCredential(hint))
                            ? valueHidden
                            : renderValue(
                                  (issue as { input?: Record<string, unknown> }).input?.[key],
                              ),
                });
            }
            continue;
        }
        const input = (issue as { input?: unknown }).input;
        // A check that found a credential asks for its value to stay out of the message.
        if (issue.code === "custom" && issue.params?.hideValue === true) {
            problems.push({
                keyPath: at(issue.path),
                expected: expectation(issue),
                got: valueHidden,
            });
            continue;
        }
        const missing = input === undefined && issue.code === "invalid_type";
        problems.push({
            keyPath: at(issue.path),
            expected: missing ? `is required: ${expectation(issue)}` : expectation(issue),
            got: missing ? undefined : renderValue(input),
        });
    }
    return problems;
}

/** One line per problem, in the documented format. */
export function formatProblems(stackFile: string, problems: readonly ConfigProblem[]): string {
    return problems
        .map((p) =>
            p.got === valueHidden
                ? `${stackFile}: ${p.keyPath}: ${p.expected} ${valueHidden}`
                : `${stackFile}: ${p.keyPath}: ${p.expected} (got ${p.got ?? "nothing"})`,
        )
        .join("\n");
}
