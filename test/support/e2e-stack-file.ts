import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { requiredCredentialKeys } from "../../config";
import type { Engine } from "./e2e-stack";
import { projectDir } from "./synth";

/**
 * The stack files the e2e deploys: the repository's `Pulumi.<stack>.yaml`, changed per step
 * (`edit` gets the parsed `config` map), written into the engine's project directory. The
 * file's `encryptionsalt` and `secure:` values (the credentials, set with `pulumi config set
 * --secret` semantics by {@link setCredentials}) are kept across rewrites.
 */

type Obj = Record<string, any>;

/**
 * The CLI reads stack files as YAML 1.1: a plain `2025-10-01` would become a timestamp and
 * `on` a boolean. Written with the 1.1 schema, such strings are quoted.
 */
const yaml11 = { version: "1.1" } as const;

export type ConfigEdit = (config: Obj) => void;

export function stackFileText(stack: string, edit: ConfigEdit = () => {}): string {
    const doc = parse(fs.readFileSync(path.join(projectDir, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Obj;
    };
    edit(doc.config);
    return stringify(doc, yaml11);
}

/** Writes `text` as the stack's file, keeping the encryption salt and secure values in place. */
export function writeStackFile(engine: Engine, stack: string, text: string): void {
    const file = path.join(engine.dir, `Pulumi.${stack}.yaml`);
    const doc = parse(text) as Obj;
    if (fs.existsSync(file)) {
        const old = parse(fs.readFileSync(file, "utf8")) as Obj;
        if (old.encryptionsalt) doc.encryptionsalt = old.encryptionsalt;
        for (const [key, value] of Object.entries((old.config ?? {}) as Obj)) {
            if (value && typeof value === "object" && "secure" in value) doc.config[key] = value;
        }
    }
    fs.writeFileSync(file, stringify(doc, yaml11));
}

/**
 * The credentials the config requires, as secrets with values generated for this run (the
 * alerting receivers are never called here; the Cloudflare provider is not part of it).
 */
export async function setCredentials(stack: Stack, hasEdge: boolean): Promise<void> {
    const values: Record<string, { value: string; secret: boolean }> = {};
    for (const key of requiredCredentialKeys(hasEdge)) {
        values[key] = { value: `e2e-${randomBytes(12).toString("hex")}`, secret: true };
    }
    await stack.setAllConfig(values);
}

/**
 * Every image under the config bumped to a new tag: each string under a key naming an image.
 * `name[:tag][@digest]` → `name:<tag>-e2e[@digest]`.
 */
export function bumpImages(node: unknown, key = ""): unknown {
    if (typeof node === "string") {
        if (!isImageKey(key)) return node;
        const m = /^([^@]+?)(?::([^:/@]+))?(@.+)?$/.exec(node);
        if (!m) return node;
        return `${m[1]}:${m[2] ?? "latest"}-e2e${m[3] ?? ""}`;
    }
    if (Array.isArray(node)) return node.map((v) => bumpImages(v, key));
    if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node as Obj)) {
            // A map of images (`images:`) names each by its own key.
            (node as Obj)[k] = bumpImages(v, key === "images" ? "image" : k);
        }
    }
    return node;
}

/** A key that holds an image reference: `image`, `…Image` (not `imageCache`). */
const isImageKey = (key: string) => /^image$|Image$/.test(key);

/**
 * The update: every image tag bumped, one replica count (postgres-replica), one limit
 * (mcp-typescript-api's CPU), a value of mcp-semantic-config and a jwt-secret rotation.
 */
export function updateEdit(config: Obj): void {
    bumpImages(config);
    const data = config["mcp-platform:data"] as Obj;
    data.postgres.replicas += 1;
    const workloads = config["mcp-platform:workloads"] as Obj;
    workloads.services["mcp-typescript-api"].resources.limits.cpu = "2500m";
    workloads.semanticConfig.validationCacheSize += 1;
    workloads.secrets.jwtSecretRotation = `${workloads.secrets.jwtSecretRotation}-e2e`;
}

/** The update, then Postgres' and Redis' volumes grown by a quarter. */
export function volumeEdit(config: Obj): void {
    updateEdit(config);
    const data = config["mcp-platform:data"] as Obj;
    data.postgres.storageSize = grow(data.postgres.storageSize);
    data.redis.storageSize = grow(data.redis.storageSize);
}

/** `200Gi` → `250Gi`. */
function grow(size: string): string {
    const m = /^(\d+)(\w+)$/.exec(size);
    if (!m) throw new Error(`cannot grow ${size}`);
    return `${Math.ceil(Number(m[1]) * 1.25)}${m[2]}`;
}
