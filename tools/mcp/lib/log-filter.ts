import { UsageError } from "./cli";

/**
 * `mcp logs --filter "level:error OR level:warn"`: the manuals' filter expressions. Terms are
 * `field:value` (level, service, request_id, message) or plain words and "quoted phrases"
 * (the message contains them); `AND` (also implied by a space), `OR`, `NOT` and parentheses
 * combine them, AND binding tighter than OR. One expression compiles to a Logs Insights
 * `filter` clause (searches) and to a predicate on events (`-f`, which reads raw events).
 */
export type FilterField = "level" | "service" | "request_id" | "message";

const fieldNames: Readonly<Record<string, FilterField>> = {
    level: "level",
    lvl: "level",
    service: "service",
    svc: "service",
    request_id: "request_id",
    requestid: "request_id",
    "request-id": "request_id",
    message: "message",
    msg: "message",
};

type Node =
    | { readonly op: "and" | "or"; readonly left: Node; readonly right: Node }
    | { readonly op: "not"; readonly operand: Node }
    | { readonly op: "term"; readonly field: FilterField; readonly value: string };

/** The fields of one event a filter looks at (lowercased level). */
export interface FilterEvent {
    readonly level?: string;
    readonly service?: string;
    readonly requestId?: string;
    readonly message: string;
}

export interface LogFilter {
    /** The expression for a Logs Insights `| filter …` over `lvl`, `svc`, `request_id`, `@message`. */
    readonly insights: string;
    matches(event: FilterEvent): boolean;
}

function tokenize(text: string): string[] {
    const tokens: string[] = [];
    const pattern = /\s*(\(|\)|[^\s()"]*"[^"]*"|[^\s()"]+)/gy;
    let match: RegExpExecArray | null;
    let consumed = 0;
    while ((match = pattern.exec(text)) !== null && match[1] !== undefined) {
        tokens.push(match[1]);
        consumed = pattern.lastIndex;
    }
    if (text.slice(consumed).trim() !== "") {
        throw new UsageError(`--filter: unbalanced quote in "${text}"`);
    }
    return tokens;
}

function unquote(text: string): string {
    return text.startsWith('"') && text.endsWith('"') && text.length >= 2
        ? text.slice(1, -1)
        : text;
}

/** Parses a filter expression; a UsageError naming what is wrong otherwise. */
export function parseFilter(text: string): LogFilter {
    const tokens = tokenize(text);
    if (tokens.length === 0)
        throw new UsageError("--filter needs an expression such as level:error");
    let at = 0;
    const peek = () => tokens[at];
    const keyword = (word: string) => peek()?.toUpperCase() === word && peek() === word;

    const term = (): Node => {
        const token = tokens[at++];
        if (token === undefined) throw new UsageError(`--filter: "${text}" ends too early`);
        if (token === "(") {
            const inner = or();
            if (tokens[at++] !== ")") throw new UsageError(`--filter: missing ) in "${text}"`);
            return inner;
        }
        if (token === ")" || token === "AND" || token === "OR") {
            throw new UsageError(`--filter: unexpected ${token} in "${text}"`);
        }
        const colon = token.indexOf(":");
        if (colon > 0 && !token.startsWith('"')) {
            const name = token.slice(0, colon).toLowerCase();
            const field = fieldNames[name];
            const value = unquote(token.slice(colon + 1));
            if (!field) {
                throw new UsageError(
                    `--filter: unknown field "${name}"; fields: level, service, request_id, message`,
                );
            }
            if (value === "") throw new UsageError(`--filter: ${name}: needs a value`);
            return { op: "term", field, value: field === "level" ? value.toLowerCase() : value };
        }
        return { op: "term", field: "message", value: unquote(token) };
    };
    const not = (): Node => {
        if (keyword("NOT")) {
            at++;
            return { op: "not", operand: not() };
        }
        return term();
    };
    const and = (): Node => {
        let left = not();
        while (at < tokens.length && peek() !== ")" && !keyword("OR")) {
            if (keyword("AND")) at++;
            left = { op: "and", left, right: not() };
        }
        return left;
    };
    function or(): Node {
        let left = and();
        while (keyword("OR")) {
            at++;
            left = { op: "or", left, right: and() };
        }
        return left;
    }
    const root = or();
    if (at < tokens.length) throw new UsageError(`--filter: unexpected ${tokens[at]} in "${text}"`);
    return { insights: insights(root), matches: (event) => matches(root, event) };
}

/** `"` and `\` escaped for a Logs Insights string literal. */
export function literal(text: string): string {
    return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

const insightsField: Record<Exclude<FilterField, "message">, string> = {
    level: "lvl",
    service: "svc",
    request_id: "request_id",
};

function insights(node: Node): string {
    switch (node.op) {
        case "and":
        case "or":
            return `(${insights(node.left)} ${node.op} ${insights(node.right)})`;
        case "not":
            return `not ${insights(node.operand)}`;
        case "term":
            return node.field === "message"
                ? `strcontains(@message, ${literal(node.value)})`
                : `${insightsField[node.field]} = ${literal(node.value)}`;
    }
}

function matches(node: Node, event: FilterEvent): boolean {
    switch (node.op) {
        case "and":
            return matches(node.left, event) && matches(node.right, event);
        case "or":
            return matches(node.left, event) || matches(node.right, event);
        case "not":
            return !matches(node.operand, event);
        case "term":
            switch (node.field) {
                case "message":
                    return event.message.includes(node.value);
                case "level":
                    return event.level?.toLowerCase() === node.value;
                case "service":
                    return event.service === node.value;
                case "request_id":
                    return event.requestId === node.value;
            }
    }
}

/** The fields of a raw CloudWatch event: its message, parsed as the services' JSON lines. */
export function eventFields(message: string): FilterEvent {
    try {
        const json = JSON.parse(message) as Record<string, unknown>;
        const kubernetes = json.kubernetes as { labels?: { app?: string } } | undefined;
        const text = (key: string) =>
            typeof json[key] === "string" ? (json[key] as string) : undefined;
        return {
            level: text("level")?.toLowerCase(),
            service: text("service") ?? kubernetes?.labels?.app,
            requestId: text("request_id") ?? text("requestId"),
            message,
        };
    } catch {
        return { message };
    }
}
