import * as fs from "node:fs";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { requiredCredentialKeys } from "../../config";
import { UsageError } from "./cli/errors";
import { redacted } from "./records";

/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI presents it to a program: every value
 * becomes a string (structured values JSON-encoded), project-level defaults from
 * `Pulumi.yaml` fill keys the stack leaves out, and `secure:` values — which only the CLI
 * can decrypt — become the redacted placeholder and are marked secret.
 *
 * Offline only: a required credential the file does not set becomes the secret placeholder
 * `unset:<key>`, so the synth runs on a stack file that holds no ciphertext. The real CLI
 * never reads this module; under `pulumi up` an unset credential is a config error.
 */
export interface StackConfig {
    readonly project: string;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
    /** The credentials filled with an `unset:<key>` placeholder because the file lacks them. */
    readonly unsetCredentials: string[];
}

/** The value an unset credential has under the offline synth. */
const unsetPlaceholder = (key: string) => `unset:${key}`;

/** Stack names that have a `Pulumi.<stack>.yaml` in `dir`. */
export function listStacks(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((stack): stack is string => stack !== undefined)
        .sort();
}

function isSecure(value: unknown): boolean {
    return (
        value !== null &&
        typeof value === "object" &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        "secure" in value
    );
}

/** Thrown for a `secure:` value with no ciphertext; the caller names the file. */
class EmptySecure extends Error {
    constructor(readonly keyPath: string) {
        super(`empty secure: at ${keyPath}`);
    }
}

/** Replaces nested `secure:` leaves; reports whether any were found. */
function redactNested(value: unknown, at: string): { value: unknown; secret: boolean } {
    if (isSecure(value)) {
        const cipher = (value as { secure: unknown }).secure;
        if (typeof cipher !== "string" || cipher.trim() === "") throw new EmptySecure(at);
        return { value: redacted, secret: true };
    }
    if (Array.isArray(value)) {
        const items = value.map((item, index) => redactNested(item, `${at}[${index}]`));
        return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
    }
    if (value !== null && typeof value === "object") {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [key, entry] of Object.entries(value)) {
            const result = redactNested(entry, `${at}.${key}`);
            out[key] = result.value;
            secret ||= result.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

/**
 * A stack or project file that cannot be read as YAML. The message is one line:
 * `<file>:<line>:<column>: <what is wrong>`, or `<file>: <what is wrong>`.
 */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

/** Parses a YAML file, refusing non-UTF-8 bytes, duplicate keys and every syntax error. */
function readYaml(file: string): unknown {
    const shown = path.relative(process.cwd(), file) || file;
    let text: string;
    try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(fs.readFileSync(file));
    } catch (error) {
        if (error instanceof TypeError) {
            throw new StackFileError(`${shown}: not valid UTF-8 text; save the file as UTF-8`);
        }
        throw error;
    }
    const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    const error = document.errors[0];
    if (error) {
        // The library's message ends with " at line L, column C:" and a code frame.
        const what = error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
        const at = error.linePos?.[0];
        const where = at ? `${shown}:${at.line}:${at.col}` : shown;
        throw new StackFileError(`${where}: ${what}`);
    }
    return document.toJS();
}

function qualify(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

export function readStackConfig(projectDir: string, stackFile: string): StackConfig {
    const project = readYaml(path.join(projectDir, "Pulumi.yaml")) as {
        name: string;
        config?: Record<string, { default?: unknown } | unknown>;
    };
    const stack = (readYaml(stackFile) ?? {}) as {
        config?: Record<string, unknown>;
    };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const put = (key: string, raw: unknown) => {
        let redactedValue: { value: unknown; secret: boolean };
        try {
            redactedValue = redactNested(raw, key);
        } catch (error) {
            if (!(error instanceof EmptySecure)) throw error;
            throw new StackFileError(
                `${path.basename(stackFile)}: ${error.keyPath}: expected the ciphertext \`pulumi config set --secret\` writes (got an empty secure: value)`,
            );
        }
        const { value, secret } = redactedValue;
        config[key] = typeof value === "string" ? value : JSON.stringify(value);
        if (secret) secretKeys.push(key);
    };
    for (const [key, declaration] of Object.entries(project.config ?? {})) {
        if (declaration && typeof declaration === "object" && "default" in declaration) {
            put(qualify(project.name, key), (declaration as { default: unknown }).default);
        }
    }
    for (const [key, raw] of Object.entries(stack.config ?? {}))
        put(qualify(project.name, key), raw);
    const unsetCredentials = requiredCredentialKeys(true).filter((key) => !(key in config));
    for (const key of unsetCredentials) {
        config[key] = unsetPlaceholder(key);
        secretKeys.push(key);
    }
    return { project: project.name, config, secretKeys, unsetCredentials };
}

/**
 * The stack a CLI was asked for and the file that holds its config: `Pulumi.<stack>.yaml`,
 * or `--stack-file`, which may name a stack the project has no file for. A missing or unknown
 * stack is a usage error that lists the project's stacks.
 */
export function resolveStack(
    dir: string,
    stack: string | undefined,
    stackFile: string | undefined,
): { stack: string; stackFile: string } {
    const stacks = listStacks(dir);
    if (stack === undefined || (!stackFile && !stacks.includes(stack))) {
        const given = stack === undefined ? "no stack given" : `unknown stack "${stack}"`;
        throw new UsageError(`${given}; stacks in this project: ${stacks.join(", ")}`);
    }
    return { stack, stackFile: path.resolve(stackFile ?? path.join(dir, `Pulumi.${stack}.yaml`)) };
}
