import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";

/**
 * The request lists in `test/iam/requests/*.yaml`: for each caller, the AWS requests it makes
 * (action, resource ARN, context keys), where each was read (project, file, version), and a
 * few requests outside its job. Values such as `${account}`, `${cluster}` or
 * `${key:backups-key}` are filled from the synthesized stack (test/iam/model.ts).
 */

const contextValue = z.union([z.string(), z.array(z.string())]);

const requestSchema = z.strictObject({
    /** What the caller is doing, in a few words. */
    what: z.string().min(1),
    /** The file (and function) of the caller's source this request was read from. */
    source: z.string().min(1).optional(),
    action: z.string().regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, "expected service:Action"),
    resource: z.string().min(1),
    /** Defaults to the role (or the file's principal). */
    principal: z.string().min(1).optional(),
    context: z.record(z.string(), contextValue).default({}),
    /**
     * Why the evaluator's action catalogue cannot validate this request (it is then evaluated
     * unvalidated, see engine.ts). Only for what the catalogue lacks, never to pass a check.
     */
    catalogGap: z.string().min(1).optional(),
    /** Only in these synth variants (production, dr, dr-active). @default every variant */
    variants: z.array(z.string()).optional(),
});
export type CallerRequest = z.output<typeof requestSchema>;

const fileSchema = z.strictObject({
    caller: z.string().min(1),
    /** Logical names of the roles (aws:iam/role:Role in resources.json) the caller uses. */
    roles: z.array(z.string()).default([]),
    /**
     * A principal the stack does not declare (a service, or a role created outside this
     * repository) and the identity policies assumed for it.
     */
    principal: z
        .strictObject({
            arn: z.string().min(1),
            /** AWS-managed policies assumed for it (documented where the role is set up). */
            awsManaged: z.array(z.string()).default([]),
            why: z.string().min(1),
        })
        .optional(),
    source: z.strictObject({
        project: z.string().min(1),
        version: z.string().min(1),
        /** Where this repository pins that version, as `file: expected text`. */
        pinned: z.string().optional(),
        files: z.array(z.string()).default([]),
    }),
    variants: z.array(z.string()).optional(),
    requests: z.array(requestSchema).min(1),
    outside: z.array(requestSchema).min(1),
});
export type CallerFile = z.output<typeof fileSchema> & { readonly file: string };

export const requestsDir = path.join(__dirname, "requests");

/** Reads and checks every request file; errors name the file and the key. */
export function loadCallerFiles(dir = requestsDir): CallerFile[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".yaml"))
        .sort()
        .map((f) => {
            const file = path.join("test/iam/requests", f);
            const text = fs.readFileSync(path.join(dir, f), "utf8");
            // Merge keys (`<<: *tags`) share context blocks between requests.
            const parsed = fileSchema.safeParse(parse(text, { merge: true }));
            if (!parsed.success) {
                const issues = parsed.error.issues
                    .map((i) => `${i.path.join(".") || "(top)"}: ${i.message}`)
                    .join("; ");
                throw new Error(`${file}: ${issues}`);
            }
            return { ...parsed.data, file };
        });
}

/**
 * Fills `${name}` (or `${name|default}`, for a variable the caller defaults when unset) from
 * values; an unknown name is an error naming the file and the request.
 */
export function fill(text: string, values: Record<string, string>, where: string): string {
    // Innermost first, so a value can name another: `${sseKey:${env:job:BACKUP_BUCKET}}`.
    const pattern = /\$\{([^${}|]+)(?:\|([^${}]*))?\}/g;
    let out = text;
    for (let previous = ""; previous !== out;) {
        previous = out;
        out = out.replace(pattern, (_, name: string, fallback?: string) => {
            const value = values[name] ?? fallback;
            if (value === undefined) {
                const known = Object.keys(values).sort().join(", ");
                throw new Error(`${where}: unknown value \${${name}} (known: ${known})`);
            }
            return value;
        });
    }
    return out;
}
