import { asArray, jsonDocument } from "./config";

/** An IAM (or S3 bucket) policy statement, as written in the JSON document. */
export interface Statement {
    readonly Sid?: string;
    readonly Effect?: string;
    readonly Action?: string | string[];
    readonly NotAction?: string | string[];
    readonly Resource?: string | string[];
    readonly NotResource?: string | string[];
    readonly Principal?: string | Record<string, string | string[]>;
    readonly Condition?: Record<string, Record<string, unknown>>;
}

/**
 * The statements of a policy document given as a JSON string or an object; an empty list
 * when the document cannot be read.
 */
export function statementsOf(document: unknown): Statement[] {
    const doc = jsonDocument(document) as { Statement?: Statement | Statement[] } | undefined;
    if (!doc || typeof doc !== "object") return [];
    return asArray(doc.Statement).filter((s): s is Statement => !!s && typeof s === "object");
}

/** Every value of a principal (`"*"`, `{ AWS: [...] }`, `{ Federated: "…" }`). */
export function principalValues(principal: Statement["Principal"]): string[] {
    if (principal === undefined) return [];
    if (typeof principal === "string") return [principal];
    return Object.values(principal).flatMap((v) => asArray(v));
}

/** Condition values for `operator` whose key ends with `suffix` (e.g. ":sub"). */
export function conditionValues(statement: Statement, operator: string, suffix: string): string[] {
    const block = statement.Condition?.[operator] ?? {};
    return Object.entries(block)
        .filter(([key]) => key.toLowerCase().endsWith(suffix.toLowerCase()))
        .flatMap(([, value]) => asArray(value as string | string[]))
        .map(String);
}

/** Whether an IAM action pattern (`s3:Get*`, `iam:*`, `*`) matches `action`, case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
    const regex = new RegExp(
        `^${pattern
            .replace(/[.+^${}()|[\]\\]/g, "\\$&")
            .replace(/\*/g, ".*")
            .replace(/\?/g, ".")}$`,
        "i",
    );
    return regex.test(action);
}

/**
 * Condition keys that limit a statement to a known caller, by operators that admit only the
 * listed values. `StringNotEquals`, `Null` and `ForAllValues:` (true when the key is absent)
 * do not restrict, and neither does a value of "*".
 */
export function restrictingConditionKeys(statement: Statement): string[] {
    const keys: string[] = [];
    for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
        if (/Not|^Null$|^ForAllValues:/i.test(operator) || !block || typeof block !== "object")
            continue;
        for (const [key, value] of Object.entries(block)) {
            const values = asArray(value as string | string[]).map(String);
            if (values.length > 0 && !values.includes("*")) keys.push(key.toLowerCase());
        }
    }
    return keys;
}

/** Whether the statement's principal is everyone: `"*"` or `{ AWS: "*" }`. */
export function isPublicPrincipal(statement: Statement): boolean {
    return principalValues(statement.Principal).includes("*");
}
