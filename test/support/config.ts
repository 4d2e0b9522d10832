import * as path from "node:path";
import { expect } from "vitest";
import { ConfigError, parseConfig, type PlatformConfig } from "../../config";
import { groupConfig } from "../../config/lib/raw";
import { readStackConfig } from "../../tools/lib/stack-file";
import { projectDir } from "./synth";

/**
 * Config tests: a committed stack file read as the Pulumi CLI passes it to the program,
 * changed by `edit`, then validated by `parseConfig` — the same path `loadConfig` takes.
 */

/** Raw config values by namespace (`{ "mcp-platform": {...}, aws: {...} }`), editable in place. */
export type RawNamespaces = Record<string, any>;

export interface ParseOptions {
    /** Keys treated as secret besides the stack file's own `secure:` ones. @default [] */
    readonly extraSecretKeys?: readonly string[];
    /** Treat no key as secret, as if every `secure:` value had been written in plaintext. @default false */
    readonly plaintext?: boolean;
}

/** Parses `Pulumi.<stack>.yaml` after `edit`; throws {@link ConfigError} like the program. */
export function parseStack(
    stack: string,
    edit: (byNamespace: RawNamespaces) => void = () => {},
    options: ParseOptions = {},
): PlatformConfig {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const { config, secretKeys } = readStackConfig(projectDir, file);
    const { byNamespace } = groupConfig(config, () => false);
    edit(byNamespace);
    const secrets = options.plaintext ? [] : [...secretKeys, ...(options.extraSecretKeys ?? [])];
    return parseConfig({ byNamespace, secretKeys: new Set(secrets) }, stack);
}

/** The problem lines the program would print for `Pulumi.<stack>.yaml` after `edit`. */
export function configProblems(
    stack: string,
    edit: (byNamespace: RawNamespaces) => void,
    options: ParseOptions = {},
): string[] {
    try {
        parseStack(stack, edit, options);
    } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message.split("\n").slice(1);
    }
    throw new Error("expected the config to be rejected");
}
