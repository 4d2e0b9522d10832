import * as path from "node:path";
import { ConfigError, parseConfig } from "../../../config";
import { groupConfig } from "../../../config/lib/raw";
import { readStackConfig } from "../../lib/stack-file";
import { config as spec } from "../catalog";
import {
    CliError,
    exitCodes,
    outputFormat,
    parseVerbArgs,
    renderData,
    UsageError,
} from "../lib/cli";
import { type Io, stackContext } from "../lib/context";
import { type ConfigWriter, PulumiConfigWriter } from "../lib/pulumi-config";
import { resolveService } from "../lib/services";
import { projectDir } from "../lib/stack";
import type { Verb } from "./verb";

/**
 * The config path a `mcp config` key stands for: an environment variable name
 * (`LOG_LEVEL`, as the manuals set them) is that variable of `--service`'s `env`; anything
 * else is a path under `mcp-platform:` (`workloads.services.mcp-registry.image`).
 */
export function configPath(
    key: string,
    service: string | undefined,
    io: Io,
    cfg: Parameters<typeof resolveService>[0],
): string[] {
    if (/^[A-Z_][A-Z0-9_]*$/.test(key)) {
        if (!service)
            throw new UsageError(`${key} is a service's environment variable: give --service`);
        const [w] = resolveService(cfg, service);
        if (w.kind !== "Deployment")
            throw new UsageError(
                `${service} is a data store; its settings live under mcp-platform:data`,
            );
        return ["workloads", "services", w.name, "env", key];
    }
    if (service)
        throw new UsageError(
            "--service only applies to an environment variable name such as LOG_LEVEL",
        );
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9_-]+)*$/.test(key)) {
        throw new UsageError(
            `"${key}" is not a config path such as workloads.services.mcp-registry.image`,
        );
    }
    void io;
    return key.split(".");
}

function decoded(value: string): unknown {
    if (/^(true|false)$/.test(value)) return value === "true";
    if (/^-?\d+$/.test(value) && String(Number(value)) === value) return Number(value);
    return value;
}

/** The stack's config with `path` set to `value`, validated as the program validates it. */
export function validateChange(
    stack: string,
    pathParts: readonly string[],
    value: string,
    secret: boolean,
): void {
    const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const { config, secretKeys } = readStackConfig(projectDir, file);
    const raw = groupConfig(config, (key) => secretKeys.includes(key));
    const root = pathParts[0];
    const namespace = (raw.byNamespace["mcp-platform"] ??= {});
    let node = namespace as Record<string, unknown>;
    for (const part of pathParts.slice(0, -1)) {
        const next = node[part];
        node = (node[part] =
            typeof next === "object" && next !== null ? { ...(next as object) } : {}) as Record<
            string,
            unknown
        >;
    }
    node[pathParts[pathParts.length - 1]] = decoded(value);
    const secrets = new Set(raw.secretKeys);
    if (secret) secrets.add(`mcp-platform:${root}`);
    try {
        parseConfig({ byNamespace: raw.byNamespace, secretKeys: secrets }, stack);
    } catch (error) {
        if (error instanceof ConfigError) {
            throw new CliError(
                `Pulumi.${stack}.yaml would not be valid with mcp-platform:${pathParts.join(".")}:\n${error.message}`,
                "nothing was written; fix the value (docs/workloads.md explains every field)",
                exitCodes.usage,
            );
        }
        throw error;
    }
}

export function configVerb(deps: { configWriter?: ConfigWriter } = {}): Verb {
    return {
        spec,
        async run(argv, io: Io) {
            const { values, positionals } = parseVerbArgs(argv, spec);
            const format = outputFormat(values);
            const [action, key, value, ...extra] = positionals;
            if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
            const { stack, cfg } = await stackContext(values.stack, io);
            if (action === "get") {
                if (!key || value !== undefined)
                    throw new UsageError("expected `mcp config get KEY`");
                const parts = configPath(key, values.service, io, cfg);
                let node: unknown = cfg;
                for (const part of parts)
                    node = (node as Record<string, unknown> | undefined)?.[part];
                if (format !== "text")
                    io.out(
                        renderData(format, {
                            key: `mcp-platform:${parts.join(".")}`,
                            value: node ?? null,
                        }),
                    );
                else
                    io.out(
                        node === undefined
                            ? `mcp-platform:${parts.join(".")} is not set`
                            : typeof node === "object"
                              ? JSON.stringify(node, null, 2)
                              : String(node),
                    );
                return node === undefined ? exitCodes.problem : exitCodes.ok;
            }
            if (action !== "set") throw new UsageError("give set or get");
            if (!key || value === undefined)
                throw new UsageError("expected `mcp config set KEY VALUE`");
            const parts = configPath(key, values.service, io, cfg);
            validateChange(stack, parts, value, values.secret ?? false);
            const fullKey = `mcp-platform:${parts.join(".")}`;
            await (deps.configWriter ?? new PulumiConfigWriter()).set(stack, fullKey, value, {
                path: true,
                secret: values.secret ?? false,
            });
            io.out(
                `set ${fullKey} in Pulumi.${stack}.yaml${values.secret ? " (secret)" : ""}; commit it in a pull request — the deploy applies it`,
            );
            return exitCodes.ok;
        },
    };
}

export const config = configVerb();
